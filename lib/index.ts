/**
 * nsjs: Linux namespaces for Node.js.
 *
 * - {@link spawnIsolated} starts a program in new namespaces (the main job);
 *   {@link readOnlyHost} gives it the most common filesystem.
 * - {@link clone} is the primitive under it.
 * - {@link unshare}, {@link setns}, {@link sethostname}, {@link setdomainname}
 *   and {@link mountProc} act on the calling thread.
 * - {@link createNamespaces} makes namespaces that outlive one program (a {@link NamespaceSet});
 *   {@link createPool} keeps sets ready for many short sandboxes.
 * - {@link namespaceIds}, {@link nsPids} and {@link listNamespaces} inspect.
 * - {@link probe} says what this host allows; {@link explain} shows a sandbox as unshare and bwrap lines.
 * @module nsjs
 */
export { spawnIsolated, type OutputOf, type SpawnIsolatedOptions } from './spawn/spawn-isolated';
export type { OutputEncoding } from './spawn/options/output';
export { IsolatedProcess, type IsolatedResult } from './spawn/isolated-process';
export type { StdioOption, StdioSlot } from './spawn/stdio';
export type { IsolationOptions } from './spawn/options';
export { DEFAULT_NAMESPACES, type JoinTarget, type NamespaceOptions, type ProcessTarget } from './spawn/options/namespaces';
export type { IdentityOptions, UserMapping } from './spawn/options/identity';
export type { UtsOptions } from './spawn/options/uts';
export type {
  BindMount,
  DevMount,
  DirMount,
  FileMount,
  MountEntry,
  MountOptions,
  MqueueMount,
  OverlayMount,
  ProcMount,
  RootFs,
  SymlinkMount,
  TmpfsMount,
} from './spawn/options/mounts';
export { readOnlyHost, type ReadOnlyHostFs, type ReadOnlyHostOptions } from './spawn/read-only-host';
export type { NetworkOptions } from './spawn/options/network';
export type { TimeOffsets, TimeOptions } from './spawn/options/time';
export type { LifecycleOptions, SpawnLifecycleOptions } from './spawn/options/lifecycle';
export type { ExecOptions } from './spawn/options/exec';
export { CAPABILITY_NAMES, DEFAULT_CAPABILITIES, type CapabilityName, type CapabilityOptions } from './spawn/options/capabilities';
export type { IdMapEntry, MapOptions } from './spawn/options/maps';
export type { LandlockOptions, LandlockReport, LandlockRules } from './spawn/options/landlock';
export type { SeccompArchMap, SeccompArg, SeccompCondition, SeccompOptions, SeccompProfile, SeccompRule } from './spawn/options/seccomp';
export { RLIMIT_NAMES, type RlimitName, type RlimitOptions, type RlimitValue } from './spawn/options/rlimits';
export type { CgroupOptions, LimitOptions, Limits } from './spawn/options/limits';
export { clone, type CloneOptions } from './clone';
export {
  createNamespaces,
  NamespaceSet,
  type CreateNamespacesOptions,
  type PersistOptions,
  type SetSpawnOptions,
} from './sets/namespace-set';
export { createPool, Pool, type PoolOptions, type PoolSpawnOptions } from './pool/pool';
export { listNamespaces, type ListNamespacesOptions, type NamespaceInfo, type NsjsOwner, type NsPid } from './sets/list';
export { ClonedProcess, type ExitStatus } from './spawn/cloned-process';
export type { ResourceUsage } from './spawn/usage';
export { unshare, type Propagation, type UnshareOptions } from './unshare';
export { setns, type SetnsOptions, type SetnsTarget } from './setns';
export { sethostname, setdomainname, type HostNamespaceOptions } from './hostname';
export { mountProc } from './mount-proc';
export { namespaceIds, nsPids, type NamespaceId, type NamespaceIds } from './inspect';
export { NamespaceError, ErrorCodes, type NamespaceErrorFields } from './errors';
export { SETUP_STEPS, type SetupStep } from './steps';
export {
  probe,
  type ProbeResult,
  type ProbeFact,
  type CgroupFacts,
  type UserNamespaceSettings,
  type UserNamespaceFact,
  type LandlockFact,
  type SubordinateIdsFact,
  type SubordinateRange,
  type BinaryFact,
  type HostFacts,
} from './probe';
export { explain, type Explanation, type Equivalent, type ExplainedJoin } from './explain';
export type { PlanWithoutFds } from './spawn/plan';
export type { NativePlan, NativeOp, NativeJoin, NativeRlimit } from './binding';
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
