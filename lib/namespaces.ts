/**
 * Namespace names, their clone flags, and their names under /proc/PID/ns.
 * @module
 */

/** The eight Linux namespace types, by the names nsjs uses. */
export type NamespaceName = 'pid' | 'mount' | 'uts' | 'ipc' | 'net' | 'user' | 'cgroup' | 'time';

/** `CLONE_NEWNS`: a new mount namespace. */
export const CLONE_NEWNS = 0x00020000;
/** `CLONE_NEWCGROUP`: a new cgroup namespace. */
export const CLONE_NEWCGROUP = 0x02000000;
/** `CLONE_NEWUTS`: a new UTS namespace (hostname, domain name). */
export const CLONE_NEWUTS = 0x04000000;
/** `CLONE_NEWIPC`: a new IPC namespace (System V IPC, POSIX message queues). */
export const CLONE_NEWIPC = 0x08000000;
/** `CLONE_NEWUSER`: a new user namespace. */
export const CLONE_NEWUSER = 0x10000000;
/** `CLONE_NEWPID`: a new PID namespace. */
export const CLONE_NEWPID = 0x20000000;
/** `CLONE_NEWNET`: a new network namespace. */
export const CLONE_NEWNET = 0x40000000;
/** `CLONE_NEWTIME`: a new time namespace (it shares its value with CSIGNAL bits of clone(2)). */
export const CLONE_NEWTIME = 0x00000080;

interface NamespaceInfo {
  readonly flag: number;
  /** The file name under /proc/PID/ns/. */
  readonly procName: string;
}

/** @internal */
export const NAMESPACES: Readonly<Record<NamespaceName, NamespaceInfo>> = Object.freeze({
  pid: { flag: CLONE_NEWPID, procName: 'pid' },
  mount: { flag: CLONE_NEWNS, procName: 'mnt' },
  uts: { flag: CLONE_NEWUTS, procName: 'uts' },
  ipc: { flag: CLONE_NEWIPC, procName: 'ipc' },
  net: { flag: CLONE_NEWNET, procName: 'net' },
  user: { flag: CLONE_NEWUSER, procName: 'user' },
  cgroup: { flag: CLONE_NEWCGROUP, procName: 'cgroup' },
  time: { flag: CLONE_NEWTIME, procName: 'time' },
});

/** @internal */
export const NAMESPACE_NAMES = Object.freeze(Object.keys(NAMESPACES) as NamespaceName[]);

/** @internal */
export const ALL_NAMESPACE_FLAGS = NAMESPACE_NAMES.reduce((acc, n) => acc | NAMESPACES[n].flag, 0);

/** @internal */
export function isNamespaceName(value: unknown): value is NamespaceName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(NAMESPACES, value);
}

/** @internal The names whose bits are set in `flags`. */
export function namesFromFlags(flags: number): NamespaceName[] {
  return NAMESPACE_NAMES.filter((n) => (flags & NAMESPACES[n].flag) !== 0);
}

/** @internal The namespace name of a CLONE_NEW* type as NS_GET_NSTYPE returns it. */
export function nameFromType(type: number): NamespaceName | undefined {
  return NAMESPACE_NAMES.find((n) => NAMESPACES[n].flag === type);
}
