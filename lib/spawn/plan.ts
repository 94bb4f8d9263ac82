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
export type PlanWithoutFds = Omit<NativePlan, 'stdio' | 'initPath' | 'cgroupProcs'>;

/** An optional field of a normalized object, own properties only (never a polluted prototype's). */
const own = <T extends object, K extends keyof T>(o: T, key: K): T[K] | undefined => (Object.hasOwn(o, key) ? o[key] : undefined);

const flagsOf = (names: readonly NamespaceName[]) => names.filter((n) => n !== 'time').reduce((acc, n) => acc | NAMESPACES[n].flag, 0);

/** `joins` are the joined namespaces' fds, opened by the caller in `n.namespaces.joined` order. */
export function buildPlan(n: NormalizedIsolation, joins: readonly NativeJoin[]): PlanWithoutFds {
  // A joined user namespace must own what is created: then it is made by
  // unshare() after the joins instead of by clone().
  const joinsUser = n.namespaces.joined.some((j) => j.type === 'user');
  const created = flagsOf(n.namespaces.created);
  return {
    cloneFlags: joinsUser ? 0 : created,
    useVm: n.lifecycle.useVm,
    joins: [...joins],
    unshareFlags: joinsUser ? created : 0,
    ...n.identity,
    propagation: n.mounts.propagation,
    ops: n.mounts.ops,
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
