/**
 * The mounts family: the sandbox's root (`rootfs`, `readonlyRoot`),
 * propagation of `/`, the fresh /proc, and the ordered list of mounts made in
 * the sandbox's mount namespace (setup ops, run by the child's `mounts` step).
 * docs/filesystem.md is the model.
 * @module
 */
import type { NativeOp } from '../../binding';
import { invalidArgType, invalidArgValue, outOfRange } from '../../errors';
import { propagationFlags, type Propagation } from '../../propagation';
import { snapshotArray, snapshotObject, validateInteger, validateNonEmptyString } from '../../validate';
import { rejectUnknownKeys } from './keys';
import { requireCreated, type NormalizedNamespaces } from './namespaces';
import { optionalBoolean } from './values';

/**
 * A directory, made if missing (with any missing directory above it). Only
 * on a tmpfs nsjs mounted (a `'tmpfs'` root, a tmpfs, dev or tmpfs-upper
 * overlay entry): never on the host's own files.
 */
export interface DirMount {
  /** The entry's kind. */
  type: 'dir';
  /** An absolute path in the sandbox's view, on the `'tmpfs'` root or below an earlier tmpfs entry. */
  /** Where, in the sandbox's view: an absolute path; made if missing on a tmpfs nsjs mounted. */
  target: string;
  /** Its mode, exactly (no umask). @default 0o755 */
  mode?: number;
}

/** A fresh tmpfs (nosuid, nodev). */
export interface TmpfsMount {
  /** The entry's kind. */
  type: 'tmpfs';
  /** An absolute path in the sandbox's view; made if missing on a tmpfs nsjs mounted. */
  /** Where, in the sandbox's view: an absolute path; made if missing on a tmpfs nsjs mounted. */
  target: string;
  /** Its size limit in bytes (the kernel rounds up to pages). @default the kernel's: half of RAM */
  size?: number;
  /** The mode of its root. @default 0o755 */
  mode?: number;
}

/** A recursive bind mount (bubblewrap's `--bind`, `--ro-bind`, `--bind-try`). */
export interface BindMount {
  /** The entry's kind. */
  type: 'bind';
  /** What to mount: an absolute host path (with a new root, in the host's tree, not the new root). */
  source: string;
  /** Where: an absolute path in the sandbox's view; made if missing on a tmpfs nsjs mounted. @default source */
  target?: string;
  /** Read-only all the way down (mount_setattr with AT_RECURSIVE, Linux 5.12), set before it is attached. @default false */
  readonly?: boolean;
  /** A missing source skips this mount instead of failing. @default false */
  optional?: boolean;
}

/** A fresh procfs (nosuid, nodev, noexec) of the sandbox's PID namespace. */
export interface ProcMount {
  /** The entry's kind. */
  type: 'proc';
  /** Where, in the sandbox's view: an absolute path; made if missing on a tmpfs nsjs mounted. */
  target: string;
}

/** A fresh mqueue filesystem of the sandbox's IPC namespace. */
export interface MqueueMount {
  /** The entry's kind. */
  type: 'mqueue';
  /** Where, in the sandbox's view: an absolute path; made if missing on a tmpfs nsjs mounted. */
  target: string;
}

/**
 * A minimal /dev on a tmpfs: null, zero, full, random, urandom, tty (bound
 * from the host's nodes, so it works rootless), a private devpts with `ptmx`,
 * a tmpfs `shm`, and the fd/stdin/stdout/stderr links. No disk.
 */
export interface DevMount {
  /** The entry's kind. */
  type: 'dev';
  /** Where, in the sandbox's view: an absolute path; made if missing on a tmpfs nsjs mounted. */
  target: string;
}

/** A symbolic link, made on a tmpfs nsjs mounted (an existing one must say the same). */
export interface SymlinkMount {
  /** The entry's kind. */
  type: 'symlink';
  /** Where, in the sandbox's view: an absolute path; made if missing on a tmpfs nsjs mounted. */
  target: string;
  /** What the link says (any string: it is not resolved by nsjs). */
  linkTo: string;
}

/**
 * A file whose content comes from memory: written into nsjs's own staging
 * tmpfs, then bound on the target (an existing file is covered, never
 * written; a missing one is made on a tmpfs nsjs mounted).
 */
export interface FileMount {
  /** The entry's kind. */
  type: 'file';
  /** Where, in the sandbox's view: an absolute path; made if missing on a tmpfs nsjs mounted. */
  target: string;
  /** Its content (a string is UTF-8). */
  data: string | Uint8Array;
  /** Its mode, exactly. @default 0o644 */
  mode?: number;
  /** Read-only. @default false */
  readonly?: boolean;
}

/** An overlay of host directories (Linux 5.11 for a user namespace). */
export interface OverlayMount {
  /** The entry's kind. */
  type: 'overlay';
  /** Where, in the sandbox's view: an absolute path; made if missing on a tmpfs nsjs mounted. */
  target: string;
  /** The lower layers, top first: absolute host paths. */
  lower: readonly string[];
  /**
   * Where writes go: a host directory (then `work` too, on the same
   * filesystem), or `'tmpfs'` for a throwaway tmpfs (bubblewrap's
   * `--tmp-overlay`). Without it, the overlay is read-only (the kernel wants
   * at least two lower layers then).
   */
  upper?: string;
  /** overlayfs's workdir, an empty host directory beside `upper`; only with a host `upper`. */
  work?: string;
}

/** One entry of `mounts`. */
export type MountEntry =
  | DirMount
  | TmpfsMount
  | BindMount
  | ProcMount
  | MqueueMount
  | DevMount
  | SymlinkMount
  | FileMount
  | OverlayMount;

/** The sandbox's root: the host's tree, an empty tmpfs, or a host directory (an absolute path). */
export type RootFs = 'host' | 'tmpfs' | (string & {});

/** Options of the mounts family. */
export interface MountOptions {
  /**
   * The root: `'host'` (the host's tree in a private mount namespace),
   * `'tmpfs'` (an empty root built only from `mounts`) or an absolute path of a
   * host directory (it becomes `/`). With a new root, nsjs pivots into it and
   * detaches the host's: nothing of the host is reachable but what `mounts`
   * put there. Needs a new `'mount'`. @default 'host'
   */
  rootfs?: RootFs;
  /** The root mount itself is read-only once `mounts` ran (what they mounted keeps its own flags). @default false */
  readonlyRoot?: boolean;
  /** Propagation of `/` in the new mount namespace, set before anything is mounted. Needs a new `'mount'`. @default 'private' */
  propagation?: Propagation;
  /**
   * Mount a fresh /proc. Needs a new `'mount'`. With a new root it is mounted
   * in it, after `mounts` (made in a `'tmpfs'` root; not again if `mounts` has
   * a proc entry at /proc); on the host's tree it is made private first: it
   * never propagates out. @default true with new 'pid' and 'mount'
   */
  mountProc?: boolean;
  /**
   * Mounts made in order, in the new mount namespace (below the new root
   * when there is one), after `/` is made private and before the hostname.
   * A failure names the entry: `err.op` (its index), `err.path` and
   * `err.dest`. Needs a new `'mount'` with propagation `'private'` or
   * `'slave'`, so that none is seen outside.
   */
  mounts?: readonly MountEntry[];
}

/** @internal Where a failed op points: its paths as the user gave them. */
export interface OpPaths {
  path: string;
  dest?: string;
}

/** @internal */
export interface NormalizedMounts {
  propagation: number;
  /** The mount-proc step (the host's tree only; with a new root /proc is an op). */
  mountProc: boolean;
  ops: NativeOp[];
  /** Per op: the paths a failure names. */
  opPaths: OpPaths[];
  /** Ops from index `userOps` on were added by nsjs (the new root's /proc). */
  userOps: number;
  rootfs: 0 | 1 | 2;
  rootfsPath?: string;
  staging: boolean;
  readonlyRoot: boolean;
}

const MS_REC = 0x4000;
const MS_PRIVATE = 1 << 18;
const MS_SLAVE = 1 << 19;
const ENTRY_KEYS: Record<MountEntry['type'], readonly string[]> = {
  dir: ['type', 'target', 'mode'],
  tmpfs: ['type', 'target', 'size', 'mode'],
  bind: ['type', 'source', 'target', 'readonly', 'optional'],
  proc: ['type', 'target'],
  mqueue: ['type', 'target'],
  dev: ['type', 'target'],
  symlink: ['type', 'target', 'linkTo'],
  file: ['type', 'target', 'data', 'mode', 'readonly'],
  overlay: ['type', 'target', 'lower', 'upper', 'work'],
};
/** Kinds that are a tmpfs of nsjs's: what is missing below them may be made. */
const CREATABLE = new Set(['tmpfs', 'dev', 'overlay-tmpfs']);
const PATH_MAX = 4096;

/**
 * An absolute, normalized path: a path means what it says, with no '.', '..'
 * or empty components to walk elsewhere (a target is resolved inside the
 * sandbox's root, where '..' stays at '/' anyway).
 */
function absolutePath(value: unknown, name: string): string {
  validateNonEmptyString(value, name);
  if (!value.startsWith('/')) throw invalidArgValue(name, value, 'must be an absolute path');
  if (value !== '/' && value.slice(1).split('/').some((c) => c === '' || c === '.' || c === '..')) {
    throw invalidArgValue(name, value, "must be a normalized path (no '.', '..' or '//' components)");
  }
  if (Buffer.byteLength(value) >= PATH_MAX) throw invalidArgValue(name, value, `must be shorter than ${PATH_MAX} bytes`);
  return value;
}
const hostPath = absolutePath;
const sandboxPath = absolutePath;

function mode(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  validateInteger(value, name, 0, 0o7777);
  return value;
}

/** overlayfs splits lowerdir on ':' and takes '\' as an escape. */
const escapeLayer = (p: string) => p.replace(/[\\:]/g, (c) => `\\${c}`);

interface OpContext {
  index: number;
  /** The sandbox has its own user namespace (overlay takes userxattr there). */
  userns: boolean;
}

/** @internal One entry as the op the child runs, and the paths a failure of it names. */
export function mountOp(value: unknown, name: string, ctx: OpContext = { index: 0, userns: false }): { op: NativeOp; paths: OpPaths } {
  const entry = snapshotObject(value, name);
  const type = entry.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(ENTRY_KEYS, type)) {
    throw invalidArgValue(`${name}.type`, type, `must be one of ${Object.keys(ENTRY_KEYS).map((k) => `'${k}'`).join(', ')}`);
  }
  rejectUnknownKeys(entry, ENTRY_KEYS[type as MountEntry['type']], name);
  const base = { params: [] as [string, string | null][], readonly: false, optional: false, tmpUpper: false, mode: 0 };
  const kind = type as MountEntry['type'];
  const target = kind === 'bind' && entry.target === undefined ? undefined : sandboxPath(entry.target, `${name}.target`);
  switch (kind) {
    case 'dir':
      return { op: { ...base, kind, target: target!, mode: mode(entry.mode, `${name}.mode`, 0o755) }, paths: { path: target! } };
    case 'proc':
    case 'mqueue':
    case 'dev':
      return { op: { ...base, kind, target: target! }, paths: { path: target! } };
    case 'tmpfs': {
      const params: [string, string][] = [['mode', mode(entry.mode, `${name}.mode`, 0o755).toString(8)]];
      if (entry.size !== undefined) {
        if (typeof entry.size !== 'number') throw invalidArgType(`${name}.size`, 'of type number', entry.size);
        if (!Number.isSafeInteger(entry.size) || entry.size < 1) throw outOfRange(`${name}.size`, 'a whole number of bytes >= 1', entry.size);
        params.push(['size', String(entry.size)]);
      }
      return { op: { ...base, kind, target: target!, params }, paths: { path: target! } };
    }
    case 'bind': {
      const source = hostPath(entry.source, `${name}.source`);
      const dest = target ?? sandboxPath(source, `${name}.source`);
      const readonly = optionalBoolean(entry.readonly, `${name}.readonly`, false);
      const optional = optionalBoolean(entry.optional, `${name}.optional`, false);
      return { op: { ...base, kind, source, target: dest, readonly, optional }, paths: { path: source, dest } };
    }
    case 'symlink': {
      validateNonEmptyString(entry.linkTo, `${name}.linkTo`);
      if (Buffer.byteLength(entry.linkTo) >= PATH_MAX) throw invalidArgValue(`${name}.linkTo`, entry.linkTo, `must be shorter than ${PATH_MAX} bytes`);
      return { op: { ...base, kind, target: target!, source: entry.linkTo }, paths: { path: target! } };
    }
    case 'file': {
      const data = entry.data;
      let bytes: Buffer;
      if (typeof data === 'string') bytes = Buffer.from(data, 'utf8');
      else if (data instanceof Uint8Array) bytes = Buffer.from(data);
      else throw invalidArgType(`${name}.data`, 'of type string or an instance of Uint8Array', data);
      const readonly = optionalBoolean(entry.readonly, `${name}.readonly`, false);
      return {
        op: { ...base, kind, target: target!, source: `file-${ctx.index}`, data: bytes, mode: mode(entry.mode, `${name}.mode`, 0o644), readonly },
        paths: { path: target! },
      };
    }
    case 'overlay': {
      const lower = snapshotArray(entry.lower, `${name}.lower`).map((l, i) => hostPath(l, `${name}.lower[${i}]`));
      if (lower.length === 0) throw invalidArgValue(`${name}.lower`, entry.lower, 'must hold at least one directory');
      const params: [string, string | null][] = [['lowerdir', lower.map(escapeLayer).join(':')]];
      let tmpUpper = false;
      if (entry.upper === 'tmpfs') {
        if (entry.work !== undefined) throw invalidArgValue(`${name}.work`, entry.work, "must be omitted with upper 'tmpfs' (nsjs makes it)");
        tmpUpper = true;
        params.push(['upperdir', `upper-${ctx.index}`], ['workdir', `work-${ctx.index}`]);
      } else if (entry.upper !== undefined) {
        params.push(['upperdir', hostPath(entry.upper, `${name}.upper`)]);
        if (entry.work === undefined) throw invalidArgValue(`${name}.work`, entry.work, 'must be given with a host `upper` (an empty directory on the same filesystem)');
        params.push(['workdir', hostPath(entry.work, `${name}.work`)]);
      } else if (entry.work !== undefined) {
        throw invalidArgValue(`${name}.work`, entry.work, 'must be omitted without `upper`');
      } else if (lower.length < 2) {
        // overlayfs's own rule (the kernel says only EINVAL).
        throw invalidArgValue(`${name}.lower`, entry.lower, 'must hold at least two directories without `upper` (a read-only overlay); bind the one directory read-only instead');
      }
      if (ctx.userns) params.push(['userxattr', null]);
      return { op: { ...base, kind, target: target!, params, tmpUpper, readonly: entry.upper === undefined }, paths: { path: target! } };
    }
  }
}

/** The kind of what is mounted at the deepest of `earlier` covering `target` (the root's when none). */
function coveringKind(target: string, earlier: readonly NativeOp[], rootKind: string): string {
  let best = rootKind;
  let depth = -1;
  for (const op of earlier) {
    if (op.kind === 'dir' || op.kind === 'symlink') continue;
    const t = op.target;
    const covers = t === '/' || target === t || target.startsWith(`${t}/`);
    if (!covers) continue;
    const d = t === '/' ? 0 : t.split('/').length;
    if (d >= depth) {
      depth = d;
      best = op.kind === 'overlay' && op.tmpUpper ? 'overlay-tmpfs' : op.kind;
    }
  }
  return best;
}

function rootOption(value: unknown): { rootfs: 0 | 1 | 2; rootfsPath?: string } {
  if (value === undefined || value === 'host') return { rootfs: 0 };
  if (value === 'tmpfs') return { rootfs: 1 };
  if (typeof value !== 'string') throw invalidArgType('options.rootfs', "'host', 'tmpfs' or an absolute path", value);
  if (!value.startsWith('/')) throw invalidArgValue('options.rootfs', value, "must be 'host', 'tmpfs' or an absolute path of a directory");
  return { rootfs: 2, rootfsPath: hostPath(value, 'options.rootfs') };
}

/** @internal */
export function normalizeMounts(o: Record<string, unknown>, ns: NormalizedNamespaces): NormalizedMounts {
  const newMount = ns.created.includes('mount');
  if (o.propagation !== undefined) requireCreated(ns, 'mount', 'propagation');
  const propagation = newMount ? propagationFlags(o.propagation ?? 'private', 'options.propagation') : 0;
  let mountProc = optionalBoolean(o.mountProc, 'options.mountProc', ns.created.includes('pid') && newMount);
  if (mountProc) requireCreated(ns, 'mount', 'mountProc');
  const root = rootOption(o.rootfs);
  if (root.rootfs !== 0) requireCreated(ns, 'mount', 'rootfs');
  const readonlyRoot = optionalBoolean(o.readonlyRoot, 'options.readonlyRoot', false);
  if (readonlyRoot) requireCreated(ns, 'mount', 'readonlyRoot');
  const userns = ns.created.includes('user') || ns.joined.some((j) => j.type === 'user');

  const ops: NativeOp[] = [];
  const opPaths: OpPaths[] = [];
  if (o.mounts !== undefined) {
    requireCreated(ns, 'mount', 'mounts');
    snapshotArray(o.mounts, 'options.mounts').forEach((entry, i) => {
      const name = `options.mounts[${i}]`;
      const { op, paths } = mountOp(entry, name, { index: i, userns });
      if (op.target === '/' && root.rootfs === 0 && op.kind !== 'dir') {
        throw invalidArgValue(`${name}.target`, op.target, "may be '/' only with a new root (rootfs 'tmpfs' or a directory): the host's / cannot be replaced");
      }
      // mkdir or a link on a host directory would be seen outside, also after a failed spawn.
      if ((op.kind === 'dir' || op.kind === 'symlink') && !CREATABLE.has(coveringKind(op.target, ops, root.rootfs === 1 ? 'tmpfs' : 'host'))) {
        throw invalidArgValue(
          `${name}.target`,
          op.target,
          "must lie on the 'tmpfs' root or in a tmpfs, dev or tmpfs-upper overlay an earlier entry mounts (nsjs never makes anything on the host's files)",
        );
      }
      ops.push(op);
      opPaths.push(paths);
    });
  }
  const userOps = ops.length;
  // With a new root, /proc is mounted in it as one more op, after the others.
  if (root.rootfs !== 0 && mountProc) {
    if (!ops.some((op) => op.kind === 'proc' && op.target === '/proc')) {
      ops.push({ kind: 'proc', target: '/proc', params: [], mode: 0, readonly: false, optional: false, tmpUpper: false });
      opPaths.push({ path: '/proc' });
    }
    mountProc = false;
  }
  // A mount under a shared "/" would be seen by its peers, the host's too.
  const changesTree = ops.length > 0 || root.rootfs !== 0 || readonlyRoot;
  if (changesTree && propagation !== (MS_REC | MS_PRIVATE) && propagation !== (MS_REC | MS_SLAVE)) {
    const what = userOps > 0 ? '`mounts`' : root.rootfs !== 0 ? 'a new root' : '`readonlyRoot`';
    throw invalidArgValue('options.propagation', o.propagation, `must be 'private' or 'slave' with ${what} (nothing nsjs mounts may be seen outside)`);
  }
  const staging = ops.some((op) => op.kind === 'file' || op.tmpUpper);
  return { propagation, mountProc, ops, opPaths, userOps, ...root, staging, readonlyRoot };
}
