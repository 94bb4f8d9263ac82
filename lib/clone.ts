/**
 * `clone()`: the low-level primitive under {@link spawnIsolated}. One program,
 * started in its namespaces, set up between clone and exec.
 * @module
 */
import { invalidArgType, invalidArgValue } from './errors';
import { startCloned, type ClonedProcess } from './spawn/cloned-process';
import { normalizeIsolation, type IsolationOptions } from './spawn/options';
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

/** @internal Checks that a stdio fd list is well formed. */
export function validateFdList(value: unknown, name: string): number[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  return value.map((fd, i) => {
    if (fd === null) return -1;
    if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
      throw invalidArgValue(`${name}[${i}]`, fd, 'must be a file descriptor number or null');
    }
    return fd;
  });
}

/**
 * Starts one program in its namespaces and returns as soon as it was
 * exec'd. Namespaces (created or joined) and setup (maps, propagation,
 * mounts, hostname, /proc, lo, session, fds) happen in the child between
 * clone and exec.
 *
 * @throws {TypeError|RangeError} bad options (an unknown key too), before anything is done.
 * @throws {NamespaceError} a setup step failed (`err.step`, and `err.op` for a mount); nothing is left behind.
 */
export function clone(options: CloneOptions): ClonedProcess {
  const o = optionsObject(options);
  const n = normalizeIsolation(o.command, o.args, o, ['command', 'args', 'stdio']);
  const stdio = o.stdio === undefined ? [0, 1, 2] : validateFdList(o.stdio, 'options.stdio');
  return startCloned(n, stdio);
}
