/**
 * Small validators. Each throws a Node-style TypeError/RangeError before any syscall.
 * @internal
 * @module
 */
import { invalidArgType, invalidArgValue, outOfRange } from './errors';
import { isNamespaceName, type NamespaceName } from './namespaces';

/** The kernel's limit for hostnames and domain names (`__NEW_UTS_LEN`), in bytes. */
export const UTS_NAME_MAX = 64;

export function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value.includes('\u0000')) throw invalidArgValue(name, value, 'must be a string without null bytes');
}

export function validateNonEmptyString(value: unknown, name: string): asserts value is string {
  validateString(value, name);
  if (value.length === 0) throw invalidArgValue(name, value, 'cannot be empty');
}

export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
}

export function validateObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
}

export function validateInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

/** A file descriptor number: 0 .. 2^31-1. */
export function validateFd(value: unknown, name: string): asserts value is number {
  validateInteger(value, name, 0, 0x7fffffff);
}

/** A uid or gid: 0 .. 2^32-2 ((uid_t)-1 is the kernel's "no id"). */
export function validateId(value: unknown, name: string): asserts value is number {
  validateInteger(value, name, 0, 0xfffffffe);
}

export function validateNamespaceName(value: unknown, name: string): asserts value is NamespaceName {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!isNamespaceName(value)) {
    throw invalidArgValue(name, value, "must be one of 'pid', 'mount', 'uts', 'ipc', 'net', 'user', 'cgroup', 'time'");
  }
}

export function validateNamespaceList(value: unknown, name: string): asserts value is NamespaceName[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  value.forEach((v, i) => validateNamespaceName(v, `${name}[${i}]`));
}

/** A snapshot of a namespace list (see {@link snapshotArray}), validated. */
export function namespaceList(value: unknown, name: string): NamespaceName[] {
  const list = snapshotArray(value, name);
  list.forEach((v, i) => validateNamespaceName(v, `${name}[${i}]`));
  return list as NamespaceName[];
}

/** A hostname or domain name: at most 64 bytes of UTF-8, no NUL. Returns its bytes. */
export function validateUtsName(value: unknown, name: string): Buffer {
  validateString(value, name);
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > UTS_NAME_MAX) {
    throw outOfRange(`${name}.length`, `at most ${UTS_NAME_MAX} bytes of UTF-8`, `${bytes.length} bytes`);
  }
  return bytes;
}

/**
 * An options object as nsjs reads it: a snapshot of its own data properties,
 * taken once, with no prototype. Inherited values (a polluted
 * Object.prototype) are never read, each value is read exactly once (a getter
 * cannot answer differently to two checks), and accessors are refused.
 */
export function snapshotObject(value: unknown, name: string): Record<string, unknown> {
  validateObject(value, name);
  const copy = Object.create(null) as Record<string, unknown>;
  for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
    if (!d.enumerable) continue;
    if (!('value' in d)) throw invalidArgValue(`${name}.${key}`, undefined, 'must be a data property (nsjs reads options once and never calls a getter)');
    copy[key] = d.value;
  }
  return copy;
}

/**
 * A snapshot of an array's elements by index, into a plain Array: a
 * subclass's iterator, methods and species are never used.
 */
export function snapshotArray(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  const out: unknown[] = [];
  for (let i = 0; i < value.length; i++) out.push((value as unknown[])[i]);
  return out;
}

/** Optional options argument: undefined gives an empty snapshot; see {@link snapshotObject}. */
export function optionsObject(value: unknown, name = 'options'): Record<string, unknown> {
  if (value === undefined) return Object.create(null) as Record<string, unknown>;
  return snapshotObject(value, name);
}
