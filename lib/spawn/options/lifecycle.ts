/**
 * The lifecycle family: the init, the session, death with the parent, and
 * (for spawnIsolated) timeout, killSignal and the abort signal.
 * @module
 */
import { invalidArgType, invalidArgValue, libraryError, ErrorCodes, outOfRange } from '../../errors';
import { killSignalOption } from '../../signals';
import type { NormalizedNamespaces } from './namespaces';
import { optionalBoolean } from './values';

/** Options of the lifecycle family, shared by clone and spawnIsolated. */
export interface LifecycleOptions {
  /**
   * Run a small PID 1 (nsjs-init) that reaps orphans, forwards signals to the
   * program and exits with its status. Needs a new or joined `'pid'` (a
   * joined one always runs the program under it). Without it the program is
   * PID 1: SIGTERM without a handler is ignored and orphans stay zombies.
   * @default true with 'pid'
   */
  init?: boolean;
  /**
   * Kill the sandbox (with SIGKILL) when this Node process dies, or when the
   * Worker that spawned it ends. See docs/lifecycle.md.
   * @default true
   */
  dieWithParent?: boolean;
  /** Start a new session (setsid): no controlling terminal, so no TIOCSTI injection. @default true */
  newSession?: boolean;
  /** Set no_new_privs: setuid binaries and file capabilities grant nothing inside. @default true */
  noNewPrivileges?: boolean;
  /**
   * How the child is cloned: `'vfork'` (CLONE_VM|CLONE_VFORK, no copy of
   * Node's page tables; the default) or `'fork'`. Both run the same steps;
   * `'fork'` exists to measure the difference (bench/). A plan whose parent
   * acts on the child before it runs (host root's user namespace) is always
   * fork-style.
   * @default 'vfork'
   */
  cloneStrategy?: 'vfork' | 'fork';
}

/** Options of the lifecycle family that only spawnIsolated has (as child_process.spawn). */
export interface SpawnLifecycleOptions {
  /** Milliseconds after which `killSignal` is sent. @default 0 (none) */
  timeout?: number;
  /** The signal for `timeout` and `signal`. @default 'SIGTERM' */
  killSignal?: NodeJS.Signals | number;
  /**
   * When `timeout` or `signal` sent `killSignal` and the sandbox still runs
   * this many milliseconds later, SIGKILL it, all of it (as execa's option).
   * `false`: never.
   * @default 5000
   */
  forceKillAfterDelay?: number | false;
  /** Aborting it kills the sandbox and emits an AbortError. */
  signal?: AbortSignal;
}

/** @internal */
export interface NormalizedLifecycle {
  init: boolean;
  dieWithParent: boolean;
  newSession: boolean;
  noNewPrivs: boolean;
  useVm: boolean;
}

/** @internal */
export function normalizeLifecycle(o: Record<string, unknown>, ns: NormalizedNamespaces): NormalizedLifecycle {
  const joinsPid = ns.joined.some((j) => j.type === 'pid');
  const init = optionalBoolean(o.init, 'options.init', ns.created.includes('pid') || joinsPid);
  if (init && !ns.created.includes('pid') && !joinsPid) {
    throw libraryError(ErrorCodes.REQUIRES_NAMESPACE, "The `init` option needs a new or joined 'pid' namespace; add it to `namespaces` or `join`.");
  }
  if (!init && joinsPid) throw invalidArgValue('options.init', o.init, "cannot be false with a joined 'pid' namespace: joining one takes effect for children only");
  if (o.cloneStrategy !== undefined && o.cloneStrategy !== 'vfork' && o.cloneStrategy !== 'fork') {
    throw invalidArgValue('options.cloneStrategy', o.cloneStrategy, "must be 'vfork' or 'fork'");
  }
  return {
    init,
    dieWithParent: optionalBoolean(o.dieWithParent, 'options.dieWithParent', true),
    newSession: optionalBoolean(o.newSession, 'options.newSession', true),
    noNewPrivs: optionalBoolean(o.noNewPrivileges, 'options.noNewPrivileges', true),
    useVm: o.cloneStrategy !== 'fork',
  };
}

/** @internal */
export interface NormalizedSpawnLifecycle {
  timeout: number;
  killSignal: number;
  forceKillAfterDelay: number | false;
  signal: AbortSignal | undefined;
}

/** @internal Checked as child_process.spawn checks them (same classes and codes). */
export function normalizeSpawnLifecycle(o: Record<string, unknown>): NormalizedSpawnLifecycle {
  const timeout = o.timeout ?? 0;
  // Any non-integer, '5' included, is a RangeError, as child_process has it.
  // Above 2^31-1 child_process would fire after 1 ms; nsjs refuses instead.
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > 2 ** 31 - 1) {
    throw outOfRange('options.timeout', 'an integer >= 0 && <= 2147483647', timeout);
  }
  const killSignal = killSignalOption(o.killSignal ?? 'SIGTERM', 'options.killSignal');
  const force = o.forceKillAfterDelay ?? 5000;
  if (force !== false && (typeof force !== 'number' || !Number.isInteger(force) || force < 0 || force > 2 ** 31 - 1)) {
    throw outOfRange('options.forceKillAfterDelay', 'false, or an integer >= 0 && <= 2147483647', force);
  }
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  return { timeout, killSignal, forceKillAfterDelay: force, signal };
}
