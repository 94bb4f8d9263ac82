/**
 * {@link probe}: what works on this host for this caller, and why — tried in
 * throwaway children where it can be tried, read from the kernel where not.
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

import { addonPath, binding } from '../binding';
import { NAMESPACE_NAMES, type NamespaceName } from '../namespaces';
import { callerKind, rootSubordinateRange, type SubordinateRange } from '../spawn/options/identity';
import { normalizeIsolation } from '../spawn/options';
import { spawnIsolated, type SpawnIsolatedOptions } from '../spawn/spawn-isolated';
import { cgroupFacts, type CgroupFacts } from './cgroup';
import { readTrimmed, type ProbeFact } from './fact';
import { userNamespaceFact, userNamespaceSettings, type UserNamespaceSettings } from './userns';

export type { ProbeFact } from './fact';
export type { CgroupFacts } from './cgroup';
export type { UserNamespaceSettings } from './userns';
export type { SubordinateRange } from '../spawn/options/identity';

/** {@link ProbeResult.userNamespaces}: the fact, and the settings it was judged by. */
export interface UserNamespaceFact extends ProbeFact {
  /** The sysctls and AppArmor state as read. */
  settings: UserNamespaceSettings;
}

/** {@link ProbeResult.landlock}. */
export interface LandlockFact extends ProbeFact {
  /** The Landlock ABI version, when there is one. */
  abi?: number;
}

/** {@link ProbeResult.subordinateIds}. */
export interface SubordinateIdsFact extends ProbeFact {
  /** Where newuidmap is, if on PATH. */
  newuidmap?: string;
  /** This user's first range in /etc/subuid. */
  uids?: SubordinateRange;
  /** This user's first range in /etc/subgid. */
  gids?: SubordinateRange;
}

/** {@link ProbeResult.binary}. */
export interface BinaryFact extends ProbeFact {
  /** The addon file loaded (a prebuild, or build/Release). */
  path?: string;
}

/** {@link ProbeResult.host}. */
export interface HostFacts {
  /** `uname -r`. */
  kernel: string;
  /** Node's `process.arch`. */
  arch: string;
  /** The caller's effective uid. */
  uid: number;
  /** 'host-root', 'userns-root' or 'unprivileged' (docs/security.md, "Which host ids a sandbox runs as"). */
  caller: string;
}

/** What {@link probe} found. */
export interface ProbeResult {
  /** Can this caller create a user namespace (a clone tried), and which setting forbids it if not. */
  userNamespaces: UserNamespaceFact;
  /** Each namespace type, tried alone in a throwaway child (with a user namespace when not root). */
  namespaces: Record<NamespaceName, ProbeFact>;
  /** pidfds (Linux 5.3): nsjs watches and signals its children through them; nothing works without. */
  pidfd: ProbeFact;
  /** clone3 with CLONE_INTO_CGROUP (Linux 5.7): a child started inside its cgroup (cgroup v2 limits). */
  cloneIntoCgroup: ProbeFact;
  /** The cgroup version and the controllers this caller may use. */
  cgroup: CgroupFacts;
  /** seccomp filters (SECCOMP_MODE_FILTER), by the kernel's own report. */
  seccomp: ProbeFact;
  /** libseccomp, which compiles nsjs's filters (Debian `libseccomp2`): the default filter was compiled. */
  libseccomp: ProbeFact;
  /** Landlock and its ABI version (landlock_create_ruleset), usable without privileges or namespaces. */
  landlock: LandlockFact;
  /** newuidmap/newgidmap (Debian `uidmap`) and this user's ranges in /etc/subuid and /etc/subgid. */
  subordinateIds: SubordinateIdsFact;
  /** The native binary in use. */
  binary: BinaryFact;
  /** Kernel release, architecture, caller. */
  host: HostFacts;
}

function kernelAtLeast(major: number, minor: number): boolean {
  const [a, b] = os.release().split('.').map((x) => parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

/** Starts `true` with these options; resolves undefined when it ran, else the error. */
function attempt(options: SpawnIsolatedOptions): Promise<{ code?: string; message?: string; hint?: string } | undefined> {
  return new Promise((resolve) => {
    try {
      const c = spawnIsolated('true', [], { stdio: 'ignore', ...options });
      c.on('error', (e) => resolve(e as { code?: string }));
      c.on('exit', (code) => resolve(code === 0 ? undefined : { code: `exit ${code}` }));
    } catch (e) {
      resolve(e as { code?: string });
    }
  });
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/usr/sbin'])) {
    try {
      fs.accessSync(`${dir}/${name}`, fs.constants.X_OK);
      return `${dir}/${name}`;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** This user's first range in a subordinate id file, by name or by uid. */
function ownRange(file: string): SubordinateRange | undefined {
  if (callerKind() === 'host-root') return rootSubordinateRange(file);
  const uid = process.geteuid?.() ?? 0;
  const name = os.userInfo().username;
  for (const line of (readTrimmed(file) ?? '').split('\n')) {
    const [owner, start, count] = line.split(':');
    if (owner === name || owner === String(uid)) return { start: Number(start), count: Number(count) };
  }
  return undefined;
}

/**
 * What works on this host for this caller, each as `{ ok, reason, hint? }`.
 * Tries what can be tried (a clone into each namespace type, in throwaway
 * children that exit at once) and reads the rest from the kernel: user
 * namespace settings (max_user_namespaces, unprivileged_userns_clone,
 * AppArmor's restriction and this process's profile), pidfd and
 * CLONE_INTO_CGROUP, cgroup version and usable controllers, seccomp,
 * Landlock, subordinate ids, and the native binary in use. Never throws for a
 * missing feature; a fact says so.
 */
export async function probe(): Promise<ProbeResult> {
  const root = process.geteuid?.() === 0;
  const settings = userNamespaceSettings();
  const user = await attempt({ namespaces: ['user'], init: false });
  const namespaces = {} as Record<NamespaceName, ProbeFact>;
  for (const type of NAMESPACE_NAMES) {
    const tried = type === 'user' ? user : await attempt({ namespaces: [type], init: false, mountProc: false });
    namespaces[type] = tried === undefined ? { ok: true, reason: `a throwaway child was cloned into a new ${type} namespace` } : { ok: false, reason: `clone into a new ${type} namespace failed: ${tried.code ?? 'error'}`, ...(tried.hint ? { hint: tried.hint } : {}) };
  }
  let binary: ProbeResult['binary'];
  try {
    binary = { ok: true, reason: 'the addon loaded', path: addonPath() };
  } catch (e) {
    binary = { ok: false, reason: (e as Error).message, hint: (e as { hint?: string }).hint };
  }
  let libseccomp: ProbeFact;
  try {
    normalizeIsolation('true', [], { namespaces: [], init: false }, []); // compiles the default filter
    libseccomp = { ok: true, reason: 'the default filter was compiled with libseccomp' };
  } catch (e) {
    libseccomp = { ok: false, reason: (e as Error).message, hint: (e as { hint?: string }).hint ?? 'apt-get install libseccomp2' };
  }
  const seccompMode = /^Seccomp:\s*(\d)/m.exec(readTrimmed('/proc/self/status') ?? '')?.[1];
  const actions = readTrimmed('/proc/sys/kernel/seccomp/actions_avail');
  let abi = -38; /* ENOSYS */
  try {
    abi = binding().landlockAbi();
  } catch {
    /* no binary: binary says why */
  }
  const newuidmap = which('newuidmap');
  const uids = ownRange('/etc/subuid');
  const gids = ownRange('/etc/subgid');
  return {
    userNamespaces: { ...userNamespaceFact(user, settings, root), settings },
    namespaces,
    pidfd: kernelAtLeast(5, 3) ? { ok: true, reason: `Linux ${os.release()} has pidfd_open (5.3)` } : { ok: false, reason: `Linux ${os.release()} is older than 5.3`, hint: 'nsjs needs Linux 5.3 or newer' },
    cloneIntoCgroup: kernelAtLeast(5, 7) ? { ok: true, reason: `Linux ${os.release()} has clone3 CLONE_INTO_CGROUP (5.7)` } : { ok: false, reason: `Linux ${os.release()} is older than 5.7` },
    cgroup: cgroupFacts(),
    libseccomp,
    seccomp: seccompMode !== undefined && actions !== undefined ? { ok: true, reason: `seccomp filters are available (actions: ${actions})` } : { ok: false, reason: 'the kernel reports no seccomp filter support' },
    landlock:
      abi > 0
        ? { ok: true, reason: `Landlock ABI ${abi}`, abi }
        : abi === -95
          ? { ok: false, reason: 'Landlock is built into this kernel but not enabled', hint: 'boot with lsm=…,landlock' }
          : { ok: false, reason: 'this kernel has no Landlock (5.13+ with CONFIG_SECURITY_LANDLOCK)' },
    subordinateIds: {
      ok: newuidmap !== undefined && uids !== undefined && gids !== undefined,
      reason: `${newuidmap ? `newuidmap at ${newuidmap}` : 'no newuidmap on PATH'}; ${uids ? `subordinate uids ${uids.start}+${uids.count}` : 'no range in /etc/subuid'}; ${gids ? `gids ${gids.start}+${gids.count}` : 'no range in /etc/subgid'}`,
      ...(newuidmap ? { newuidmap } : { hint: 'apt-get install uidmap' }),
      ...(uids ? { uids } : {}),
      ...(gids ? { gids } : {}),
    },
    binary,
    host: { kernel: os.release(), arch: process.arch, uid: process.geteuid?.() ?? -1, caller: callerKind() },
  };
}
