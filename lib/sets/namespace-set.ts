/**
 * {@link createNamespaces}: namespaces that outlive one program. A small
 * holder process (nsjs-init in its hold mode: single-threaded, a few KiB, no
 * thread of Node's) keeps them; programs are started in them with
 * {@link NamespaceSet.spawn}, which is spawnIsolated joining every namespace
 * of the set and creating none.
 * @module
 */
import * as fs from 'node:fs';

import { binding, initExecutablePath } from '../binding';
import { ErrorCodes, fromFsError, invalidArgValue, libraryError } from '../errors';
import { readNamespaceIds, type NamespaceIds } from '../inspect';
import { NAMESPACES, isNamespaceName, type NamespaceName } from '../namespaces';
import { optionsObject, validateNonEmptyString } from '../validate';
import type { IsolatedProcess } from '../spawn/isolated-process';
import type { OutputOf } from '../spawn/spawn-isolated';
import { ISOLATION_KEYS, normalizeIsolation, type IsolationOptions } from '../spawn/options';
import { rejectUnknownKeys } from '../spawn/options/keys';
import { normalizeNamespaces } from '../spawn/options/namespaces';
import { locksMounts } from '../spawn/plan';
import { spawnIsolated, type SpawnIsolatedOptions } from '../spawn/spawn-isolated';
import { kJoinFd } from './join-target';
import { persistNamespace, unpersist, type Persisted } from './persist';

/** Keys that belong to one program, not to the set: they go to {@link NamespaceSet.spawn}. */
const PROGRAM_KEYS: readonly string[] = ['init', 'cwd', 'env', 'argv0', 'newSession', 'noNewPrivileges'];

/**
 * Options of {@link createNamespaces}: the isolation options of
 * {@link spawnIsolated} without a program (what is created or joined, the
 * hostname, mounts, user mapping, loopback, time offsets…). The holder runs
 * as `user`, as PID 1 of a new PID namespace.
 */
export type CreateNamespacesOptions = Omit<IsolationOptions, 'init' | 'cwd' | 'env' | 'argv0' | 'newSession' | 'noNewPrivileges'>;

/** Resource keys no set or pool takes yet: a cgroup of the holder would not hold the programs set.spawn starts. */
const RESOURCE_KEYS: readonly string[] = ['rlimits', 'limits', 'cgroup'];

/** @internal The keys createNamespaces (and createPool) take. */
export const SET_KEYS = ISOLATION_KEYS.filter((k) => !PROGRAM_KEYS.includes(k) && !RESOURCE_KEYS.includes(k));


/** The per-program options of {@link NamespaceSet.spawn}. */
export type SetSpawnOptions = Pick<
  SpawnIsolatedOptions,
  | 'user'
  | 'cwd'
  | 'env'
  | 'argv0'
  | 'stdio'
  | 'timeout'
  | 'killSignal'
  | 'signal'
  | 'newSession'
  | 'noNewPrivileges'
  | 'dieWithParent'
  | 'cloneStrategy'
  | 'encoding'
  | 'maxBuffer'
>;

const SET_SPAWN_KEYS = ['user', 'cwd', 'env', 'argv0', 'stdio', 'timeout', 'killSignal', 'signal', 'newSession', 'noNewPrivileges', 'dieWithParent', 'cloneStrategy', 'encoding', 'maxBuffer'];

/** Options of {@link NamespaceSet.persist}. */
export interface PersistOptions {
  /** Leave the file mounted when the set closes (remove it yourself: `umount PATH; rm PATH`, or `ip netns del NAME`). @default false */
  keep?: boolean;
}

/**
 * Namespaces held by a holder process, made by {@link createNamespaces}.
 * `await using set = await createNamespaces(…)` closes it at scope exit.
 */
export class NamespaceSet {
  /** The holder's host pid (PID 1 of the set's PID namespace, when it has one): `nsenter -t PID -a` enters the set. */
  readonly pid: number;
  /** The set's namespaces (created or joined), as `/proc/PID/ns` names them. */
  readonly namespaces: NamespaceIds;
  #types: readonly NamespaceName[];
  #holder: IsolatedProcess<string | Buffer>;
  #fds: Map<NamespaceName, number>;
  #children = new Set<IsolatedProcess<string | Buffer>>();
  #persisted: { p: Persisted; keep: boolean }[] = [];
  #closing: Promise<void> | undefined;
  #holderExited: Promise<void>;
  #user: unknown;

  /** @internal */
  constructor(holder: IsolatedProcess<string | Buffer>, types: readonly NamespaceName[], fds: Map<NamespaceName, number>, namespaces: NamespaceIds, user: unknown) {
    this.pid = holder.pid as number;
    this.#user = user;
    this.#holder = holder;
    this.#types = types;
    this.#fds = fds;
    this.namespaces = Object.freeze(namespaces);
    this.#holderExited = new Promise((resolve) => holder.once('exit', () => resolve()));
    // The holder gone (killed from outside), the set is: nothing can be started in a dead PID namespace.
    void this.#holderExited.then(() => this.close());
  }

  /** Whether close() was called or the holder is gone. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The path of the holder's namespace file of `type` (`/proc/PID/ns/net`), for tools such as nsenter. */
  path(type: NamespaceName): string {
    this.#own(type, 'type');
    return `/proc/${this.pid}/ns/${procFile(type)}`;
  }

  /**
   * Starts `command` in the set's namespaces (all joined, none created): an
   * {@link IsolatedProcess} with the per-program options. With a PID
   * namespace it runs under its own nsjs-init, outside the set; the set's
   * holder is PID 1 and reaps its orphans. In the set's own user namespace
   * the program runs as `user`, by default the set's `user`.
   */
  spawn(command: string, args?: readonly string[]): IsolatedProcess;
  spawn<O extends SetSpawnOptions>(command: string, args: readonly string[] | undefined, options?: O): IsolatedProcess<OutputOf<O['encoding']>>;
  spawn<O extends SetSpawnOptions>(command: string, options?: O): IsolatedProcess<OutputOf<O['encoding']>>;
  spawn(command: string, argsOrOptions?: readonly string[] | SetSpawnOptions, maybeOptions?: SetSpawnOptions): IsolatedProcess<string | Buffer> {
    let args: readonly string[] | undefined;
    let options: unknown = maybeOptions;
    if (Array.isArray(argsOrOptions)) args = argsOrOptions;
    else if (argsOrOptions !== undefined) options = argsOrOptions;
    const o = optionsObject(options);
    rejectSetKeys(o, SET_SPAWN_KEYS, 'options', 'createNamespaces');
    this.#open();
    const join = Object.fromEntries(this.#types.map((t) => [t, this.#fds.get(t) as number]));
    const user = o.user === undefined && this.#types.includes('user') && this.#user !== undefined ? { user: this.#user } : {};
    const child = spawnIsolated(command, args ?? [], { ...(o as SpawnIsolatedOptions), ...user, namespaces: [], join } as SpawnIsolatedOptions);
    this.#children.add(child);
    const forget = () => this.#children.delete(child);
    child.once('exit', forget);
    child.once('error', () => {
      if (child.pid === undefined) forget();
    });
    return child;
  }

  /**
   * Bind-mounts the set's namespace of `type` at `path` (root only, as
   * `ip netns add`): `/run/netns/NAME` makes a network usable by
   * `ip netns exec NAME`. A missing file is created (and /run/netns, as ip
   * would). close() unmounts it and removes what was created, unless `keep`.
   */
  persist(type: NamespaceName, path: string, options?: PersistOptions): void {
    this.#own(type, 'type');
    validateNonEmptyString(path, 'path');
    const o = optionsObject(options);
    rejectUnknownKeys(o, ['keep'], 'options');
    if (o.keep !== undefined && typeof o.keep !== 'boolean') throw invalidArgValue('options.keep', o.keep, 'must be a boolean');
    this.#open();
    this.#persisted.push({ p: persistNamespace(this.#fds.get(type) as number, path), keep: o.keep === true });
  }

  /**
   * Ends the set: SIGKILLs the holder (and with it every process of the set's
   * PID namespace) and every program started by {@link spawn}, waits for them
   * to be reaped, and unmounts and removes the persisted files. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** `await using`: {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal */
  [kJoinFd](type: NamespaceName): number {
    this.#own(type, `options.join.${String(type)}`);
    this.#open();
    return this.#fds.get(type) as number;
  }

  async #close(): Promise<void> {
    // Until the holder is reaped, close() keeps the event loop alive.
    this.#holder.ref();
    this.#holder.kill('SIGKILL');
    const children = [...this.#children];
    for (const c of children) c.kill('SIGKILL');
    await Promise.all([this.#holderExited, ...children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r))))]);
    for (const fd of this.#fds.values()) fs.closeSync(fd);
    this.#fds.clear();
    let failure: unknown;
    for (const { p, keep } of this.#persisted) {
      if (keep) continue;
      try {
        unpersist(p);
      } catch (e) {
        failure ??= e;
      }
    }
    this.#persisted = [];
    if (failure !== undefined) throw failure;
  }

  #own(type: unknown, name: string): asserts type is NamespaceName {
    if (!isNamespaceName(type) || !this.#types.includes(type)) {
      throw invalidArgValue(name, type, `is not a namespace of this set (it has ${this.#types.map((t) => `'${t}'`).join(', ')})`);
    }
  }

  #open(): void {
    if (this.#closing !== undefined) throw libraryError(ErrorCodes.SET_CLOSED, `The namespace set of holder ${this.pid} is closed.`);
  }
}

/** The file of `type` under /proc/PID/ns: a new time namespace is the holder's time_for_children. */
function procFile(type: NamespaceName): string {
  return type === 'time' ? 'time_for_children' : NAMESPACES[type].procName;
}

/** rejectUnknownKeys, with a clearer word for a key that belongs to the other side. */
function rejectSetKeys(o: Record<string, unknown>, known: readonly string[], name: string, owner: string): void {
  for (const key of Object.keys(o)) {
    if (RESOURCE_KEYS.includes(key)) {
      throw invalidArgValue(`${name}.${key}`, o[key], 'is not supported by namespace sets and pools yet: pass it to spawnIsolated (docs/resources.md)');
    }
    if (!known.includes(key) && (ISOLATION_KEYS.includes(key) || key === 'stdio')) {
      throw invalidArgValue(`${name}.${key}`, o[key], `is not an option here: it belongs to ${owner}()`);
    }
  }
  rejectUnknownKeys(o, known, name);
}

/**
 * Creates namespaces held by a holder process, not tied to one program: a
 * server and its clients in one private network, one set per test worker.
 * Resolves once the namespaces exist (the holder runs); rejects with the
 * error spawnIsolated would emit, bad options included. When Node dies the
 * set dies too (`dieWithParent`, default true). The set does not keep
 * the event loop alive; the programs it runs do.
 *
 * @example
 * ```ts
 * await using set = await createNamespaces({ namespaces: ['net', 'pid', 'mount'] });
 * const server = set.spawn('node', ['server.js']);
 * const { stdout } = await set.spawn('curl', ['http://127.0.0.1:8080']).result;
 * ```
 */
export async function createNamespaces(options?: CreateNamespacesOptions): Promise<NamespaceSet> {
  const o = optionsObject(options);
  rejectSetKeys(o, SET_KEYS, 'options', 'set.spawn');
  const initPath = initExecutablePath();
  if (initPath === undefined) throw libraryError(ErrorCodes.INIT_NOT_FOUND, 'nsjs-init (the holder of a namespace set) was not found beside the nsjs addon; reinstall nsjs');
  const holder = spawnIsolated(initPath, ['--hold'], { ...(o as IsolationOptions), init: false, stdio: 'ignore', env: {} });
  await new Promise<void>((resolve, reject) => {
    holder.once('spawn', resolve);
    holder.once('error', reject);
  });
  holder.unref();
  const pid = holder.pid as number;
  const { created, joined } = normalizeNamespaces(o);
  const types = [...new Set([...created, ...joined.map((j) => j.type)])];
  const fds = new Map<NamespaceName, number>();
  try {
    // Held by fd from here on: a join can never reach another process's namespace through a reused pid.
    for (const t of types) fds.set(t, fs.openSync(`/proc/${pid}/ns/${procFile(t)}`, fs.constants.O_RDONLY));
    const ids = readNamespaceIds(`/proc/${pid}/ns`, types);
    // With mounts in a user namespace, the holder runs in a nested one that
    // owns only its (locked) mount namespace (lock-mounts): members join the
    // outer one, which owns the rest; the mounts stay locked for them too.
    if (fds.has('user') && locksMounts(normalizeIsolation(initPath, ['--hold'], { ...o, init: false, env: {} }, []))) {
      const inner = fds.get('user') as number;
      const outer = binding().nsParentFd(inner);
      fds.set('user', outer);
      fs.closeSync(inner);
      ids.user = { type: 'user', inode: fs.fstatSync(outer).ino, path: `/proc/${process.pid}/fd/${outer}` };
    }
    return new NamespaceSet(holder, types, fds, ids, o.user);
  } catch (e) {
    for (const fd of fds.values()) fs.closeSync(fd);
    holder.kill('SIGKILL');
    throw (e as NodeJS.ErrnoException).syscall ? fromFsError(e) : e;
  }
}
