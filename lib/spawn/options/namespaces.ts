/**
 * Which namespaces a sandbox creates and which existing ones it joins.
 * @module
 */
import { ErrorCodes, invalidArgType, invalidArgValue, libraryError } from '../../errors';
import { NAMESPACES, NAMESPACE_NAMES, type NamespaceName } from '../../namespaces';
import { isJoinableSet, kJoinFd } from '../../sets/join-target';
import type { NamespaceSet } from '../../sets/namespace-set';
import { namespaceList, snapshotObject, validateFd, validateNonEmptyString } from '../../validate';
import { rejectUnknownKeys } from './keys';

/** The namespaces {@link spawnIsolated} creates when `namespaces` is omitted. */
export const DEFAULT_NAMESPACES: readonly NamespaceName[] = Object.freeze(['pid', 'mount', 'uts', 'ipc', 'net']);

/**
 * An existing namespace to join: the path of a namespace file
 * (`/proc/PID/ns/net`, `/run/netns/NAME`, a bind-mounted file), an open fd
 * of one (it stays the caller's: nsjs neither closes nor keeps it), a
 * process (`{ pid }`: its namespace of the type joined), or a
 * {@link NamespaceSet} (its namespace of that type).
 */
export type JoinTarget = string | number | ProcessTarget | NamespaceSet;

/** A process as a join target: its namespace of the type joined (`/proc/PID/ns/<type>`). */
export interface ProcessTarget {
  /** Its pid, as the caller sees it. */
  pid: number;
}

/** Options of the namespace family. */
export interface NamespaceOptions {
  /**
   * The namespaces to create. When the caller is not root and creates any,
   * `'user'` is added (rootless mode: see `user`). `[]` creates none.
   * @default ['pid', 'mount', 'uts', 'ipc', 'net']
   */
  namespaces?: readonly NamespaceName[];
  /**
   * Existing namespaces to join, by type, instead of creating them (as
   * `nsenter`). The user namespace is joined first, so that the others, and
   * the namespaces created, belong to it. Each target's type is checked
   * (`NS_GET_NSTYPE`) before clone. Joining a PID namespace takes effect for
   * children only, so the program then runs under nsjs-init, which stays
   * outside. A joined type is left out of the default `namespaces`; one listed
   * in `namespaces` too is an error.
   */
  join?: Partial<Record<NamespaceName, JoinTarget>>;
}

/** @internal */
export interface JoinSpec {
  type: NamespaceName;
  target: string | number;
}

/** @internal */
export interface NormalizedNamespaces {
  /** The namespaces to create, in the order given (plus 'user' for a rootless caller). */
  created: NamespaceName[];
  /** The namespaces to join, in the order they are joined, each as a path or an fd. */
  joined: JoinSpec[];
}

/** The order joins happen in: the user namespace first (its capabilities apply to the rest), the mount namespace last (as nsenter). */
const JOIN_ORDER: readonly NamespaceName[] = ['user', 'cgroup', 'ipc', 'uts', 'net', 'pid', 'time', 'mount'];

export function normalizeNamespaces(o: Record<string, unknown>): NormalizedNamespaces {
  const requested = o.namespaces === undefined ? [...DEFAULT_NAMESPACES] : namespaceList(o.namespaces, 'options.namespaces');
  let created = [...new Set<NamespaceName>(requested)];

  const joined: JoinSpec[] = [];
  if (o.join !== undefined) {
    const join = snapshotObject(o.join, 'options.join');
    rejectUnknownKeys(join, NAMESPACE_NAMES, 'options.join');
    // With the default namespaces, a joined type is joined instead of created.
    if (o.namespaces === undefined) created = created.filter((t) => join[t] === undefined);
    for (const type of JOIN_ORDER) {
      const target = join[type];
      if (target === undefined) continue;
      const name = `options.join.${type}`;
      if (created.includes(type)) throw invalidArgValue(name, target, `joins a namespace that \`namespaces\` also creates ('${type}')`);
      joined.push({ type, target: joinTarget(type, target, name) });
    }
  }
  const joins = (t: NamespaceName) => joined.some((j) => j.type === t);
  // Rootless: creating namespaces takes a user namespace of one's own (unless one is joined).
  if (process.geteuid?.() !== 0 && created.length > 0 && !created.includes('user') && !joins('user')) created.push('user');
  if (joins('user') && created.includes('pid')) {
    throw libraryError(
      ErrorCodes.UNSUPPORTED,
      "A new PID namespace inside a joined user namespace is not supported: join its PID namespace too, or create the user namespace as well.",
    );
  }
  return { created, joined };
}

/** A target as a path or an fd: `{ pid }` is that process's namespace file, a set gives its fd. */
function joinTarget(type: NamespaceName, target: unknown, name: string): string | number {
  if (typeof target === 'number') {
    validateFd(target, name);
    return target;
  }
  if (typeof target === 'string') {
    validateNonEmptyString(target, name);
    return target;
  }
  if (isJoinableSet(target)) return target[kJoinFd](type);
  if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
    const process = snapshotObject(target, name);
    rejectUnknownKeys(process, ['pid'], name);
    const pid = process.pid;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid < 1) throw invalidArgValue(`${name}.pid`, pid, 'must be a positive integer (a process id)');
    return `/proc/${pid}/ns/${NAMESPACES[type].procName}`;
  }
  throw invalidArgType(name, 'of type string or number (a namespace file or an fd), a { pid } or a NamespaceSet', target);
}

/** Throws ERR_NSJS_REQUIRES_NAMESPACE unless `needed` is created. */
export function requireCreated(ns: NormalizedNamespaces, needed: NamespaceName, option: string): void {
  if (!ns.created.includes(needed)) {
    throw libraryError(ErrorCodes.REQUIRES_NAMESPACE, `The \`${option}\` option needs a new '${needed}' namespace; add it to \`namespaces\`.`);
  }
}
