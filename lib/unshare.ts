/**
 * In-process `unshare(2)`: moves the calling thread into new namespaces.
 * @module
 */
import { binding } from './binding';
import { callNative, ErrorCodes, libraryError, outOfRange } from './errors';
import { ALL_NAMESPACE_FLAGS, NAMESPACES, namesFromFlags, type NamespaceName } from './namespaces';
import { rememberMadeHere } from './host-namespace';
import { propagationFlags, type Propagation } from './propagation';

export type { Propagation } from './propagation';
import { optionsObject, validateBoolean, validateNamespaceList, validateNamespaceName } from './validate';

/** Options of {@link unshare}. */
export interface UnshareOptions {
  /**
   * Mount propagation of `/` after `'mount'` is unshared. The default,
   * `'private'` (recursive, as util-linux's unshare does), keeps anything
   * mounted afterwards from propagating to the host.
   * @default 'private'
   */
  propagation?: Propagation;
  /**
   * Allow `'pid'`. An in-process PID namespace only applies to children
   * created afterwards, and from then on this process cannot create threads
   * (no new Worker, no threadpool growth). Use {@link spawnIsolated} instead.
   * @default false
   */
  allowPidNamespace?: boolean;
}

/** @internal Namespace names or a CLONE_NEW* mask, validated, as flags. */
export function namespaceFlags(namespaces: unknown, name: string): number {
  if (typeof namespaces === 'number') {
    if (!Number.isInteger(namespaces) || namespaces <= 0 || (namespaces & ~ALL_NAMESPACE_FLAGS) !== 0 || namespaces > 0x7fffffff) {
      throw outOfRange(name, 'a non-zero combination of CLONE_NEW* flags', namespaces);
    }
    return namespaces;
  }
  const list = typeof namespaces === 'string' ? [namespaces] : namespaces;
  if (typeof namespaces === 'string') validateNamespaceName(namespaces, name);
  else validateNamespaceList(list, name);
  if ((list as NamespaceName[]).length === 0) throw outOfRange(`${name}.length`, '>= 1', 0);
  return (list as NamespaceName[]).reduce((acc, n) => acc | NAMESPACES[n].flag, 0);
}

/**
 * Moves the calling thread into new namespaces (`unshare(2)`).
 *
 * Namespaces belong to threads. Only the thread that calls this (the main JS
 * thread, or the Worker calling it) moves: libuv's threadpool, which runs
 * async `fs` calls and `dns.lookup`, stays where it was. After
 * `unshare('net')`, a socket made on the main thread is in the new network
 * namespace while `dns.lookup` is not. For real isolation, use
 * {@link spawnIsolated}, which sets namespaces up in a single-threaded child.
 *
 * Refused before the syscall: `'user'` (a multithreaded process always gets
 * EINVAL), and `'pid'` unless `allowPidNamespace` is set.
 *
 * @param namespaces A name, a list of names, or a mask of `CLONE_NEW*` flags.
 * @throws {NamespaceError} `ERR_NSJS_USERNS_IN_PROCESS`, `ERR_NSJS_PIDNS_IN_PROCESS`, or the errno of unshare/mount.
 */
export function unshare(namespaces: NamespaceName | readonly NamespaceName[] | number, options?: UnshareOptions): void {
  const flags = namespaceFlags(namespaces, 'namespaces');
  const opts = optionsObject(options);
  const propagation = propagationFlags(opts.propagation ?? 'private', 'options.propagation');
  const allowPid = opts.allowPidNamespace ?? false;
  validateBoolean(allowPid, 'options.allowPidNamespace');
  const names = namesFromFlags(flags);
  if (names.includes('user')) {
    throw libraryError(
      ErrorCodes.USERNS_IN_PROCESS,
      'A Node process is multithreaded, and the kernel refuses unshare(CLONE_NEWUSER) to a multithreaded process (EINVAL). Use spawnIsolated() to start a process in a new user namespace.',
      { syscall: 'unshare' },
    );
  }
  if (names.includes('pid') && !allowPid) {
    throw libraryError(
      ErrorCodes.PIDNS_IN_PROCESS,
      "An in-process PID namespace applies only to children made afterwards, and then this process can no longer create threads. Pass { allowPidNamespace: true } if that is what you want, or use spawnIsolated().",
      { syscall: 'unshare' },
    );
  }
  const native = binding();
  callNative(() => native.unshare(flags));
  rememberMadeHere(names);
  if (names.includes('mount') && propagation !== 0) {
    callNative(() => native.setRootPropagation(propagation), { path: '/' });
  }
}
