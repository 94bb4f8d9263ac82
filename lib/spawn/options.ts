/**
 * Options shared by {@link clone} and {@link spawnIsolated}, and their
 * normalization into the plan the native child runs. All validation happens
 * here, before any syscall.
 * @module
 */
import { fileURLToPath } from 'node:url';

import type { NativePlan } from '../binding';
import { ErrorCodes, invalidArgType, invalidArgValue, libraryError, outOfRange } from '../errors';
import { NAMESPACES, type NamespaceName } from '../namespaces';
import { propagationFlags, type Propagation } from '../unshare';
import { identityPlan } from './identity';
import {
  optionsObject,
  validateBoolean,
  validateNamespaceList,
  validateNonEmptyString,
  validateObject,
  validateString,
  validateUtsName,
} from '../validate';

/** The namespaces {@link spawnIsolated} creates when `namespaces` is omitted. */
export const DEFAULT_NAMESPACES: readonly NamespaceName[] = Object.freeze(['pid', 'mount', 'uts', 'ipc', 'net']);

/**
 * The identity the program has inside a user namespace. Which host ids that
 * is depends on the caller (docs/security.md): an unprivileged caller's own
 * uid and gid; for host root, root's subordinate ranges in /etc/subuid and
 * /etc/subgid, else 65534 (nobody/nogroup) — never host root.
 */
export interface UserMapping {
  /** The uid inside. @default 0 */
  uid?: number;
  /** The gid inside. @default 0 */
  gid?: number;
}

/** Clock offsets of a new time namespace, in seconds (fractions allowed, may be negative). */
export interface TimeOffsets {
  /** Added to CLOCK_MONOTONIC inside. */
  monotonic?: number;
  /** Added to CLOCK_BOOTTIME inside. */
  boottime?: number;
}

/** What to isolate and how to set the child up; shared by {@link clone} and {@link spawnIsolated}. */
export interface IsolationOptions {
  /**
   * The namespaces to create. When the caller is not root, `'user'` is added
   * (rootless mode: the caller is mapped to `user.uid`/`user.gid`, root by
   * default, with setgroups denied).
   * @default ['pid', 'mount', 'uts', 'ipc', 'net']
   */
  namespaces?: readonly NamespaceName[];
  /** Ids inside the user namespace. Needs `'user'` (automatic when not root). */
  user?: UserMapping;
  /** Hostname inside (at most 64 bytes). Needs `'uts'`. */
  hostname?: string;
  /** NIS domain name inside (at most 64 bytes). Needs `'uts'`. */
  domainname?: string;
  /** Mount a fresh /proc. Needs `'mount'`. @default true with 'pid' and 'mount' */
  mountProc?: boolean;
  /** Bring `lo` up. Needs `'net'`. @default true with 'net' */
  loopback?: boolean;
  /** Propagation of `/` in the new mount namespace, set before anything is mounted. Needs `'mount'`. @default 'private' */
  propagation?: Propagation;
  /** Clock offsets of the new time namespace. Needs `'time'`. */
  timeOffsets?: TimeOffsets;
  /**
   * Run a small PID 1 (nsjs-init) that reaps orphans, forwards signals to the
   * program and exits with its status. Needs `'pid'`. Without it the program
   * is PID 1: SIGTERM without a handler is ignored and orphans stay zombies.
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
  /** Working directory of the program. @default the caller's */
  cwd?: string | URL;
  /** The program's whole environment; inherited from process.env only when omitted. */
  env?: Record<string, string | undefined>;
  /** The program's argv[0]. @default command */
  argv0?: string;
  /**
   * How the child is cloned: `'vfork'` (CLONE_VM|CLONE_VFORK, no copy of
   * Node's page tables; the default) or `'fork'`. Both run the same steps;
   * `'fork'` exists to measure the difference (bench/).
   * @default 'vfork'
   */
  cloneStrategy?: 'vfork' | 'fork';
}

/** @internal The result of normalizing options: the plan, less stdio. */
export interface NormalizedIsolation {
  command: string;
  args: string[];
  namespaces: NamespaceName[];
  init: boolean;
  dieWithParent: boolean;
  plan: Omit<NativePlan, 'stdio' | 'initPath'>;
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

function requireNamespace(namespaces: NamespaceName[], needed: NamespaceName, option: string): void {
  if (!namespaces.includes(needed)) {
    throw libraryError(
      ErrorCodes.REQUIRES_NAMESPACE,
      `The \`${option}\` option needs the '${needed}' namespace; add it to \`namespaces\`.`,
    );
  }
}

function optionalBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  validateBoolean(value, name);
  return value;
}

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

function timeOffsets(value: unknown): string {
  validateObject(value, 'options.timeOffsets');
  const lines: string[] = [];
  for (const clock of ['monotonic', 'boottime'] as const) {
    const v = (value as Record<string, unknown>)[clock];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw invalidArgType(`options.timeOffsets.${clock}`, 'of type number', v);
    if (!Number.isFinite(v) || Math.abs(v) > 2 ** 52 / 1e9) {
      throw outOfRange(`options.timeOffsets.${clock}`, 'a finite number of seconds', v);
    }
    const sec = Math.floor(v);
    const nsec = Math.min(999999999, Math.round((v - sec) * 1e9));
    lines.push(`${clock} ${sec} ${nsec}\n`);
  }
  return lines.join('');
}

/** @internal Validates and normalizes everything but stdio. */
export function normalizeIsolation(command: unknown, args: unknown, options: unknown): NormalizedIsolation {
  validateNonEmptyString(command, 'command');
  const argList = args === undefined || args === null ? [] : args;
  if (!Array.isArray(argList)) throw invalidArgType('args', 'an instance of Array', args);
  argList.forEach((a, i) => validateString(a, `args[${i}]`));
  const o = optionsObject(options);

  const requested = o.namespaces === undefined ? [...DEFAULT_NAMESPACES] : o.namespaces;
  validateNamespaceList(requested, 'options.namespaces');
  const rootless = process.geteuid?.() !== 0;
  const namespaces = [...new Set<NamespaceName>(requested as NamespaceName[])];
  if (rootless && !namespaces.includes('user')) namespaces.push('user');
  const has = (n: NamespaceName) => namespaces.includes(n);

  const plan: NormalizedIsolation['plan'] = {
    cloneFlags: namespaces.filter((n) => n !== 'time').reduce((acc, n) => acc | NAMESPACES[n].flag, 0),
    useVm: true,
    denySetgroups: false,
    mapsByParent: false,
    setIdentity: false,
    uid: 0,
    gid: 0,
    propagation: 0,
    mountProc: false,
    loopbackUp: false,
    newSession: optionalBoolean(o.newSession, 'options.newSession', true),
    noNewPrivs: optionalBoolean(o.noNewPrivileges, 'options.noNewPrivileges', true),
    dieWithParent: optionalBoolean(o.dieWithParent, 'options.dieWithParent', true),
    execPaths: [],
    argv: [],
    envp: [],
  };

  if (o.cloneStrategy !== undefined && o.cloneStrategy !== 'vfork' && o.cloneStrategy !== 'fork') {
    throw invalidArgValue('options.cloneStrategy', o.cloneStrategy, "must be 'vfork' or 'fork'");
  }
  plan.useVm = o.cloneStrategy !== 'fork';

  if (o.user !== undefined) {
    requireNamespace(namespaces, 'user', 'user');
    validateObject(o.user, 'options.user');
  }
  if (has('user')) Object.assign(plan, identityPlan((o.user ?? {}) as Record<string, unknown>));

  if (o.hostname !== undefined) {
    requireNamespace(namespaces, 'uts', 'hostname');
    validateUtsName(o.hostname, 'options.hostname');
    plan.hostname = o.hostname as string;
  }
  if (o.domainname !== undefined) {
    requireNamespace(namespaces, 'uts', 'domainname');
    validateUtsName(o.domainname, 'options.domainname');
    plan.domainname = o.domainname as string;
  }

  if (o.propagation !== undefined) requireNamespace(namespaces, 'mount', 'propagation');
  if (has('mount')) plan.propagation = propagationFlags(o.propagation ?? 'private', 'options.propagation');

  plan.mountProc = optionalBoolean(o.mountProc, 'options.mountProc', has('pid') && has('mount'));
  if (plan.mountProc) requireNamespace(namespaces, 'mount', 'mountProc');
  plan.loopbackUp = optionalBoolean(o.loopback, 'options.loopback', has('net'));
  if (plan.loopbackUp) requireNamespace(namespaces, 'net', 'loopback');

  if (o.timeOffsets !== undefined) {
    requireNamespace(namespaces, 'time', 'timeOffsets');
    plan.timeOffsets = timeOffsets(o.timeOffsets);
  } else if (has('time')) {
    plan.timeOffsets = '';
  }

  const init = optionalBoolean(o.init, 'options.init', has('pid'));
  if (init) requireNamespace(namespaces, 'pid', 'init');

  if (o.cwd !== undefined) {
    const cwd = o.cwd instanceof URL ? fileURLToPath(o.cwd) : o.cwd;
    validateString(cwd, 'options.cwd');
    plan.cwd = cwd;
  }
  const argv0 = o.argv0 ?? command;
  validateString(argv0, 'options.argv0');

  plan.envp = environment(o.env);
  plan.execPaths = execCandidates(command, plan.envp);
  plan.argv = [argv0, ...(argList as string[])];
  return {
    command,
    args: [...(argList as string[])],
    namespaces,
    init,
    dieWithParent: plan.dieWithParent,
    plan,
  };
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
