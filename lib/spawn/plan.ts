/**
 * Normalized options in, the native plan out: pure, no syscall, unit-tested
 * (test/unit/plan.test.ts).
 * @internal
 * @module
 */
import type { NativeJoin, NativePlan } from '../binding';
import { NAMESPACES, type NamespaceName } from '../namespaces';
import type { NormalizedIsolation } from './options';

/** The plan, less what is opened at spawn time (stdio fds, nsjs-init). */
export type PlanWithoutFds = Omit<NativePlan, 'stdio' | 'initPath' | 'cgroupProcs' | 'cgroupFd'>;

/** An optional field of a normalized object, own properties only (never a polluted prototype's). */
const own = <T extends object, K extends keyof T>(o: T, key: K): T[K] | undefined => (Object.hasOwn(o, key) ? o[key] : undefined);

const flagsOf = (names: readonly NamespaceName[]) => names.filter((n) => n !== 'time').reduce((acc, n) => acc | NAMESPACES[n].flag, 0);

/**
 * Whether the child's lock-mounts step nests a user and mount namespace: in
 * its own user namespace the program could remount a read-only mount
 * writable or unmount what hides a path, so whenever the sandbox has one and
 * mounts anything, the kernel is made to lock them (docs/filesystem.md).
 */
export function locksMounts(n: NormalizedIsolation): boolean {
  const userns = n.namespaces.created.includes('user') || n.namespaces.joined.some((j) => j.type === 'user');
  const m = n.mounts;
  return userns && (m.ops.length > 0 || m.rootfs !== 0 || m.readonlyRoot);
}

/** `joins` are the joined namespaces' fds, opened by the caller in `n.namespaces.joined` order. */
export function buildPlan(n: NormalizedIsolation, joins: readonly NativeJoin[]): PlanWithoutFds {
  // A joined user namespace must own what is created: then it is made by
  // unshare() after the joins instead of by clone().
  const joinsUser = n.namespaces.joined.some((j) => j.type === 'user');
  const created = flagsOf(n.namespaces.created);
  const m = n.mounts;
  const id = n.identity;
  const lock = locksMounts(n);
  return {
    cloneFlags: joinsUser ? 0 : created,
    useVm: n.lifecycle.useVm,
    joins: [...joins],
    unshareFlags: joinsUser ? created : 0,
    ...n.identity,
    propagation: m.propagation,
    rootfs: m.rootfs,
    ...(own(m, 'rootfsPath') !== undefined ? { rootfsPath: own(m, 'rootfsPath') } : {}),
    staging: m.staging,
    readonlyRoot: m.readonlyRoot,
    // Host root's child is not mapped inside until `identity`: its tmpfs mounts are the program's.
    ...(id.setIdentity ? { tmpfsUid: String(id.uid), tmpfsGid: String(id.gid) } : {}),
    ops: m.ops,
    ...(lock ? { lockUidMap: `${id.uid} ${id.uid} 1\n`, lockGidMap: `${id.gid} ${id.gid} 1\n` } : {}),
    ...(own(n.uts, 'hostname') !== undefined ? { hostname: own(n.uts, 'hostname') } : {}),
    ...(own(n.uts, 'domainname') !== undefined ? { domainname: own(n.uts, 'domainname') } : {}),
    mountProc: n.mounts.mountProc,
    loopbackUp: n.loopbackUp,
    ...(own(n, 'timeOffsets') !== undefined ? { timeOffsets: own(n, 'timeOffsets') } : {}),
    newSession: n.lifecycle.newSession,
    noNewPrivs: n.lifecycle.noNewPrivs,
    dieWithParent: n.lifecycle.dieWithParent,
    ...(n.privileges.capabilities !== undefined ? { capabilities: [...n.privileges.capabilities] } : {}),
    ...(n.privileges.seccompFilter !== undefined ? { seccompFilter: n.privileges.seccompFilter } : {}),
    rlimits: n.rlimits,
    ...(own(n.exec, 'cwd') !== undefined ? { cwd: own(n.exec, 'cwd') } : {}),
    execPaths: n.exec.execPaths,
    argv: n.exec.argv,
    envp: n.exec.envp,
  };
}
