/**
 * The flags of `nsjs run`, spelled as bubblewrap spells them wherever it has
 * the flag, each with what it does to the spawnIsolated options. The defaults
 * are nsjs's (new PID, mount, UTS, IPC and network namespaces), so
 * `--share-net` keeps the host's network and `--unshare-user` adds one;
 * bubblewrap's `--unshare-pid` & co. and `--die-with-parent` are accepted
 * and change nothing.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import type { NamespaceName } from '../namespaces';
import { CAPABILITY_NAMES, DEFAULT_CAPABILITIES } from '../spawn/options/capabilities';
import type { SpawnIsolatedOptions } from '../spawn/spawn-isolated';
import { UsageError, type FlagSpec } from './args';

/** The options being built, mutable while flags apply in order. */
export interface RunOptions extends SpawnIsolatedOptions {
  namespaces: NamespaceName[];
  env: Record<string, string | undefined>;
  mounts: NonNullable<SpawnIsolatedOptions['mounts']>[number][];
  join: Partial<Record<NamespaceName, string>>;
}

/** What the CLI itself does with a flag, beyond the options. */
export interface RunControl {
  /** `--json-status FD`: the fd to write JSON lines of status to. */
  jsonStatusFd?: number;
  /** `--overlay-src` layers, bottom first, waiting for the overlay they are for. */
  overlaySources?: string[];
}

/** An overlay of the `--overlay-src` layers given since the last one (bubblewrap's order: bottom first). */
function overlay(o: RunOptions, control: RunControl, flag: string, target: string, upper?: 'tmpfs'): void {
  const layers = control.overlaySources ?? [];
  if (layers.length === 0) throw new UsageError(`--${flag} needs --overlay-src before it`);
  control.overlaySources = [];
  o.mounts.push({ type: 'overlay', target, lower: [...layers].reverse(), ...(upper ? { upper } : {}) });
}

interface RunFlag extends FlagSpec {
  apply(o: RunOptions, values: string[], control: RunControl): void;
}

const NAMESPACE_NAMES: readonly NamespaceName[] = ['pid', 'mount', 'uts', 'ipc', 'net', 'user', 'cgroup', 'time'];

function add(o: RunOptions, ns: NamespaceName): void {
  if (!o.namespaces.includes(ns)) o.namespaces.push(ns);
}

/** The capability set being built by --cap-add/--cap-drop, from Docker's default (as bubblewrap starts from its own). */
function capabilities(o: RunOptions): string[] {
  if (!Array.isArray(o.capabilities)) o.capabilities = o.capabilities === 'none' ? [] : o.capabilities === 'all' ? [...CAPABILITY_NAMES] : [...DEFAULT_CAPABILITIES];
  return o.capabilities as string[];
}

const capName = (v: string) => v.toUpperCase().replace(/^CAP_/, '');

function integer(flag: string, value: string, min = 0): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${flag} takes a whole number, got '${value}'`);
  return Number(value);
}

/** A size in bytes: a whole number with an optional K, M, G or T (powers of 1024, as `docker run --memory`). */
function bytes(flag: string, value: string): number {
  const m = /^(\d+)([KMGT]?)i?B?$/i.exec(value);
  if (!m) throw new UsageError(`--${flag} takes a size in bytes (e.g. 512M, 2G), got '${value}'`);
  return Number(m[1]) * 1024 ** 'BKMGT'.indexOf((m[2] || 'B').toUpperCase());
}

/** An rlimit value as prlimit(1) writes it: N, unlimited, or SOFT:HARD. */
function rlimitValue(value: string): number | { soft: number; hard: number } {
  const one = (v: string) => (v === 'unlimited' || v === 'infinity' ? Infinity : /^\d+$/.test(v) ? Number(v) : NaN);
  const [soft, hard, extra] = value.split(':');
  const parsed = hard === undefined ? one(soft) : { soft: one(soft), hard: one(hard) };
  if (extra !== undefined || (typeof parsed === 'number' ? Number.isNaN(parsed) : Number.isNaN(parsed.soft) || Number.isNaN(parsed.hard))) {
    throw new UsageError(`--rlimit takes NAME=N, NAME=unlimited or NAME=SOFT:HARD, got '${value}'`);
  }
  return parsed;
}

/** An id map as util-linux unshare --map-users takes it: INSIDE:OUTSIDE:COUNT (or OUTSIDE,INSIDE,COUNT). */
function idMap(flag: string, value: string): { inside: number; outside: number; count: number } {
  const colon = /^(\d+):(\d+):(\d+)$/.exec(value);
  if (colon) return { inside: Number(colon[1]), outside: Number(colon[2]), count: Number(colon[3]) };
  const comma = /^(\d+),(\d+),(\d+)$/.exec(value);
  if (comma) return { outside: Number(comma[1]), inside: Number(comma[2]), count: Number(comma[3]) };
  throw new UsageError(`--${flag} takes INSIDE:OUTSIDE:COUNT (or unshare's OUTER,INNER,COUNT), got '${value}'`);
}

const unchanged = (help: string): RunFlag => ({ type: 'boolean', help: `${help} (nsjs does it by default; accepted for bubblewrap's spelling)`, apply: () => undefined });

export const RUN_FLAGS: Readonly<Record<string, RunFlag>> = {
  help: { type: 'boolean', help: 'show this help', apply: () => undefined },
  'share-net': { type: 'boolean', help: "keep the host's network (no new network namespace)", apply: (o) => (o.namespaces = o.namespaces.filter((n) => n !== 'net')) },
  'unshare-user': { type: 'boolean', help: 'a new user namespace too (automatic when not root)', apply: (o) => add(o, 'user') },
  'unshare-cgroup': { type: 'boolean', help: 'a new cgroup namespace too', apply: (o) => add(o, 'cgroup') },
  'unshare-time': { type: 'boolean', help: 'a new time namespace too', apply: (o) => add(o, 'time') },
  'unshare-all': { type: 'boolean', help: 'every namespace but time: pid, mount, uts, ipc, net, user, cgroup', apply: (o) => ['user', 'cgroup', 'net'].forEach((n) => add(o, n as NamespaceName)) },
  'unshare-pid': unchanged('a new PID namespace'),
  'unshare-ipc': unchanged('a new IPC namespace'),
  'unshare-uts': unchanged('a new UTS namespace'),
  'unshare-net': unchanged('a new network namespace'),
  'die-with-parent': unchanged('kill the sandbox when nsjs dies'),
  'new-session': unchanged('start a new session (no controlling terminal)'),
  hostname: { type: 'string', help: 'NAME: the hostname inside', apply: (o, [v]) => (o.hostname = v) },
  bind: { type: 'string', arity: 2, help: 'SRC DEST: bind-mount SRC on DEST (recursive, writable)', apply: (o, [s, d]) => o.mounts.push({ type: 'bind', source: s, target: d }) },
  'ro-bind': { type: 'string', arity: 2, help: 'SRC DEST: bind-mount SRC on DEST, read-only all the way down', apply: (o, [s, d]) => o.mounts.push({ type: 'bind', source: s, target: d, readonly: true }) },
  'bind-try': { type: 'string', arity: 2, help: 'SRC DEST: as --bind, skipped when SRC is missing', apply: (o, [s, d]) => o.mounts.push({ type: 'bind', source: s, target: d, optional: true }) },
  'ro-bind-try': { type: 'string', arity: 2, help: 'SRC DEST: as --ro-bind, skipped when SRC is missing', apply: (o, [s, d]) => o.mounts.push({ type: 'bind', source: s, target: d, readonly: true, optional: true }) },
  tmpfs: { type: 'string', help: 'DEST: a fresh tmpfs on DEST', apply: (o, [d]) => o.mounts.push({ type: 'tmpfs', target: d }) },
  dir: { type: 'string', help: 'DEST: a directory, on the tmpfs root or inside a tmpfs given before it', apply: (o, [d]) => o.mounts.push({ type: 'dir', target: d }) },
  rootfs: { type: 'string', help: "tmpfs|DIR: a root of the sandbox's own: an empty tmpfs, or that directory (pivot_root into it)", apply: (o, [v]) => (o.rootfs = v) },
  'remount-ro': {
    type: 'string',
    help: 'DEST: only /: the root read-only once the mounts are made',
    apply: (o, [d]) => {
      if (d !== '/') throw new UsageError(`--remount-ro takes only / (the root), got '${d}'`);
      o.readonlyRoot = true;
    },
  },
  dev: { type: 'string', help: 'DEST: a minimal /dev (null, zero, full, random, urandom, tty, pts, shm)', apply: (o, [d]) => o.mounts.push({ type: 'dev', target: d }) },
  proc: { type: 'string', help: "DEST: a fresh procfs of the sandbox's PID namespace", apply: (o, [d]) => o.mounts.push({ type: 'proc', target: d }) },
  mqueue: { type: 'string', help: 'DEST: a fresh mqueue filesystem', apply: (o, [d]) => o.mounts.push({ type: 'mqueue', target: d }) },
  symlink: { type: 'string', arity: 2, help: 'TARGET DEST: a symbolic link at DEST saying TARGET', apply: (o, [t, d]) => o.mounts.push({ type: 'symlink', target: d, linkTo: t }) },
  'overlay-src': { type: 'string', help: 'SRC: a lower layer for the next overlay flag (bottom first, as bubblewrap)', apply: (_o, [v], control) => (control.overlaySources = [...(control.overlaySources ?? []), v]) },
  'tmp-overlay': { type: 'string', help: 'DEST: an overlay of the --overlay-src layers, writes kept in a throwaway tmpfs', apply: (o, [d], control) => overlay(o, control, 'tmp-overlay', d, 'tmpfs') },
  'ro-overlay': { type: 'string', help: 'DEST: a read-only overlay of the --overlay-src layers (two at least)', apply: (o, [d], control) => overlay(o, control, 'ro-overlay', d) },
  uid: { type: 'string', help: 'UID: the uid inside (a user namespace)', apply: (o, [v]) => (o.user = { ...o.user, uid: integer('uid', v) }) },
  gid: { type: 'string', help: 'GID: the gid inside (a user namespace)', apply: (o, [v]) => (o.user = { ...o.user, gid: integer('gid', v) }) },
  setenv: { type: 'string', arity: 2, help: 'VAR VALUE: set an environment variable', apply: (o, [k, v]) => (o.env[k] = v) },
  unsetenv: { type: 'string', help: 'VAR: unset an environment variable', apply: (o, [k]) => delete o.env[k] },
  clearenv: { type: 'boolean', help: 'start from an empty environment (PATH included)', apply: (o) => (o.env = {}) },
  'cap-add': {
    type: 'string',
    help: 'CAP: keep this capability too (ALL: every one); the set starts as Docker\'s default',
    apply: (o, [v]) => {
      if (capName(v) === 'ALL') o.capabilities = 'all';
      else if (!capabilities(o).includes(capName(v))) capabilities(o).push(capName(v));
    },
  },
  'cap-drop': {
    type: 'string',
    help: 'CAP: drop this capability (ALL: every one)',
    apply: (o, [v]) => {
      if (capName(v) === 'ALL') o.capabilities = 'none';
      else o.capabilities = capabilities(o).filter((c) => c !== capName(v));
    },
  },
  seccomp: {
    type: 'string',
    help: "FILE|none: an OCI/Docker seccomp profile (JSON) instead of nsjs's default filter, or none",
    apply: (o, [v]) => {
      if (v === 'none') o.seccomp = false;
      else {
        try {
          o.seccomp = JSON.parse(fs.readFileSync(v, 'utf8'));
        } catch (e) {
          throw new UsageError(`--seccomp ${v}: ${(e as Error).message}`);
        }
      }
    },
  },
  rlimit: {
    type: 'string',
    help: 'NAME=N|unlimited|SOFT:HARD: a resource limit of each process, with prlimit(1)\'s names (nofile, nproc, as, cpu, core, …)',
    apply: (o, [v]) => {
      const m = /^([a-z]+)=(.+)$/.exec(v);
      if (!m) throw new UsageError(`--rlimit takes NAME=VALUE, got '${v}'`);
      o.rlimits = { ...o.rlimits, [m[1]]: rlimitValue(m[2]) };
    },
  },
  memory: { type: 'string', help: 'BYTES: memory of the whole sandbox, through a cgroup (K, M, G suffixes)', apply: (o, [v]) => (o.limits = { ...o.limits, memory: bytes('memory', v) }) },
  pids: { type: 'string', help: 'N: processes of the whole sandbox, through a cgroup', apply: (o, [v]) => (o.limits = { ...o.limits, pids: integer('pids', v, 1) }) },
  cpus: {
    type: 'string',
    help: 'N: CPUs of the whole sandbox, through a cgroup (0.5: half of one, as docker run --cpus)',
    apply: (o, [v]) => {
      if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0) throw new UsageError(`--cpus takes a positive number, got '${v}'`);
      o.limits = { ...o.limits, cpu: Number(v) };
    },
  },
  'cgroup-parent': {
    type: 'string',
    help: 'PATH: make the sandbox\'s cgroup v2 under this delegated cgroup (as /proc/self/cgroup names it), as docker run --cgroup-parent; also without limits: whole-sandbox kill through cgroup.kill',
    apply: (o, [v]) => (o.cgroup = { parent: v }),
  },
  'map-users': {
    type: 'string',
    help: 'INSIDE:OUTSIDE:COUNT: a uid range of the user namespace (repeatable; newuidmap when not root), or auto: the caller\'s /etc/subuid range',
    apply: (o, [v]) => {
      add(o, 'user');
      if (v === 'auto') o.mapAuto = true;
      else o.uidMap = [...(o.uidMap ?? []), idMap('map-users', v)];
    },
  },
  'map-groups': {
    type: 'string',
    help: 'INSIDE:OUTSIDE:COUNT: a gid range of the user namespace (repeatable), as --map-users',
    apply: (o, [v]) => {
      add(o, 'user');
      if (v === 'auto') o.mapAuto = true;
      else o.gidMap = [...(o.gidMap ?? []), idMap('map-groups', v)];
    },
  },
  chdir: { type: 'string', help: 'DIR: the working directory inside', apply: (o, [d]) => (o.cwd = d) },
  timeout: { type: 'string', help: 'MS: SIGTERM the sandbox after MS milliseconds', apply: (o, [v]) => (o.timeout = integer('timeout', v, 1)) },
  'no-init': { type: 'boolean', help: 'no nsjs-init: the program is PID 1 itself', apply: (o) => (o.init = false) },
  join: {
    type: 'string',
    help: 'TYPE=PATH: join that existing namespace instead of making one (e.g. net=/run/netns/test)',
    apply: (o, [v]) => {
      const m = /^([a-z]+)=(.+)$/.exec(v);
      if (!m || !NAMESPACE_NAMES.includes(m[1] as NamespaceName)) throw new UsageError(`--join takes TYPE=PATH with TYPE one of ${NAMESPACE_NAMES.join(', ')}, got '${v}'`);
      const type = m[1] as NamespaceName;
      o.join[type] = m[2];
      o.namespaces = o.namespaces.filter((n) => n !== type);
    },
  },
  'json-status': {
    type: 'string',
    help: 'FD: write JSON lines to FD: {"child-pid", …} once started, then {"exit-code", …}',
    apply: (_o, [v], control) => (control.jsonStatusFd = integer('json-status', v)),
  },
};
