/**
 * The exec family: what runs, with which arguments, environment and working
 * directory, prepared before clone (execvp's PATH search included).
 * @module
 */
import { fileURLToPath } from 'node:url';

import { invalidArgValue } from '../../errors';
import { snapshotArray, validateNonEmptyString, validateObject, validateString } from '../../validate';

/** Options of the exec family (as child_process.spawn has them). */
export interface ExecOptions {
  /** Working directory of the program. @default the caller's */
  cwd?: string | URL;
  /** The program's whole environment; inherited from process.env only when omitted (or null). */
  env?: Record<string, string | undefined>;
  /** The program's argv[0]. @default command */
  argv0?: string;
}

/** @internal */
export interface NormalizedExec {
  command: string;
  args: string[];
  cwd?: string;
  execPaths: string[];
  argv: string[];
  envp: string[];
  /** No `env` option: the environment is the caller's own. */
  inheritsEnv: boolean;
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

function environment(value: unknown): string[] {
  // null inherits, as in child_process (`options.env || process.env`).
  const env = value === undefined || value === null ? process.env : value;
  if (env !== process.env) validateObject(value, 'options.env');
  const out: string[] = [];
  for (const [key, raw] of Object.entries(env as Record<string, unknown>)) {
    if (raw === undefined) continue;
    const v = String(raw);
    if (key.includes('\u0000') || v.includes('\u0000')) {
      throw invalidArgValue(`options.env['${key.replace(/\0/g, '\\0')}']`, v, 'must be a string without null bytes');
    }
    if (key.includes('=') || key === '') throw invalidArgValue('options.env', key, "keys must be non-empty and contain no '='");
    out.push(`${key}=${v}`);
  }
  return out;
}

/** execvp's search, prepared before clone: the child just tries each path. */
function execCandidates(command: string, envp: string[]): string[] {
  if (command.includes('/')) return [command];
  const entry = envp.find((e) => e.startsWith('PATH='));
  const path = entry === undefined ? DEFAULT_PATH : entry.slice(5);
  return path.split(':').map((dir) => `${dir === '' ? '.' : dir}/${command}`);
}

/** @internal */
export function normalizeExec(command: unknown, args: unknown, o: Record<string, unknown>): NormalizedExec {
  validateNonEmptyString(command, 'command');
  const argList = args === undefined || args === null ? [] : snapshotArray(args, 'args');
  argList.forEach((a, i) => validateString(a, `args[${i}]`));
  let cwd: string | undefined;
  if (o.cwd !== undefined) {
    cwd = o.cwd instanceof URL ? fileURLToPath(o.cwd) : (o.cwd as string);
    validateString(cwd, 'options.cwd');
  }
  const argv0 = o.argv0 ?? command;
  validateString(argv0, 'options.argv0');
  const envp = environment(o.env);
  const inheritsEnv = o.env === undefined || o.env === null;
  return { command, args: [...(argList as string[])], cwd, execPaths: execCandidates(command, envp), argv: [argv0, ...(argList as string[])], envp, inheritsEnv };
}
