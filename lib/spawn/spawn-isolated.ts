/**
 * {@link spawnIsolated}: child_process.spawn, in new namespaces.
 * @module
 */
import { invalidArgType } from '../errors';
import { optionsObject } from '../validate';
import { startCloned } from './cloned-process';
import { IsolatedProcess } from './isolated-process';
import { normalizeIsolation, type IsolationOptions } from './options';
import { normalizeSpawnLifecycle, type SpawnLifecycleOptions } from './options/lifecycle';
import { normalizeStdio, openStdio, type StdioOption } from './stdio';

/** Options of {@link spawnIsolated}. */
export interface SpawnIsolatedOptions extends IsolationOptions, SpawnLifecycleOptions {
  /** As in child_process.spawn. @default 'pipe' */
  stdio?: StdioOption;
}

/** The keys spawnIsolated has beyond {@link IsolationOptions}. */
const SPAWN_KEYS = ['stdio', 'timeout', 'killSignal', 'forceKillAfterDelay', 'signal'];

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
export function spawnIsolated(command: string, args?: readonly string[], options?: SpawnIsolatedOptions): IsolatedProcess;
export function spawnIsolated(command: string, options?: SpawnIsolatedOptions): IsolatedProcess;
export function spawnIsolated(
  command: string,
  argsOrOptions?: readonly string[] | SpawnIsolatedOptions,
  maybeOptions?: SpawnIsolatedOptions,
): IsolatedProcess {
  let args: unknown = argsOrOptions;
  let options: unknown = maybeOptions;
  if (argsOrOptions !== undefined && argsOrOptions !== null && !Array.isArray(argsOrOptions)) {
    if (typeof argsOrOptions !== 'object') throw invalidArgType('args', 'an instance of Array', argsOrOptions);
    args = undefined;
    options = argsOrOptions;
  }
  const o = optionsObject(options);
  const n = normalizeIsolation(command, args, o, SPAWN_KEYS);
  const slots = normalizeStdio(o.stdio);
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
  const child = new IsolatedProcess(command, n.exec.argv, stdio.streams);
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
