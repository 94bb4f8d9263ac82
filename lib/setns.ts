/**
 * In-process `setns(2)`: moves the calling thread into an existing namespace.
 * @module
 */
import * as fs from 'node:fs';

import { binding } from './binding';
import { openNamespaceFile } from './ns-file';
import { callNative, ErrorCodes, fromNative, invalidArgValue, libraryError, systemError } from './errors';
import { NAMESPACES, nameFromType, type NamespaceName } from './namespaces';
import { optionsObject, validateBoolean, validateFd, validateNamespaceName, validateObject, validateString } from './validate';

/** What {@link setns} can join: a path, an open fd, or a process's namespace. */
export type SetnsTarget =
  | string
  | number
  | {
      /** The process whose namespace to join. */
      pid: number;
      /** Which of its namespaces. */
      namespace: NamespaceName;
    };

/** Options of {@link setns}. */
export interface SetnsOptions {
  /** Allow joining a PID namespace (then this process cannot create threads). @default false */
  allowPidNamespace?: boolean;
}

const ENOTTY = 25;
const EINVAL = 22;

function refuseType(type: NamespaceName, allowPid: boolean): void {
  if (type === 'user') {
    throw libraryError(
      ErrorCodes.USERNS_IN_PROCESS,
      'A multithreaded process cannot join a user namespace (the kernel answers EINVAL), and a Node process is always multithreaded. Use spawnIsolated().',
      { syscall: 'setns' },
    );
  }
  if (type === 'pid' && !allowPid) {
    throw libraryError(
      ErrorCodes.PIDNS_IN_PROCESS,
      'Joining a PID namespace applies only to children made afterwards, and then this process can no longer create threads. Pass { allowPidNamespace: true } to do it anyway.',
      { syscall: 'setns' },
    );
  }
}

/**
 * Moves the calling thread into an existing namespace (`setns(2)`).
 *
 * `target` is a namespace file (`/proc/PID/ns/net`, `/run/netns/NAME`, a
 * bind-mounted file), an open fd of one, or `{ pid, namespace }`. When
 * `namespace` is given, the kernel checks the file is of that type (a `pid`
 * file joined as `'net'` fails with EINVAL).
 *
 * Joining a mount namespace first unshares the thread's filesystem attributes
 * (`unshare(CLONE_FS)`, which the kernel requires): from then on this
 * thread's cwd is its own, and `process.chdir()` no longer affects the
 * threadpool. Only the calling thread moves; see {@link unshare}.
 *
 * Refused before the syscall: user namespaces (always EINVAL in a
 * multithreaded process) and, unless opted in, PID namespaces.
 */
export function setns(target: SetnsTarget, namespace?: NamespaceName, options?: SetnsOptions): void {
  if (namespace !== undefined) validateNamespaceName(namespace, 'namespace');
  const opts = optionsObject(options);
  const allowPid = opts.allowPidNamespace ?? false;
  validateBoolean(allowPid, 'options.allowPidNamespace');

  let path: string | undefined;
  let type = namespace;
  if (typeof target === 'number') {
    validateFd(target, 'target');
  } else if (typeof target === 'string') {
    validateString(target, 'target');
    path = target;
  } else {
    validateObject(target, 'target');
    validateFd(target.pid, 'target.pid');
    validateNamespaceName(target.namespace, 'target.namespace');
    if (namespace !== undefined && namespace !== target.namespace) {
      throw invalidArgValue('namespace', namespace, `must match target.namespace ('${target.namespace}')`);
    }
    type = target.namespace;
    path = `/proc/${target.pid}/ns/${NAMESPACES[type].procName}`;
  }
  if (type !== undefined) refuseType(type, allowPid);

  const native = binding();
  let fd: number;
  if (path === undefined) {
    fd = target as number;
  } else {
    fd = openNamespaceFile(path);
  }
  try {
    if (type === undefined) {
      // Learn the type first, so a user or PID namespace is refused, not half-joined.
      let t: number;
      try {
        t = native.nsType(fd);
      } catch (e) {
        // ENOTTY from NS_GET_NSTYPE means "not a namespace file": report it as setns would.
        const err = fromNative(e, { path }) as { errno?: number };
        if (err.errno === -ENOTTY) throw systemError(EINVAL, { syscall: 'setns', path, hint: 'not a namespace file' });
        throw err;
      }
      const name = nameFromType(t);
      if (name) refuseType(name, allowPid);
    }
    callNative(() => native.setns(fd, type === undefined ? 0 : NAMESPACES[type].flag), { path });
  } finally {
    if (path !== undefined) fs.closeSync(fd);
  }
}
