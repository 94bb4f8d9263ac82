/**
 * {@link createPool}: namespace sets made ahead of time, each used by exactly
 * one sandbox. A ready set is nsjs-init waiting as `--serve` (PID 1 of its
 * namespaces, set up and idle); {@link Pool.spawn} sends it the program and
 * its stdio over a socketpair, and it forks and execs it. So a pooled spawn
 * neither creates namespaces nor clones Node; sets are made off the event
 * loop (the addon's spawner thread).
 * @module
 */
import * as fs from 'node:fs';

import { binding, initExecutablePath, type NativeSpawnResult } from '../binding';
import { ErrorCodes, callNative, invalidArgValue, libraryError, outOfRange } from '../errors';
import { ClonedProcess, spawnNative, spawnNativeAsync } from '../spawn/cloned-process';
import { killModeOf } from '../spawn/usage';
import { IsolatedProcess } from '../spawn/isolated-process';
import { normalizeIsolation, type IsolationOptions, type NormalizedIsolation } from '../spawn/options';
import { normalizeExec } from '../spawn/options/exec';
import { rejectUnknownKeys } from '../spawn/options/keys';
import { normalizeSpawnLifecycle } from '../spawn/options/lifecycle';
import { spawnError } from '../spawn/spawn-error';
import type { SpawnIsolatedOptions } from '../spawn/spawn-isolated';
import { normalizeStdio, openStdio } from '../spawn/stdio';
import { optionsObject } from '../validate';
import { SET_KEYS, type CreateNamespacesOptions } from '../sets/namespace-set';
import { PooledProcess } from './pooled-process';
import { encodeRequest } from './request';

/** Options of {@link createPool}: those of {@link createNamespaces}, and how many sets to keep ready. */
export interface PoolOptions extends CreateNamespacesOptions {
  /** How many ready sets the pool keeps. @default 4 */
  size?: number;
}

/** The per-program options of {@link Pool.spawn} (the rest is the pool's). */
export type PoolSpawnOptions = Pick<SpawnIsolatedOptions, 'cwd' | 'env' | 'argv0' | 'stdio' | 'timeout' | 'killSignal' | 'signal'>;

const POOL_SPAWN_KEYS = ['cwd', 'env', 'argv0', 'stdio', 'timeout', 'killSignal', 'signal'];
/** Set-level options a pool takes; `init`, `newSession`, `noNewPrivileges` are the holder's own. */
const POOL_KEYS = [...SET_KEYS, 'size'];

interface Ready {
  spawned: NativeSpawnResult;
  /** Our end of the holder's socket: the request goes out on it, the records come back. */
  sock: number;
}

/**
 * Ready namespace sets, made in the background; see {@link createPool}.
 * `await using pool = createPool(…)` closes it at scope exit.
 */
export class Pool {
  /** How many ready sets the pool keeps. */
  readonly size: number;
  #n: NormalizedIsolation;
  #ready: Ready[] = [];
  /** Sets handed to a program, until their holder is reaped. */
  /** The programs running, each with the promise that it is over: its holder reaped and its 'exit' (or 'error') emitted. */
  #running = new Map<PooledProcess, Promise<unknown>>();
  /** The set being made in the background, if any. */
  #refilling: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** @internal */
  constructor(n: NormalizedIsolation, size: number) {
    this.#n = n;
    this.size = size;
    this.#refill();
  }

  /** How many sets are ready now. */
  get ready(): number {
    return this.#ready.length;
  }

  /**
   * Runs `command` in a ready set (made now, synchronously, when none is
   * ready): an {@link IsolatedProcess} whose `pid` is the set's holder, its
   * PID 1, as with spawnIsolated's init. The set ends with the program; the
   * pool makes another in the background. `'exit'` comes as soon as the
   * holder reports the program's status, while the set's namespaces are
   * still being torn down (the pool reaps the holder; `close()` waits for it).
   */
  spawn(command: string, args?: readonly string[], options?: PoolSpawnOptions): IsolatedProcess;
  spawn(command: string, options?: PoolSpawnOptions): IsolatedProcess;
  spawn(command: string, argsOrOptions?: readonly string[] | PoolSpawnOptions, maybeOptions?: PoolSpawnOptions): IsolatedProcess {
    let args: readonly string[] | undefined;
    let options: unknown = maybeOptions;
    if (Array.isArray(argsOrOptions)) args = argsOrOptions;
    else if (argsOrOptions !== undefined) options = argsOrOptions;
    const o = optionsObject(options);
    rejectUnknownKeys(o, POOL_SPAWN_KEYS, 'options');
    const exec = normalizeExec(command, args, o);
    const slots = normalizeStdio(o.stdio);
    if (slots.length > 3) throw invalidArgValue('options.stdio', o.stdio, 'has at most 3 slots in a pooled spawn');
    const lifecycle = normalizeSpawnLifecycle(o);
    if (this.#closing !== undefined) throw libraryError(ErrorCodes.SET_CLOSED, 'The pool is closed.');
    const n = { ...this.#n, exec };

    let stdio: ReturnType<typeof openStdio>;
    try {
      stdio = openStdio(slots);
    } catch (e) {
      const failed = new IsolatedProcess(command, exec.argv, []);
      failed._failSpawn(e);
      return failed;
    }
    const child = new IsolatedProcess(command, exec.argv, stdio.streams);
    let ready: Ready | undefined;
    try {
      ready = this.#ready.shift() ?? this.#start();
      const nsPid = binding().poolStart(ready.sock, encodeRequest(exec), stdio.childFds as [number, number, number]);
      stdio.closeChildSide();
      const cloned = new PooledProcess({ ...ready.spawned, nsPid }, this.#n.namespaces.created, this.#n.lifecycle.dieWithParent, ready.sock);
      // close() resolves only once the caller's object says it ended (signalCode set), not just the holder.
      const over = Promise.all([cloned.reaped(), new Promise((res) => child.once('exit', res).once('error', res))]);
      this.#running.set(cloned, over);
      void over.then(() => this.#running.delete(cloned));
      child._attach(cloned, lifecycle);
    } catch (e) {
      stdio.closeAll();
      // The holder answered with an error and exits, or is gone: reap it.
      if (ready !== undefined) this.#discard(ready);
      child._failSpawn(spawnError(e, n, undefined));
    }
    this.#refill();
    return child;
  }

  /** Kills the ready sets and the programs the pool started, and waits until every set is gone and reaped. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const waits = this.#ready.splice(0).map((r) => this.#discard(r));
      if (this.#refilling) waits.push(this.#refilling); // discarded when it lands
      for (const [c, over] of this.#running) {
        c.kill('SIGKILL');
        waits.push(over.then(() => undefined));
      }
      await Promise.all(waits);
    })();
    return this.#closing;
  }

  /** `await using`: {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A new ready set, now: nsjs-init --serve with its socket on fd 3, in the pool's namespaces. */
  #start(): Ready {
    const fds = this.#holderFds();
    try {
      return { spawned: spawnNative(this.#n, fds.child), sock: fds.mine };
    } catch (e) {
      binding().closeFd(fds.mine);
      throw e;
    } finally {
      fds.closeChildSide();
    }
  }

  /** The same, cloned off the event loop: a refill never holds up the programs running. */
  async #startAsync(): Promise<Ready> {
    const fds = this.#holderFds();
    try {
      return { spawned: await spawnNativeAsync(this.#n, fds.child), sock: fds.mine };
    } catch (e) {
      binding().closeFd(fds.mine);
      throw e;
    } finally {
      fds.closeChildSide();
    }
  }

  #holderFds(): { mine: number; child: number[]; closeChildSide(): void } {
    const native = binding();
    const [mine, theirs] = callNative(() => native.seqpacketPair());
    let devNull: number;
    try {
      devNull = fs.openSync('/dev/null', fs.constants.O_RDWR);
    } catch (e) {
      native.closeFd(mine);
      native.closeFd(theirs);
      throw e;
    }
    return {
      mine,
      child: [devNull, devNull, devNull, theirs],
      closeChildSide: () => {
        native.closeFd(theirs);
        fs.closeSync(devNull);
      },
    };
  }

  /** SIGKILLs a set that will run nothing, and reaps it. */
  #discard(r: Ready): Promise<void> {
    const cloned = new ClonedProcess({ ...r.spawned, statusFd: r.sock }, this.#n.namespaces.created, { dieWithParent: this.#n.lifecycle.dieWithParent, init: true, killMode: killModeOf(this.#n) });
    cloned.kill('SIGKILL');
    return cloned.wait().then(() => undefined);
  }

  /** Makes sets in the background, one at a time, until `size` are ready. */
  #refill(): void {
    if (this.#refilling !== undefined || this.#closing !== undefined || this.#ready.length >= this.size) return;
    this.#refilling = this.#startAsync().then(
      (r) => {
        this.#refilling = undefined;
        if (this.#closing !== undefined) return this.#discard(r);
        this.#ready.push(r);
        this.#refill();
      },
      () => {
        // Out of processes or memory for now: spawn() makes a set itself, and reports the error.
        this.#refilling = undefined;
      },
    );
  }
}

/**
 * A pool of namespace sets made ahead of time, in the background, with the
 * options of {@link createNamespaces}: each is used by exactly one sandbox
 * (never reused: nothing leaks from one sandbox to the next), and the pool
 * makes another. For many short sandboxes: a pooled spawn only sends the
 * program to a waiting nsjs-init, which forks and execs it. Bad options
 * throw here. Idle sets do not keep the event loop alive, and die with Node
 * (`dieWithParent`).
 *
 * @example
 * ```ts
 * await using pool = createPool({ size: 4, hostname: 'sandbox' });
 * const { stdout } = await pool.spawn('uname', ['-n']).result;
 * ```
 */
export function createPool(options?: PoolOptions): Pool {
  const o = optionsObject(options);
  rejectUnknownKeys(o, POOL_KEYS, 'options');
  const size = o.size ?? 4;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 1024) throw outOfRange('options.size', 'an integer >= 0 && <= 1024', size);
  const initPath = initExecutablePath();
  if (initPath === undefined) throw libraryError(ErrorCodes.INIT_NOT_FOUND, 'nsjs-init (the holder of a pooled set) was not found beside the nsjs addon; reinstall nsjs');
  const { size: _size, ...isolation } = o;
  void _size;
  const n = normalizeIsolation(initPath, ['--serve', '3'], { ...(isolation as IsolationOptions), init: false, env: {} }, []);
  return new Pool(n, size);
}
