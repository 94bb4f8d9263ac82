/**
 * Option normalization: one validator per family, called in turn (as execa's
 * normalizeOptions does), after unknown keys are refused.
 * @internal
 * @module
 */
import type { NativeRlimit } from '../../binding';
import { optionsObject } from '../../validate';
import { normalizeCapabilities, type CapabilityOptions } from './capabilities';
import { normalizeExec, type ExecOptions, type NormalizedExec } from './exec';
import { normalizeMaps, type MapOptions } from './maps';
import { normalizeLandlock, type LandlockOptions, type NormalizedLandlock } from './landlock';
import { normalizeIdentity, type IdentityOptions, type IdentityPlan } from './identity';
import { rejectUnknownKeys } from './keys';
import { normalizeLifecycle, type LifecycleOptions, type NormalizedLifecycle } from './lifecycle';
import { normalizeLimits, type LimitOptions, type NormalizedLimits } from './limits';
import { normalizeMounts, type MountOptions, type NormalizedMounts } from './mounts';
import { normalizeNamespaces, type NamespaceOptions, type NormalizedNamespaces } from './namespaces';
import { normalizeNetwork, type NetworkOptions } from './network';
import { normalizeSeccomp, type SeccompOptions } from './seccomp';
import { normalizeRlimits, type RlimitOptions } from './rlimits';
import { normalizeTime, type TimeOptions } from './time';
import { normalizeUts, type NormalizedUts, type UtsOptions } from './uts';

/** What to isolate and how to set the child up; shared by {@link clone} and {@link spawnIsolated}. */
export interface IsolationOptions
  extends NamespaceOptions,
    IdentityOptions,
    MapOptions,
    UtsOptions,
    MountOptions,
    NetworkOptions,
    TimeOptions,
    LifecycleOptions,
    CapabilityOptions,
    SeccompOptions,
    LandlockOptions,
    RlimitOptions,
    LimitOptions,
    ExecOptions {}

/** Every key of {@link IsolationOptions}: anything else is refused. */
export const ISOLATION_KEYS: readonly string[] = Object.freeze([
  'namespaces', 'join', 'user', 'hostname', 'domainname', 'rootfs', 'readonlyRoot', 'propagation', 'mountProc', 'mounts', 'loopback',
  'timeOffsets', 'init', 'dieWithParent', 'newSession', 'noNewPrivileges', 'cloneStrategy', 'cwd', 'env', 'argv0',
  'capabilities', 'seccomp', 'allowNestedUserNamespaces', 'landlock',
  'uidMap', 'gidMap', 'mapAuto',
  'rlimits', 'limits', 'cgroup',
]);

/** Everything the plan is built from, validated. */
export interface NormalizedIsolation {
  namespaces: NormalizedNamespaces;
  identity: IdentityPlan;
  uts: NormalizedUts;
  mounts: NormalizedMounts;
  loopbackUp: boolean;
  /** undefined: no new time namespace; '': one without offsets. */
  timeOffsets: string | undefined;
  lifecycle: NormalizedLifecycle;
  /** The capability numbers to keep (undefined: no cut), and the compiled seccomp filter (undefined: none). */
  privileges: { capabilities: readonly number[] | undefined; seccompFilter: Uint8Array | undefined };
  /** Landlock's ruleset spec and report; undefined: no Landlock. */
  landlock: NormalizedLandlock | undefined;
  rlimits: NativeRlimit[];
  /** undefined: no cgroup. */
  limits: NormalizedLimits | undefined;
  exec: NormalizedExec;
}

/**
 * Validates `options` for an entry point whose own keys are `extraKeys`
 * (e.g. `stdio`, `timeout`): throws TypeError/RangeError/NamespaceError
 * before anything is done.
 */
export function normalizeIsolation(command: unknown, args: unknown, options: unknown, extraKeys: readonly string[]): NormalizedIsolation {
  const o = optionsObject(options);
  rejectUnknownKeys(o, [...ISOLATION_KEYS, ...extraKeys], 'options');
  const exec = normalizeExec(command, args, o);
  const namespaces = normalizeNamespaces(o);
  const capabilities = normalizeCapabilities(o);
  const identity = normalizeMaps(o, namespaces, normalizeIdentity(o, namespaces));
  const uts = normalizeUts(o, namespaces);
  const mounts = normalizeMounts(o, namespaces);
  // With a new root, cwd is a path in it, and / when not given.
  if (mounts.rootfs !== 0 && exec.cwd === undefined) exec.cwd = '/';
  return {
    namespaces,
    identity,
    uts,
    mounts,
    loopbackUp: normalizeNetwork(o, namespaces).loopbackUp,
    timeOffsets: normalizeTime(o, namespaces),
    lifecycle: normalizeLifecycle(o, namespaces),
    privileges: { capabilities, seccompFilter: normalizeSeccomp(o, capabilities) },
    landlock: normalizeLandlock(o),
    rlimits: normalizeRlimits(o),
    limits: normalizeLimits(o),
    exec,
  };
}
