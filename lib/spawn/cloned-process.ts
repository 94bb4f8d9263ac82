/**
 * {@link ClonedProcess}: one program started in its namespaces, watched and
 * reaped through its pidfd; and {@link startCloned}, which opens what a plan
 * needs at spawn time (namespaces to join, nsjs-init) and clones.
 * @module
 */
import * as fs from 'node:fs';

import { binding, initExecutablePath, type NativeExitWatcher, type NativeJoin } from '../binding';
import { ErrorCodes, fromFsError, fromNative, libraryError, systemError } from '../errors';
import { nsPids } from '../inspect';
import { NAMESPACES, nameFromType, type NamespaceName } from '../namespaces';
import { killArgument, signalName } from '../signals';
import type { NormalizedIsolation } from './options';
import { buildPlan } from './plan';
import { spawnError } from './spawn-error';
import { stopsOrResumes } from './stop-signals';

/** How a process ended: an exit code, or the signal that killed it. */
export interface ExitStatus {
  /** The program's exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended the program, or null when it exited. */
  signal: NodeJS.Signals | null;
}

/** One program started by {@link clone}, watched and reaped through its pidfd. */
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
  #watcher: NativeExitWatcher;
  #status: ExitStatus | undefined;
  #exited: Promise<ExitStatus>;
  #init: boolean;

  /** @internal */
  constructor(
    spawned: { pid: number; pidfd: number; nsPid: number; statusFd: number },
    namespaces: NamespaceName[],
    how: { dieWithParent: boolean; init: boolean },
  ) {
    this.pid = spawned.pid;
    this.pidfd = spawned.pidfd;
    this.nsPid = spawned.nsPid;
    this.namespaces = Object.freeze([...namespaces]);
    this.#init = how.init;
    let resolve!: (s: ExitStatus) => void;
    this.#exited = new Promise((r) => (resolve = r));
    this.#watcher = new (binding().ExitWatcher)(spawned.pid, spawned.pidfd, spawned.statusFd, how.dieWithParent, (code, sig) => {
      this.#status = { exitCode: code, signal: signalName(sig) };
      resolve(this.#status);
    });
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
   * Sends a signal through the pidfd. With nsjs-init, signals are forwarded
   * to the program; SIGKILL ends the whole PID namespace. Stop signals
   * (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) stop, and SIGCONT resumes, the whole
   * sandbox (docs/lifecycle.md, "Stopping and resuming"). Returns false when
   * the process has already ended.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const sig = killArgument(signal);
    if (this.#status) return false;
    // nsjs-init itself is never stopped: it keeps reaping and forwarding.
    const errno = stopsOrResumes(sig) ? this.#watcher.signalTree(sig, !this.#init) : this.#watcher.kill(sig);
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
      try {
        fd = fs.openSync(path, fs.constants.O_RDONLY /* libuv adds O_CLOEXEC */);
      } catch (e) {
        throw fromFsError(e);
      }
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

/** @internal Starts the program of a normalized plan on the given child-side stdio fds. */
export function startCloned(n: NormalizedIsolation, stdio: number[]): ClonedProcess {
  let initPath: string | undefined;
  if (n.lifecycle.init) {
    initPath = initExecutablePath();
    if (initPath === undefined) {
      throw libraryError(ErrorCodes.INIT_NOT_FOUND, 'nsjs-init was not found beside the nsjs addon; reinstall nsjs, or pass { init: false }');
    }
  }
  const opened: number[] = [];
  try {
    const plan = buildPlan(n, openJoins(n, opened));
    const native = binding();
    let spawned;
    try {
      spawned = native.spawn({ ...plan, stdio, ...(initPath !== undefined ? { initPath } : {}) });
    } catch (e) {
      throw spawnError(e, n, initPath);
    }
    // In a joined PID namespace nsjs-init stays outside: it reports the program's pid in its own view.
    if (n.namespaces.joined.some((j) => j.type === 'pid')) spawned = { ...spawned, nsPid: nsPids(spawned.nsPid).at(-1) ?? spawned.nsPid };
    return new ClonedProcess(spawned, n.namespaces.created, { dieWithParent: n.lifecycle.dieWithParent, init: n.lifecycle.init });
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
}
