/**
 * {@link IsolatedProcess}: what {@link spawnIsolated} returns, shaped like
 * Node's ChildProcess.
 * @module
 */
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import type { Readable, Writable } from 'node:stream';

import { maxBufferExceeded } from '../errors';
import type { ClonedProcess, ExitStatus } from './cloned-process';
import type { LandlockReport } from './options/landlock';
import { readNamespaceIds, type NamespaceIds } from '../inspect';
import { killArgument } from '../signals';
import { DEFAULT_MAX_BUFFER, type OutputOptions } from './options/output';

/** What {@link IsolatedProcess.result} resolves to; `Output` is a Buffer with `encoding: 'buffer'`. */
export interface IsolatedResult<Output extends string | Buffer = string> extends ExitStatus {
  /** The host pid. */
  pid: number;
  /** Everything the program wrote to stdout, when stdout was piped, decoded with `encoding`. */
  stdout?: Output;
  /** Everything the program wrote to stderr, when stderr was piped, decoded with `encoding`. */
  stderr?: Output;
  /** From spawn to exit, in milliseconds. */
  durationMs: number;
}

/**
 * A program running in new namespaces. Events, fields and methods follow
 * ChildProcess: `'spawn'`, `'exit'` (code, signal), `'close'` (code, signal)
 * and `'error'`; `pid`, `stdin`/`stdout`/`stderr`, `exitCode`,
 * `signalCode`, `killed`, `kill()`, `ref()`/`unref()`.
 *
 * A setup failure emits only `'error'` (a {@link NamespaceError} with
 * `step`), never an `'exit'` with a made-up code, and leaves no process behind.
 *
 * `await child.result` gives `{ exitCode, signal, stdout, stderr, durationMs }`;
 * `await using child = spawnIsolated(…)` kills the sandbox at scope exit (that
 * syntax needs Node 24+ in JavaScript, or TypeScript 5.2+ and Node 18.18+/20.4+).
 */
export class IsolatedProcess<Output extends string | Buffer = string> extends EventEmitter {
  /** The host pid (of nsjs-init when there is one); undefined if the spawn failed. */
  pid: number | undefined;
  /** The program's pid inside its PID namespace: 1 without init, 2 with it. */
  nsPid: number | undefined;
  /** With the `landlock` option: the Landlock ABI used and what this kernel could not enforce (`'best-effort'`). */
  landlock: LandlockReport | undefined;
  /** The command as given. */
  readonly spawnfile: string;
  /** argv, including argv[0]. */
  readonly spawnargs: string[];
  /** The parent's end of stdin when it is piped. */
  readonly stdin: Writable | null;
  /** The parent's end of stdout when it is piped. */
  readonly stdout: Readable | null;
  /** The parent's end of stderr when it is piped. */
  readonly stderr: Readable | null;
  /** The parent's end of every slot (null where not piped). */
  readonly stdio: (net.Socket | null)[];
  /** The exit code, once the program exited normally. */
  exitCode: number | null = null;
  /** The signal that killed the program, once it was. */
  signalCode: NodeJS.Signals | null = null;
  /** Whether kill() delivered a signal. */
  killed = false;

  #cloned: ClonedProcess | undefined;
  #namespaces: NamespaceIds | undefined;
  #started = performance.now();
  #durationMs = 0;
  #openStreams = 0;
  #exited = false;
  #closed = false;
  #error: unknown;
  #result: Promise<IsolatedResult<Output>> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #cleanupAbort: (() => void) | undefined;
  #output: OutputOptions;
  #killSignal: NodeJS.Signals | number = 'SIGTERM';
  #maxBufferError: (RangeError & { code: string }) | undefined;

  /** @internal */
  constructor(
    command: string,
    argv: string[],
    streams: (net.Socket | null)[],
    output: OutputOptions = { encoding: 'utf8', maxBuffer: DEFAULT_MAX_BUFFER },
  ) {
    super();
    this.#output = output;
    this.spawnfile = command;
    this.spawnargs = argv;
    this.stdio = streams;
    this.stdin = streams[0] ?? null;
    this.stdout = streams[1] ?? null;
    this.stderr = streams[2] ?? null;
    for (const s of streams) {
      if (!s) continue;
      this.#openStreams++;
      s.once('close', () => {
        this.#openStreams--;
        this.#maybeClose();
      });
    }
  }

  /** The namespaces created for the program (`/proc/PID/ns` ids), read on first access while it runs. */
  get namespaces(): NamespaceIds | undefined {
    if (this.#namespaces === undefined && this.#cloned && !this.#exited) {
      try {
        this.#namespaces = readNamespaceIds(`/proc/${this.#cloned.pid}/ns`, this.#cloned.namespaces);
      } catch {
        return undefined;
      }
    }
    return this.#namespaces;
  }

  /** @internal Called once the clone succeeded. */
  _attach(cloned: ClonedProcess, timeout: number, killSignal: number, signal: AbortSignal | undefined): void {
    this.#cloned = cloned;
    this.pid = cloned.pid;
    this.nsPid = cloned.nsPid;
    this.#killSignal = killSignal;
    this.landlock = cloned.landlock;
    if (timeout > 0) this.#timer = setTimeout(() => this.kill(killSignal), timeout);
    if (signal) {
      const onAbort = () => {
        this.kill(killSignal);
        const err = new Error('The operation was aborted', { cause: signal.reason });
        Object.assign(err, { name: 'AbortError', code: 'ABORT_ERR' });
        this.#fail(err);
      };
      if (signal.aborted) process.nextTick(onAbort);
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.#cleanupAbort = () => signal.removeEventListener('abort', onAbort);
      }
    }
    process.nextTick(() => this.emit('spawn'));
    void cloned.wait().then((status) => this.#onExit(status));
  }

  /** @internal Called when the spawn failed: 'error' on the next tick, nothing else. */
  _failSpawn(err: unknown): void {
    process.nextTick(() => this.#fail(err));
  }

  #fail(err: unknown): void {
    if (this.#error === undefined) this.#error = err;
    this.emit('error', err);
  }

  #onExit(status: ExitStatus): void {
    this.#durationMs = performance.now() - this.#started;
    this.#exited = true;
    this.exitCode = status.exitCode;
    this.signalCode = status.signal;
    clearTimeout(this.#timer);
    this.#cleanupAbort?.();
    // As child_process does: stdin is of no use once the program is gone, and
    // output nobody reads is drained so that 'close' can come.
    this.stdin?.destroy();
    for (const s of this.stdio.slice(1)) {
      if (s && s.readable && s.listenerCount('data') === 0 && s.listenerCount('readable') === 0) s.resume();
    }
    this.emit('exit', status.exitCode, status.signal);
    this.#maybeClose();
  }

  #maybeClose(): void {
    if (!this.#exited || this.#openStreams > 0 || this.#closed) return;
    this.#closed = true;
    this.emit('close', this.exitCode, this.signalCode);
  }

  /**
   * Sends a signal (default SIGTERM) through the pidfd; nsjs-init forwards it
   * to the program. Returns false if the process is not running.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const sig = killArgument(signal);
    if (!this.#cloned || this.#exited) return false;
    let sent: boolean;
    try {
      sent = this.#cloned.kill(sig);
    } catch (e) {
      this.#fail(e);
      return false;
    }
    if (sent && sig !== 0) this.killed = true;
    return sent;
  }

  /** Keep the event loop alive while the program runs (the default). */
  ref(): void {
    this.#cloned?.ref();
    for (const s of this.stdio) s?.ref();
  }

  /** Let the event loop exit while the program still runs. */
  unref(): void {
    this.#cloned?.unref();
    for (const s of this.stdio) s?.unref();
  }

  /**
   * Resolves once the program has exited and its stdio closed; rejects with
   * the spawn error (or an AbortError). Output is collected from the first
   * access on, so read it right after spawning. A non-zero exit resolves.
   *
   * Past `maxBuffer` bytes on stdout or stderr, as child_process.exec does:
   * both streams are destroyed, the sandbox gets `killSignal`, and once it
   * is gone this rejects with a RangeError `ERR_CHILD_PROCESS_STDIO_MAXBUFFER`
   * that carries the result's fields, output cut at `maxBuffer` bytes.
   */
  get result(): Promise<IsolatedResult<Output>> {
    if (this.#result) return this.#result;
    const out = this.#collect(this.stdout, 'stdout');
    const err = this.#collect(this.stderr, 'stderr');
    this.#result = new Promise<IsolatedResult<Output>>((resolve, reject) => {
      const onError = (e: unknown) => reject(e);
      if (this.#error !== undefined) return reject(this.#error);
      this.on('error', onError);
      const finish = () => {
        this.off('error', onError);
        const result: IsolatedResult<Output> = {
          pid: this.pid as number,
          exitCode: this.exitCode,
          signal: this.signalCode,
          stdout: out && this.#decode(out),
          stderr: err && this.#decode(err),
          durationMs: this.#durationMs,
        };
        if (this.#maxBufferError) reject(Object.assign(this.#maxBufferError, result));
        else resolve(result);
      };
      if (this.#closed) finish();
      else this.once('close', finish);
    });
    return this.#result;
  }

  /** Buffers a stream's output up to `maxBuffer` bytes. */
  #collect(s: Readable | null, name: 'stdout' | 'stderr'): Buffer[] | undefined {
    if (!s) return undefined;
    const chunks: Buffer[] = [];
    let length = 0;
    s.on('data', (chunk: Buffer) => {
      const room = this.#output.maxBuffer - length;
      if (chunk.length <= room) {
        chunks.push(chunk);
        length += chunk.length;
        return;
      }
      chunks.push(chunk.subarray(0, room));
      length += room;
      this.#onMaxBuffer(name);
    });
    return chunks;
  }

  #onMaxBuffer(name: 'stdout' | 'stderr'): void {
    if (this.#maxBufferError) return;
    this.#maxBufferError = maxBufferExceeded(name);
    // What child_process.exec does: stop reading (a program still writing
    // then gets EPIPE) and end the sandbox with killSignal.
    this.stdout?.destroy();
    this.stderr?.destroy();
    this.kill(this.#killSignal);
  }

  #decode(chunks: Buffer[]): Output {
    const all = Buffer.concat(chunks);
    return (this.#output.encoding === 'buffer' ? all : all.toString(this.#output.encoding)) as Output;
  }

  /** `await using`: SIGKILL the sandbox (its whole PID namespace) and wait for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#cloned || this.#exited) return;
    this.kill('SIGKILL');
    await this.#cloned.wait();
  }
}
