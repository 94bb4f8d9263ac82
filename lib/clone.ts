/**
 * `clone()`: the low-level primitive under {@link spawnIsolated}. One program,
 * started in new namespaces, set up between clone and exec.
 * @module
 */
import { binding, initExecutablePath, type NativeExitWatcher } from './binding';
import { ErrorCodes, isNativeError, libraryError, systemError } from './errors';
import type { NamespaceName } from './namespaces';
import { signalName, signalNumber } from './signals';
import { normalizeIsolation, validateFdList, type IsolationOptions, type NormalizedIsolation } from './spawn/options';
import { userNamespaceHint } from './spawn/userns-hint';
import { optionsObject } from './validate';

/** Options of {@link clone}: what to run, on which fds, in which namespaces. */
export interface CloneOptions extends IsolationOptions {
  /** The program: a path, or a name looked up in `env.PATH` as execvp does. */
  command: string;
  /** Its arguments (without argv[0]). */
  args?: readonly string[];
  /** The fd to put on each of the child's fds 0, 1, 2, …; `null` leaves it closed. @default [0, 1, 2] */
  stdio?: readonly (number | null)[];
}

/** How a process ended: an exit code, or the signal that killed it. */
export interface ExitStatus {
  /** The program's exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended the program, or null when it exited. */
  signal: NodeJS.Signals | null;
}

const EPERM = 1;
const USERNS_REFUSALS = new Set([1 /* EPERM */, 13 /* EACCES */, 28 /* ENOSPC */, 87 /* EUSERS */]);
const STEP_PATHS: Record<string, string> = {
  'set-propagation': '/',
  'mount-proc': '/proc',
  'uid-map': '/proc/self/uid_map',
  setgroups: '/proc/self/setgroups',
  'gid-map': '/proc/self/gid_map',
  'time-offsets': '/proc/self/timens_offsets',
};

/** @internal Turns a failed native spawn into the error the user sees. */
export function spawnError(e: unknown, n: NormalizedIsolation, initPath: string | undefined): unknown {
  if (!isNativeError(e)) return e;
  const step = e.nativeStep;
  const errno = e.nativeErrno;
  if (step === 'exec') {
    // Exactly as child_process reports a missing or non-executable program.
    const err = systemError(errno, { syscall: `spawn ${n.command}`, path: n.command, spawnargs: n.args, step });
    err.message = `spawn ${n.command} ${err.code}`;
    return err;
  }
  if (step === 'init') {
    return libraryError(ErrorCodes.INIT_FAILED, 'nsjs-init ended before it could start the program', { step });
  }
  const fields = {
    syscall: e.nativeSyscall,
    step,
    path: step === 'chdir' ? n.plan.cwd : step === 'exec-init' ? initPath : step ? STEP_PATHS[step] : undefined,
  };
  const userns = n.namespaces.includes('user');
  const refused =
    (step === 'clone' && userns && USERNS_REFUSALS.has(errno)) ||
    ((step === 'uid-map' || step === 'setgroups' || step === 'gid-map') && errno === EPERM);
  if (refused) return systemError(errno, { ...fields, code: ErrorCodes.USERNS_UNAVAILABLE, hint: userNamespaceHint() });
  return systemError(errno, fields);
}

/**
 * A process started by {@link clone}. Its exit is watched on the event loop
 * through its pidfd, and it is reaped by nsjs (never by `waitpid(-1)`, so
 * `child_process` keeps working beside it).
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
  #watcher: NativeExitWatcher;
  #status: ExitStatus | undefined;
  #exited: Promise<ExitStatus>;

  /** @internal */
  constructor(
    spawned: { pid: number; pidfd: number; nsPid: number; statusFd: number },
    namespaces: NamespaceName[],
    dieWithParent: boolean,
  ) {
    this.pid = spawned.pid;
    this.pidfd = spawned.pidfd;
    this.nsPid = spawned.nsPid;
    this.namespaces = Object.freeze([...namespaces]);
    let resolve!: (s: ExitStatus) => void;
    this.#exited = new Promise((r) => (resolve = r));
    this.#watcher = new (binding().ExitWatcher)(spawned.pidfd, spawned.statusFd, dieWithParent, (code, sig) => {
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
   * Sends a signal through the pidfd. With nsjs-init, every signal but
   * SIGKILL/SIGSTOP is forwarded to the program; SIGKILL ends the whole PID
   * namespace. Returns false when the process has already ended.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const sig = signalNumber(signal, 'signal');
    if (this.#status) return false;
    const errno = this.#watcher.kill(sig);
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

/** @internal Clones with a normalized plan and child-side stdio fds. */
export function cloneNormalized(n: NormalizedIsolation, stdio: number[]): ClonedProcess {
  let initPath: string | undefined;
  if (n.init) {
    initPath = initExecutablePath();
    if (initPath === undefined) {
      throw libraryError(ErrorCodes.INIT_NOT_FOUND, 'nsjs-init was not found beside the nsjs addon; reinstall nsjs, or pass { init: false }');
    }
  }
  const native = binding();
  try {
    const spawned = native.spawn({ ...n.plan, stdio, initPath });
    return new ClonedProcess(spawned, n.namespaces, n.dieWithParent);
  } catch (e) {
    throw spawnError(e, n, initPath);
  }
}

/**
 * Starts one program in new namespaces and returns as soon as it was
 * exec'd. Namespaces and setup (maps, propagation, hostname, /proc, lo,
 * session, fds) happen in the child between clone and exec.
 *
 * @throws {TypeError|RangeError} bad options, before anything is done.
 * @throws {NamespaceError} a setup step failed (`err.step`); nothing is left behind.
 */
export function clone(options: CloneOptions): ClonedProcess {
  const o = optionsObject(options);
  const n = normalizeIsolation(o.command, o.args, o);
  const stdio = o.stdio === undefined ? [0, 1, 2] : validateFdList(o.stdio, 'options.stdio');
  return cloneNormalized(n, stdio);
}

