/**
 * {@link spawnIsolated}: child_process.spawn, in new namespaces.
 * @module
 */
import { ErrorCodes, invalidArgType } from '../errors';
import { optionsObject } from '../validate';
import { startCloned } from './cloned-process';
import { IsolatedProcess } from './isolated-process';
import { normalizeIsolation, type IsolationOptions } from './options';
import { normalizeSpawnLifecycle, type SpawnLifecycleOptions } from './options/lifecycle';
import { normalizeOutputOptions, type OutputEncoding } from './options/output';
import { normalizeStdio, openStdio, type StdioOption } from './stdio';

/** Options of {@link spawnIsolated}. */
export interface SpawnIsolatedOptions extends IsolationOptions, SpawnLifecycleOptions {
  /** As in child_process.spawn. @default 'pipe' */
  stdio?: StdioOption;
  /**
   * How `result.stdout`/`stderr` are decoded, as in child_process.exec:
   * `'buffer'` gives Buffers (binary output intact), any other Buffer
   * encoding (`'latin1'`, `'hex'`, `'base64'`…) gives strings. An unknown
   * name is refused rather than silently giving Buffers.
   * @default 'utf8'
   */
  encoding?: OutputEncoding;
  /**
   * The most bytes `result` buffers from stdout, and as many from stderr
   * (counted before decoding). Past it, as in child_process.exec, the
   * sandbox gets `killSignal` and `result` rejects with a RangeError whose
   * code is `ERR_CHILD_PROCESS_STDIO_MAXBUFFER`, carrying the output up to
   * the limit. `Infinity` for no bound. Only output read through `result`
   * counts.
   * @default 100_000_000 (execa's; child_process.exec's is 1 MiB)
   */
  maxBuffer?: number;
}

/** What `result.stdout`/`stderr` are for an `encoding`: Buffers for `'buffer'`, else strings. */
export type OutputOf<E> = E extends 'buffer' ? Buffer : string;

/** The keys spawnIsolated has beyond {@link IsolationOptions}. */
const SPAWN_KEYS = ['stdio', 'timeout', 'killSignal', 'forceKillAfterDelay', 'signal', 'encoding', 'maxBuffer'];

/**
 * Starts `command` in new namespaces, by default PID, mount (with a private
 * `/` and a fresh /proc), UTS, IPC and network (with `lo` up), plus a user
 * namespace when the caller is not root. With a PID namespace a small init
 * is PID 1: it reaps orphans and forwards signals, and killing it ends every
 * process in the sandbox.
 *
 * Like child_process.spawn: bad arguments throw at once; a failure to start
 * (a setup step, or a missing program: `ENOENT`) is emitted as `'error'`.
 *
 * @example
 * ```ts
 * import { spawnIsolated } from 'nsjs';
 * const child = spawnIsolated('ps', ['ax'], { hostname: 'sandbox' });
 * const { stdout, exitCode } = await child.result;
 * ```
 */
export function spawnIsolated(command: string, args?: readonly string[]): IsolatedProcess;
export function spawnIsolated<O extends SpawnIsolatedOptions>(
  command: string,
  args: readonly string[] | undefined,
  options?: O,
): IsolatedProcess<OutputOf<O['encoding']>>;
export function spawnIsolated<O extends SpawnIsolatedOptions>(command: string, options?: O): IsolatedProcess<OutputOf<O['encoding']>>;
export function spawnIsolated(
  command: string,
  argsOrOptions?: readonly string[] | SpawnIsolatedOptions,
  maybeOptions?: SpawnIsolatedOptions,
): IsolatedProcess<string | Buffer> {
  let args: unknown = argsOrOptions;
  let options: unknown = maybeOptions;
  if (argsOrOptions !== undefined && argsOrOptions !== null && !Array.isArray(argsOrOptions)) {
    if (typeof argsOrOptions !== 'object') throw invalidArgType('args', 'an instance of Array', argsOrOptions);
    args = undefined;
    options = argsOrOptions;
  }
  const o = optionsObject(options);
  let n: ReturnType<typeof normalizeIsolation>;
  try {
    n = normalizeIsolation(command, args, o, SPAWN_KEYS);
  } catch (e) {
    // Compiling the seccomp filter is the first use of the addon: without a
    // binary that is an 'error' event, as for any other failure to spawn.
    if ((e as { code?: unknown }).code !== ErrorCodes.NO_BINARY) throw e;
    const failed = new IsolatedProcess(String(command), [String(command), ...(Array.isArray(args) ? args.map(String) : [])], []);
    failed._failSpawn(e);
    return failed;
  }
  const slots = normalizeStdio(o.stdio);
  const output = normalizeOutputOptions(o);
  const lifecycle = normalizeSpawnLifecycle(o);

  let stdio: ReturnType<typeof openStdio>;
  try {
    stdio = openStdio(slots);
  } catch (e) {
    // Out of fds (EMFILE) and the like: an 'error' event, as child_process does.
    const failed = new IsolatedProcess(command, n.exec.argv, []);
    failed._failSpawn(e);
    return failed;
  }
  const child = new IsolatedProcess<string | Buffer>(command, n.exec.argv, stdio.streams, output);
  try {
    const cloned = startCloned(n, stdio.childFds);
    stdio.closeChildSide();
    child._attach(cloned, lifecycle);
  } catch (e) {
    stdio.closeAll();
    if (e instanceof TypeError || e instanceof RangeError) throw e;
    child._failSpawn(e);
  }
  return child;
}
