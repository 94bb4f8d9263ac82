/**
 * {@link ClonedProcess}: one program started in its namespaces, watched and
 * reaped through its pidfd; and {@link startCloned}, which opens what a plan
 * needs at spawn time (namespaces to join, nsjs-init) and clones.
 * @module
 */
import * as fs from 'node:fs';

import { binding, initExecutablePath, type NativeExitWatcher, type NativeJoin, type NativeKillMode, type NativePlan, type NativeSpawnResult } from '../binding';
import { ErrorCodes, fromNative, libraryError, systemError } from '../errors';
import { openNamespaceFile } from '../ns-file';
import { nsPids } from '../inspect';
import { NAMESPACES, nameFromType, type NamespaceName } from '../namespaces';
import { killArgument, signalName } from '../signals';
import type { NormalizedIsolation } from './options';
import { landlockRuleset, type LandlockReport, type NormalizedLandlock } from './options/landlock';
import { createCgroup, discardCgroup, endCgroup, type SandboxCgroup } from '../host/cgroup';
import { buildPlan } from './plan';
import { killModeOf, type ResourceUsage } from './usage';
import { spawnError } from './spawn-error';
import { stopsOrResumes } from './stop-signals';

/** How a process ended: an exit code, or the signal that killed it; what it used, and whether it hit a limit. */
export interface ExitStatus {
  /** The program's exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended the program, or null when it exited. */
  signal: NodeJS.Signals | null;
  /** What the sandbox used (see {@link ResourceUsage}). */
  usage: ResourceUsage;
  /** The kernel's OOM killer ended a process of the sandbox at its `limits.memory`. */
  oomKilled: boolean;
  /** A fork in the sandbox failed at its `limits.pids`. */
  pidsLimitHit: boolean;
}

/**
 * A process started by {@link clone}. Its exit is watched on the event loop
 * through its pidfd, and it is reaped by nsjs (never by `waitpid(-1)`, so
 * `child_process` keeps working beside it). `namespaces` lists the types
 * created for it; {@link IsolatedProcess.namespaces} gives their ids.
 */
export class ClonedProcess {
  /** The host pid of the cloned child (nsjs-init, when there is one). */
  readonly pid: number;
  /**
   * A pidfd of the child. Owned by this object: closed once the child has been
   * reaped. Signals sent through it can never reach a recycled pid.
   */
  readonly pidfd: number;
  /** The program's pid inside its PID namespace (1 without init, 2 with it); the host pid without a PID namespace. */
  readonly nsPid: number;
  /** The namespaces created for it. */
  readonly namespaces: readonly NamespaceName[];
  /** With the `landlock` option: the Landlock ABI used and what this kernel could not enforce. */
  readonly landlock: LandlockReport | undefined;
  #watcher: NativeExitWatcher;
  #status: ExitStatus | undefined;
  #exited: Promise<ExitStatus>;
  #init: boolean;
  #cgroup: SandboxCgroup | undefined;

  /** @internal */
  constructor(
    spawned: { pid: number; pidfd: number; nsPid: number; statusFd: number },
    namespaces: NamespaceName[],
    how: { dieWithParent: boolean; init: boolean; killMode: NativeKillMode; cgroup?: SandboxCgroup; landlock?: LandlockReport },
  ) {
    this.pid = spawned.pid;
    this.landlock = how.landlock;
    this.pidfd = spawned.pidfd;
    this.nsPid = spawned.nsPid;
    this.namespaces = Object.freeze([...namespaces]);
    this.#init = how.init;
    this.#cgroup = how.cgroup;
    let resolve!: (s: ExitStatus) => void;
    this.#exited = new Promise((r) => (resolve = r));
    this.#watcher = new (binding().ExitWatcher)(spawned.pid, spawned.pidfd, spawned.statusFd, how.dieWithParent, how.killMode, (code, sig, usage) => {
      const status = { exitCode: code, signal: signalName(sig), usage: { ...usage }, oomKilled: false, pidsLimitHit: false };
      const finish = (s: ExitStatus) => resolve((this.#status = s));
      if (!this.#cgroup) return finish(status);
      // The sandbox ends with its program: what is left in its cgroup is killed, then the cgroup removed.
      void endCgroup(this.#cgroup).then(({ memoryPeakBytes, oomKilled, pidsLimitHit }) =>
        finish({ ...status, usage: { ...status.usage, ...(memoryPeakBytes !== undefined ? { memoryPeakBytes } : {}) }, oomKilled, pidsLimitHit }),
      );
    });
    // A Worker's teardown runs no JavaScript: the addon ends and removes the cgroup then.
    if (this.#cgroup) {
      const t = this.#cgroup.teardown();
      this.#watcher.setCgroups(t.entries, t.parents);
    }
  }

  /** Resolves when the program has ended (never rejects). */
  wait(): Promise<ExitStatus> {
    return this.#exited;
  }

  /** How it ended, once it has. */
  get exitStatus(): ExitStatus | undefined {
    return this.#status;
  }

  /**
   * Sends a signal to the sandbox. With nsjs-init, signals are forwarded
   * to the program; SIGKILL ends the whole PID namespace. Without a PID
   * namespace of its own, every process of the sandbox gets it: its process
   * group and every process below the program (docs/lifecycle.md, "Killing a
   * whole sandbox"). Stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) stop,
   * and SIGCONT resumes, the whole sandbox (docs/lifecycle.md, "Stopping and
   * resuming"). Returns false when the process has already ended.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const sig = killArgument(signal);
    if (this.#status) return false;
    // nsjs-init itself is never stopped: it keeps reaping and forwarding.
    // With a cgroup, SIGKILL reaches every process in it, also one that left the tree and the group.
    if (sig === 9 /* SIGKILL */) this.#cgroup?.kill();
    const errno = stopsOrResumes(sig) ? this.#watcher.signalTree(sig, !this.#init) : sig === 0 ? this.#watcher.kill(0) : this.#watcher.killSandbox(sig);
    if (errno === 0) return true;
    if (errno === 3 /* ESRCH */) return false;
    throw systemError(errno, { syscall: 'pidfd_send_signal' });
  }

  /** Keep the event loop alive while the process runs (the default). */
  ref(): void {
    this.#watcher.ref();
  }

  /** Let the event loop exit while the process still runs. */
  unref(): void {
    this.#watcher.unref();
  }
}

const ENOTTY = 25;
const EINVAL = 22;

/** Opens (or takes) each namespace to join, and checks its type, before clone. */
function openJoins(n: NormalizedIsolation, opened: number[]): NativeJoin[] {
  const native = binding();
  return n.namespaces.joined.map(({ type, target }) => {
    const path = typeof target === 'string' ? target : undefined;
    let fd = target as number;
    if (path !== undefined) {
      fd = openNamespaceFile(path, `join.${type}`);
      opened.push(fd);
    }
    let actual: number;
    try {
      actual = native.nsType(fd);
    } catch (e) {
      const err = fromNative(e, { path }) as { errno?: number };
      if (err.errno === -ENOTTY) throw systemError(EINVAL, { syscall: 'setns', path, hint: `the join target for '${type}' is not a namespace file` });
      throw err;
    }
    if (actual !== NAMESPACES[type].flag) {
      throw systemError(EINVAL, { syscall: 'setns', path, hint: `join.${type} is a ${nameFromType(actual) ?? 'different'} namespace, not a ${type} namespace` });
    }
    return { fd, nstype: actual };
  });
}

/** The Landlock ruleset, made before clone; a path it cannot open or add is reported with its name. */
function openLandlock(l: NormalizedLandlock, initPath: string | undefined, opened: number[]): number | undefined {
  let fd: number | undefined;
  try {
    fd = landlockRuleset(l, initPath);
  } catch (e) {
    const op = (e as { nativeOp?: number }).nativeOp;
    const rule = op !== undefined ? l.spec.paths[op] : undefined;
    throw fromNative(e, rule ? { path: rule.path } : {});
  }
  if (fd !== undefined) opened.push(fd);
  return fd;
}

/** The pid inside a joined PID namespace of a program nsjs-init reported by its outside pid. */
function nsPidInside(outside: number): number {
  try {
    return nsPids(outside).at(-1) ?? outside;
  } catch {
    // A short program may be gone, and reaped by nsjs-init, before its status is read: its pid inside is lost with it.
    return outside;
  }
}

/** The cgroup fds of a spawn: cgroup.procs files for the parent phase, a v2 directory to clone into. */
type CgroupFds = Pick<SandboxCgroup, 'procsFds' | 'dirFd'>;
const NO_CGROUP: CgroupFds = { procsFds: [], dirFd: undefined };

/** The native plan of `n`, with the join targets opened: `close()` them once the clone returned. */
function preparePlan(n: NormalizedIsolation, stdio: number[], cgroup: CgroupFds): { plan: NativePlan; initPath: string | undefined; close(): void } {
  let initPath: string | undefined;
  if (n.lifecycle.init) {
    initPath = initExecutablePath();
    if (initPath === undefined) {
      throw libraryError(ErrorCodes.INIT_NOT_FOUND, 'nsjs-init was not found beside the nsjs addon; reinstall nsjs, or pass { init: false }');
    }
  }
  const opened: number[] = [];
  const close = () => opened.splice(0).forEach((fd) => fs.closeSync(fd));
  try {
    const landlockFd = n.landlock && openLandlock(n.landlock, initPath, opened);
    const base = buildPlan(n, openJoins(n, opened));
    // A set's holder runs nsjs-init as its program: by nsjs-init's sealed fd, never by a path the sandbox's ids may not reach.
    const self = initPath === undefined ? initExecutablePath() : undefined;
    const holder = self !== undefined && base.execPaths.length === 1 && base.execPaths[0] === self ? { initPath: self, programIsInit: true } : {};
    const plan = { ...base, stdio, cgroupProcs: cgroup.procsFds, ...(cgroup.dirFd !== undefined ? { cgroupFd: cgroup.dirFd } : {}), ...(initPath !== undefined ? { initPath } : {}), ...holder, ...(landlockFd !== undefined ? { landlockFd } : {}) };
    return { plan, initPath, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** In a joined PID namespace nsjs-init stays outside: it reports the program's pid in its own view. */
function finishSpawn(n: NormalizedIsolation, spawned: NativeSpawnResult): NativeSpawnResult {
  return n.namespaces.joined.some((j) => j.type === 'pid') ? { ...spawned, nsPid: nsPidInside(spawned.nsPid) } : spawned;
}

/** @internal Clones the child of a normalized plan on the given child-side stdio fds: the addon's result, not yet watched. */
export function spawnNative(n: NormalizedIsolation, stdio: number[], cgroup: CgroupFds = NO_CGROUP): NativeSpawnResult {
  const { plan, initPath, close } = preparePlan(n, stdio, cgroup);
  try {
    return finishSpawn(n, binding().spawn(plan));
  } catch (e) {
    throw spawnError(e, n, initPath);
  } finally {
    close();
  }
}

/** @internal spawnNative off the event loop; `stdio` must stay open until it settles. */
export function spawnNativeAsync(n: NormalizedIsolation, stdio: number[]): Promise<NativeSpawnResult> {
  const { plan, initPath, close } = preparePlan(n, stdio, NO_CGROUP);
  return new Promise((resolve, reject) => {
    binding().spawnAsync(plan, (err, spawned) => {
      close();
      if (err) reject(spawnError(err, n, initPath));
      else resolve(finishSpawn(n, spawned as NativeSpawnResult));
    });
  });
}

/** @internal Starts the program of a normalized plan on the given child-side stdio fds. */
export function startCloned(n: NormalizedIsolation, stdio: number[]): ClonedProcess {
  // The cgroup exists before clone: the child is cloned into it (v2) or joins it in the parent phase (v1), before it runs code of its own.
  const cgroup = n.limits ? createCgroup(n.limits, n.lifecycle.dieWithParent) : undefined;
  let spawned: NativeSpawnResult;
  try {
    spawned = spawnNative(n, stdio, cgroup ?? NO_CGROUP);
  } catch (e) {
    // Setup failed: the child is reaped, so the cgroup is empty.
    if (cgroup) discardCgroup(cgroup);
    throw e;
  } finally {
    cgroup?.closeFds();
  }
  return new ClonedProcess(spawned, n.namespaces.created, {
    dieWithParent: n.lifecycle.dieWithParent,
    init: n.lifecycle.init,
    killMode: killModeOf(n),
    cgroup,
    landlock: n.landlock?.report,
  });
}
