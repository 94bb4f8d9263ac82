/**
 * nsjs: Linux namespaces for Node.js.
 *
 * - {@link spawnIsolated} starts a program in new namespaces (the main job).
 * - {@link clone} is the primitive under it.
 * - {@link unshare}, {@link setns}, {@link sethostname}, {@link setdomainname}
 *   and {@link mountProc} act on the calling thread.
 * - {@link namespaceIds} and {@link nsPids} inspect.
 * @module nsjs
 */
export { spawnIsolated, type OutputOf, type SpawnIsolatedOptions } from './spawn/spawn-isolated';
export type { OutputEncoding } from './spawn/options/output';
export { IsolatedProcess, type IsolatedResult } from './spawn/isolated-process';
export type { StdioOption, StdioSlot } from './spawn/stdio';
export { DEFAULT_NAMESPACES, type IsolationOptions, type TimeOffsets, type UserMapping } from './spawn/options';
export { clone, ClonedProcess, type CloneOptions, type ExitStatus } from './clone';
export { unshare, type Propagation, type UnshareOptions } from './unshare';
export { setns, type SetnsOptions, type SetnsTarget } from './setns';
export { sethostname, setdomainname, type HostNamespaceOptions } from './hostname';
export { mountProc } from './mount-proc';
export { namespaceIds, nsPids, type NamespaceId, type NamespaceIds } from './inspect';
export { NamespaceError, ErrorCodes, type NamespaceErrorFields } from './errors';
export {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  type NamespaceName,
} from './namespaces';
