/**
 * The native addon, typed once. Nothing else in nsjs touches it untyped.
 * @internal
 * @module
 */
import * as path from 'node:path';
import * as fs from 'node:fs';

import { noBinaryError } from './no-binary';

/** One setup op, as the child's `mounts` step runs it (src-native/core/ops.def). */
export interface NativeOp {
  /** The op's kind. */
  kind: 'dir' | 'tmpfs' | 'bind' | 'proc' | 'mqueue' | 'dev' | 'symlink' | 'file' | 'overlay';
  /** Where, in the sandbox's view: absolute, resolved below its root. */
  target: string;
  /** bind: the host path; symlink: what the link says; file: its name in the staging tmpfs. */
  source?: string;
  /** tmpfs, overlay: fsconfig parameters, in order (a null value: a flag). */
  params: [string, string | null][];
  /** file: its content. */
  data?: Buffer;
  /** dir, file: the mode of what is made. */
  mode: number;
  /** bind, file, overlay: read-only (a bind all the way down), set before it is attached. */
  readonly: boolean;
  /** bind: a missing source skips the op. */
  optional: boolean;
  /** overlay: upperdir and workdir are names made first in the staging tmpfs. */
  tmpUpper: boolean;
}

/** An existing namespace to join: an fd the parent opened, and its CLONE_NEW* type. */
export interface NativeJoin {
  /** An fd of the namespace file, opened by the parent. */
  fd: number;
  /** Its CLONE_NEW* type, as NS_GET_NSTYPE said. */
  nstype: number;
}

/** A resource limit as setrlimit takes it; Infinity is RLIM_INFINITY. */
export interface NativeRlimit {
  /** As prlimit(1) names it ('nofile', 'cpu', …); the addon maps it to RLIMIT_*. */
  name: string;
  /** The soft limit; Infinity: RLIM_INFINITY. */
  soft: number;
  /** The hard limit (>= soft); Infinity: RLIM_INFINITY. */
  hard: number;
}

/**
 * A spawn plan as the addon reads it (src-native/core/nsjs.h, nsjs_plan):
 * every string already validated. The glue refuses a plan with an unknown,
 * missing or mistyped key, so a renamed field can never read as 0.
 */
export interface NativePlan {
  /** CLONE_NEW* made by clone itself (no CLONE_NEWTIME: that is `timeOffsets`). */
  cloneFlags: number;
  /** CLONE_VM|CLONE_VFORK (true) or a fork-style clone. */
  useVm: boolean;
  /** Namespaces joined first, in this order (the user namespace first). */
  joins: NativeJoin[];
  /** CLONE_NEW* made after the joins, so that a joined user namespace owns them. */
  unshareFlags: number;
  /** Written to /proc/PID/uid_map: one "inside outside count" line; with gidMap, or neither. */
  uidMap?: string;
  /** Written to /proc/PID/gid_map, as uidMap. */
  gidMap?: string;
  /** Write "deny" to /proc/PID/setgroups before gid_map (what an unprivileged caller must do). */
  denySetgroups: boolean;
  /** The parent writes the maps (ranges the child may not write itself) while the child waits. */
  mapsByParent: boolean;
  /** With mapsByParent, for a caller who is not root: newuidmap/newgidmap write the maps, run as `helper <pid> <inside> <outside> <count>…`. */
  uidMapHelper?: string;
  /** The helper that writes gid_map, with uidMapHelper (newgidmap). */
  gidMapHelper?: string;
  /** Run the program as uid/gid inside (setresgid, setresuid): needs a new or joined user namespace. */
  setIdentity: boolean;
  /** With setIdentity, setgroups([]) first: 0 keep the groups, 1 drop them or fail, 2 drop them where the namespace allows (a joined one may deny setgroups). */
  clearGroups: 0 | 1 | 2;
  /** The uid inside, with setIdentity. */
  uid: number;
  /** The gid inside, with setIdentity. */
  gid: number;
  /** mount(NULL, "/", NULL, flags) in the new mount namespace first: MS_REC|MS_PRIVATE &c.; 0 leaves it. */
  propagation: number;
  /** 0: the host's tree; 1: an empty tmpfs becomes /; 2: rootfsPath becomes / (pivot_root in both). */
  rootfs: 0 | 1 | 2;
  /** rootfs 2: the host directory. */
  rootfsPath?: string;
  /** A staging tmpfs for file contents and tmpfs uppers (always there with a new root). */
  staging: boolean;
  /** The root mount read-only after the ops. */
  readonlyRoot: boolean;
  /** uid=/gid= of every tmpfs nsjs makes: the program's ids, when the child's own are not mapped yet. */
  tmpfsUid?: string;
  /** With tmpfsUid. */
  tmpfsGid?: string;
  /** The setup ops, run in order by the mounts step. */
  ops: NativeOp[];
  /** The lock-mounts step: a nested user namespace with these maps, and a mount namespace it owns. */
  lockUidMap?: string;
  /** With lockUidMap. */
  lockGidMap?: string;
  /** sethostname / setdomainname inside the new UTS namespace. */
  hostname?: string;
  /** setdomainname inside the new UTS namespace. */
  domainname?: string;
  /** A fresh proc on /proc, made private first. */
  mountProc: boolean;
  /** Bring lo up. */
  loopbackUp: boolean;
  /** unshare(CLONE_NEWTIME) and write these offsets ('' for none); absent: no time namespace. */
  timeOffsets?: string;
  /** setsid() before exec. */
  newSession: boolean;
  /** PR_SET_NO_NEW_PRIVS before exec. */
  noNewPrivs: boolean;
  /** PR_SET_PDEATHSIG(SIGKILL), tied to a thread that lives as long as the process. */
  dieWithParent: boolean;
  /** chdir() there, as the program's identity. */
  cwd?: string;
  /** The source fd of each of the child's fds 0..n-1 (-1: closed). */
  stdio: number[];
  /** execvp's PATH candidates, tried in order. */
  execPaths: string[];
  /** The program's argv, argv[0] included. */
  argv: string[];
  /** The program's whole environment, "KEY=value" each. */
  envp: string[];
  /** nsjs-init, when the program runs under it. */
  initPath?: string;
  /** The program is nsjs-init itself (a set's holder), exec'd by the same sealed fd as init: execPaths is exactly [initPath]. */
  programIsInit?: boolean;
  /** The capability numbers to keep: every set is cut to them last before exec; absent: no cut. */
  capabilities?: number[];
  /** The BPF program (struct sock_filter[]) compileSeccomp made, loaded last before exec; absent: none. */
  seccompFilter?: Uint8Array;
  /** A Landlock ruleset fd (landlockRuleset) the child restricts itself to after chdir; absent: none. */
  landlockFd?: number;
  /** Resource limits, set with the caller's privileges before the program runs (step rlimits). */
  rlimits: NativeRlimit[];
  /** Open cgroup.procs files (v1 hierarchies, and v2): the parent writes the child's pid to each while it waits (step cgroup). */
  cgroupProcs: number[];
  /** A cgroup v2 directory fd, its cgroup.procs among cgroupProcs: the child is cloned into it (clone3 CLONE_INTO_CGROUP, step clone); absent: none. */
  cgroupFd?: number;
}

/** A Landlock ruleset for landlockRuleset: LANDLOCK_ACCESS_* masks, the rights for this kernel's ABI. */
export interface NativeLandlockSpec {
  handledFs: number;
  handledNet: number;
  scoped: number;
  /** Each opened O_PATH; a file gets only the rights a file can have. */
  paths: { path: string; access: number }[];
  ports: { port: number; access: number }[];
}

/** A seccomp filter for compileSeccomp: libseccomp's action numbers and architecture names. */
export interface NativeSeccompSpec {
  defaultAction: number;
  /** libseccomp names ('x86_64', 'x86', 'x32'); empty: the native one. */
  arches: string[];
  /** `op`: libseccomp's enum scmp_compare (1 NE .. 7 MASKED_EQ); `a`, `b` its datum_a and datum_b. */
  rules: { name: string; action: number; args: { index: number; op: number; a: number; b: number }[] }[];
}

/** Why compileSeccomp made no program: no libseccomp, an unknown name, or libseccomp refused (errno). */
export interface NativeSeccompFailure {
  error: 'no-library' | 'bad-name' | 'failed';
  name?: string;
  errno: number;
  /** The libseccomp version loaded ('' when none). */
  version: string;
}

export interface NativeSpawnResult {
  pid: number;
  pidfd: number;
  statusFd: number;
  nsPid: number;
}

export interface NativeExitWatcher {
  ref(): void;
  unref(): void;
  /** 0, or a positive errno. */
  kill(signal: number): number;
  /**
   * The signal to every process under the child, and to the child itself
   * with includeRoot; a SIGTSTP/SIGTTIN/SIGTTOU a process leaves at its
   * default action goes as SIGSTOP. 0, or a positive errno.
   */
  signalTree(signal: number, includeRoot: boolean): number;
  /** The signal to every process of the sandbox, as the watcher's kill mode says. 0, or a positive errno. */
  killSandbox(signal: number): number;
  /**
   * The sandbox's cgroups ([directory, its /proc/PID/cgroup line]) and parents
   * to remove when empty: with killOnTeardown, the environment's teardown kills
   * what is in them (cgroup.kill, else the walk), waits up to 2 s, and removes them.
   */
  setCgroups(entries: [dir: string, member: string][], parents: string[]): void;
}

/** The rusage of a reaped child (with every descendant it waited for). */
export interface NativeUsage {
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssBytes: number;
}

/**
 * How a kill reaches a whole sandbox: 0 through its PID namespace's init
 * (the kernel kills the rest); 1 by a walk of the tree under the child; 2 the
 * walk and the child's process group (it ran setsid).
 */
export type NativeKillMode = 0 | 1 | 2;

export interface NativeExitWatcherConstructor {
  new (
    pid: number,
    pidfd: number,
    statusFd: number,
    killOnTeardown: boolean,
    killMode: NativeKillMode,
    onExit: (code: number | null, signal: number, usage: NativeUsage) => void,
  ): NativeExitWatcher;
}

export interface NativeRecordWatcher {
  ref(): void;
  unref(): void;
}

export interface NativeRecordWatcherConstructor {
  /** Watches a pooled set's socket (and owns it): onExit(wait status), or -1 when it closed without one. */
  new (fd: number, onExit: (status: number) => void): NativeRecordWatcher;
}

export interface NativeConstants {
  CLONE_NEWNS: number;
  CLONE_NEWUTS: number;
  CLONE_NEWIPC: number;
  CLONE_NEWUSER: number;
  CLONE_NEWPID: number;
  CLONE_NEWNET: number;
  CLONE_NEWCGROUP: number;
  CLONE_NEWTIME: number;
  CLONE_FS: number;
  MS_REC: number;
  MS_PRIVATE: number;
  MS_SLAVE: number;
  MS_SHARED: number;
}

export interface NativeBinding {
  unshare(flags: number): void;
  setRootPropagation(flags: number): void;
  setns(fd: number, nstype: number): void;
  nsType(fd: number): number;
  sethostname(name: Buffer): void;
  setdomainname(name: Buffer): void;
  /** true: mounted (a mount point made private first); false: a directory in a shared mount, or that cannot be told: nothing mounted. */
  mountProc(target: string): boolean;
  /** Bind-mounts the namespace file `fd` at `target` (which must exist). */
  bindNamespace(fd: number, target: string): void;
  /** umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW). */
  unmount(target: string): void;
  /** The inode of the user namespace that owns the namespace `fd` (NS_GET_USERNS). */
  nsOwner(fd: number): number;
  /** An fd (O_CLOEXEC) of the parent of the user namespace open as `fd`. */
  nsParentFd(fd: number): number;
  /** Sends a pooled spawn's request with its fds 0-2 to a ready set's holder; returns the program's pid inside (blocks until the holder answers). */
  poolStart(sock: number, request: Buffer, fds: [number, number, number]): number;
  /** socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC). */
  seqpacketPair(): [number, number];
  socketpair(): [number, number];
  closeFd(fd: number): void;
  /** The highest Landlock ABI of this kernel, or -errno (-EOPNOTSUPP: disabled, -ENOSYS: absent). */
  landlockAbi(): number;
  /** Stops, then SIGKILLs, every process listed in a cgroup v1's cgroup.procs that /proc/PID/cgroup shows in it (the `member` line). */
  killCgroup(procsPath: string, member: string): void;
  spawn(plan: NativePlan): NativeSpawnResult;
  /** The same clone off the event loop (a pool's refills); the plan's fds must stay open until the callback. */
  spawnAsync(plan: NativePlan, callback: (err: Error | null, result?: NativeSpawnResult) => void): void;
  /** Compiles a filter with libseccomp (loaded by dlopen on first use) to a BPF program. */
  compileSeccomp(spec: NativeSeccompSpec): Uint8Array | NativeSeccompFailure;
  /** Makes a Landlock ruleset (CLOEXEC fd); a failure names the path or port by its index (nativeOp). */
  landlockRuleset(spec: NativeLandlockSpec): number;
  ExitWatcher: NativeExitWatcherConstructor;
  RecordWatcher: NativeRecordWatcherConstructor;
  constants: NativeConstants;
}

const packageRoot = path.join(__dirname, '..');

// node-gyp-build picks prebuilds/<platform>-<arch>/ or build/Release/.
const loader = require('node-gyp-build') as { (dir: string): unknown; resolve(dir: string): string };

let resolvedPath: string | undefined;
let loaded: NativeBinding | undefined;

/**
 * The addon, loaded on first use so that `import 'nsjs'` never fails on its
 * own. Throws ERR_NSJS_NO_BINARY when no prebuild fits and none was built.
 */
export function binding(): NativeBinding {
  if (loaded === undefined) {
    try {
      resolvedPath = loader.resolve(packageRoot);
      loaded = loader(packageRoot) as NativeBinding;
    } catch (e) {
      throw noBinaryError(packageRoot, resolvedPath, e);
    }
  }
  return loaded;
}

/** The file the addon was loaded from (a prebuild or build/Release); loads it first. */
export function addonPath(): string {
  binding();
  return resolvedPath as string;
}

let initPath: string | null | undefined;

/** nsjs-init ships beside the addon it was built with; looked up once, off the spawn path. */
export function initExecutablePath(): string | undefined {
  if (initPath === undefined) {
    const candidate = path.join(path.dirname(addonPath()), 'nsjs-init');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      initPath = candidate;
    } catch {
      initPath = null;
    }
  }
  return initPath ?? undefined;
}
