/**
 * Errors: {@link NamespaceError} for system failures and the library's own
 * refusals, and Node-style TypeError/RangeError for bad input.
 * @module
 */
import * as os from 'node:os';
import * as util from 'node:util';

import type { SetupStep } from './steps';

/** The stable codes of nsjs's own refusals (errors that are not an errno). */
export const ErrorCodes = Object.freeze({
  /** A user namespace cannot be entered by a multithreaded process (every Node process is): use spawnIsolated. */
  USERNS_IN_PROCESS: 'ERR_NSJS_USERNS_IN_PROCESS',
  /** An in-process PID namespace stops the process from creating threads: opt in with `allowPidNamespace`. */
  PIDNS_IN_PROCESS: 'ERR_NSJS_PIDNS_IN_PROCESS',
  /** The calling thread is still in the host's namespace (the one PID 1 is in): opt in with `allowHostNamespace`. */
  HOST_NAMESPACE: 'ERR_NSJS_HOST_NAMESPACE',
  /** What was asked needs a kernel feature, library or combination this host or nsjs does not have; never done weaker. */
  UNSUPPORTED: 'ERR_NSJS_UNSUPPORTED',
  /** An option needs a namespace that was not requested (e.g. `hostname` without `uts`). */
  REQUIRES_NAMESPACE: 'ERR_NSJS_REQUIRES_NAMESPACE',
  /** A mount would propagate out of the namespace: the target lies in a shared mount and is no mount point of its own. */
  SHARED_MOUNT: 'ERR_NSJS_SHARED_MOUNT',
  /** A mount target is a symbolic link. */
  SYMLINK_TARGET: 'ERR_NSJS_SYMLINK_TARGET',
  /** The host refuses to create user namespaces (sysctl, AppArmor); see `hint`. */
  USERNS_UNAVAILABLE: 'ERR_NSJS_USERNS_UNAVAILABLE',
  /** The nsjs-init executable was not found beside the addon. */
  INIT_NOT_FOUND: 'ERR_NSJS_INIT_NOT_FOUND',
  /** nsjs-init exited (not by a signal) before it could start the program, without saying why. */
  INIT_FAILED: 'ERR_NSJS_INIT_FAILED',
  /** No native binary fits this machine and none was built from source: `hint` says what to install. */
  NO_BINARY: 'ERR_NSJS_NO_BINARY',
  /** A namespace set was used after close() (or after its holder died). */
  SET_CLOSED: 'ERR_NSJS_SET_CLOSED',
  /** The `signal` option aborted the process. */
  ABORTED: 'ABORT_ERR',
});

/** Fields of a {@link NamespaceError} besides its message. */
export interface NamespaceErrorFields {
  /** An errno name (`'EPERM'`) or an `ERR_NSJS_*` code. */
  code: string;
  /** A negative errno, as in Node's SystemError; absent for the library's own refusals. */
  errno?: number;
  /** The system call that failed, e.g. `'mount'`, or `'spawn <command>'` for an exec failure. */
  syscall?: string;
  /** The path involved, if any. */
  path?: string;
  /** For a failure while setting up a child: the setup step, e.g. `'mount-proc'` (see docs/errors.md). */
  step?: SetupStep;
  /** What to change on the host, when nsjs knows. */
  hint?: string;
  /** For spawn failures: the program's arguments, as child_process reports them. */
  spawnargs?: string[];
  /** For a failed setup op (`step: 'mounts'`): its index in `mounts`. */
  op?: number;
  /** For a failed setup op with two paths: where it mounts (`path` is the source). */
  dest?: string;
}

/**
 * A namespace operation failed: a system call returned an errno (`code` is its
 * name), or nsjs refused the call (`code` starts with `ERR_NSJS_`).
 */
export class NamespaceError extends Error implements NamespaceErrorFields {
  code!: string;
  errno?: number;
  syscall?: string;
  path?: string;
  step?: SetupStep;
  hint?: string;
  spawnargs?: string[];
  op?: number;
  dest?: string;

  constructor(message: string, fields: NamespaceErrorFields, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, 'name', { value: 'NamespaceError', enumerable: false, configurable: true });
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) (this as Record<string, unknown>)[k] = v;
  }
}

/** @internal The errno name and text of a positive errno. */
export function describeErrno(errno: number): { code: string; text: string } {
  const entry = util.getSystemErrorMap().get(-errno);
  if (entry) return { code: entry[0], text: entry[1] };
  // libuv's map lacks some Linux errnos (ENOEXEC, EUSERS, ...); os.constants has their names.
  const name = errnoNames.get(errno);
  return { code: name ?? `E${errno}`, text: `errno ${errno}` };
}

const errnoNames = new Map(Object.entries(os.constants.errno).map(([name, num]) => [num, name]));

/** @internal A NamespaceError for a failed system call. */
export function systemError(
  errno: number,
  fields: { syscall?: string; path?: string; dest?: string; step?: string; op?: number; hint?: string; spawnargs?: string[]; code?: string },
): NamespaceError {
  const { code, text } = describeErrno(errno);
  const step = fields.step !== undefined && fields.op !== undefined ? `${fields.step}[${fields.op}]` : fields.step;
  const where = [step, fields.syscall].filter(Boolean).join(': ');
  const path = `${fields.path !== undefined ? ` '${fields.path}'` : ''}${fields.dest !== undefined ? ` -> '${fields.dest}'` : ''}`;
  const message = `${where ? `${where} ` : ''}${code}: ${text}${path}${fields.hint ? `. ${fields.hint}` : ''}`;
  return new NamespaceError(message, { ...fields, step: fields.step as SetupStep | undefined, code: fields.code ?? code, errno: -errno });
}

/** @internal A NamespaceError for one of nsjs's own refusals. */
export function libraryError(
  code: string,
  message: string,
  extra: Partial<NamespaceErrorFields> = {},
  options?: { cause?: unknown },
): NamespaceError {
  return new NamespaceError(message, { ...extra, code }, options);
}

/** @internal What a native call throws: an Error with these fields, turned into a NamespaceError here. */
export interface NativeError extends Error {
  nativeErrno: number;
  nativeSyscall?: string;
  nativeStep?: string;
  /** The index of the op that failed, in the mounts step. */
  nativeOp?: number;
}

/** @internal By shape, not instanceof: the addon's Error may come from another realm (vm, jest). */
export function isNativeError(e: unknown): e is NativeError {
  return typeof e === 'object' && e !== null && typeof (e as Partial<NativeError>).nativeErrno === 'number';
}

/** @internal Converts what a native call threw; rethrows anything else unchanged. */
export function fromNative(e: unknown, fields: { path?: string } = {}): unknown {
  if (!isNativeError(e)) return e;
  return systemError(e.nativeErrno, { syscall: e.nativeSyscall, step: e.nativeStep, ...fields });
}

/** @internal Runs a native call and converts its error. */
export function callNative<T>(fn: () => T, fields: { path?: string } = {}): T {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e, fields);
  }
}

/** @internal Converts a thrown fs error (e.g. from openSync) into a NamespaceError. */
export function fromFsError(e: unknown): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.errno === 'number' && typeof err.code === 'string') {
    return systemError(-err.errno, { syscall: err.syscall, path: err.path });
  }
  return e;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `type bigint (${value}n)`;
  if (typeof value === 'function') return 'function';
  if (typeof value === 'object') return Array.isArray(value) ? 'an instance of Array' : 'an object';
  if (typeof value === 'string') return `type string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)})`;
  return `type ${typeof value} (${String(value)})`;
}

function withCode<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, configurable: true, writable: true });
  return err as E & { code: string };
}

/** @internal ERR_INVALID_ARG_TYPE, as Node throws it. */
export function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  return withCode(
    new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(value)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

/** @internal ERR_INVALID_ARG_VALUE, as Node throws it. */
export function invalidArgValue(name: string, value: unknown, reason: string): TypeError {
  return withCode(
    new TypeError(`The argument '${name}' ${reason}. Received ${describe(value)}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

/** @internal ERR_OUT_OF_RANGE, as Node throws it. */
export function outOfRange(name: string, range: string, value: unknown): RangeError {
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${describe(value)}`),
    'ERR_OUT_OF_RANGE',
  );
}

/** @internal ERR_CHILD_PROCESS_STDIO_MAXBUFFER, as child_process.exec rejects when output passes `maxBuffer`. */
export function maxBufferExceeded(stream: 'stdout' | 'stderr'): RangeError & { code: string } {
  return withCode(new RangeError(`${stream} maxBuffer length exceeded`), 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
}

/** @internal ERR_UNKNOWN_SIGNAL, as child_process throws it for a signal it does not know. */
export function unknownSignal(value: unknown): TypeError {
  return withCode(new TypeError(`Unknown signal: ${String(value)}`), 'ERR_UNKNOWN_SIGNAL');
}

/**
 * @internal ERR_INVALID_SYNC_FORK_INPUT: what child_process.spawn throws for a
 * stdio slot that is an unknown string or a buffer (input only spawnSync takes).
 */
export function invalidSyncForkInput(value: unknown): TypeError {
  return withCode(
    new TypeError(`Asynchronous forks do not support Buffer, TypedArray, DataView or string input: ${util.inspect(value)}`),
    'ERR_INVALID_SYNC_FORK_INPUT',
  );
}
