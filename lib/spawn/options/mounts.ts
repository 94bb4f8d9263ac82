/**
 * The mounts family: propagation of `/`, the fresh /proc, and the ordered
 * list of mounts made in the sandbox's mount namespace (setup ops, run by the
 * child's `mounts` step).
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
 * A directory made if missing (mkdir, not recursive; an existing one is kept).
 * Only inside a tmpfs an earlier entry mounted: never on the host's own files.
 */
export interface DirMount {
  /** A directory. */
  type: 'dir';
  /** An absolute path in the sandbox's view, below an earlier tmpfs entry's target. */
  target: string;
  /** Its mode. @default 0o755 */
  mode?: number;
}

/** A fresh tmpfs (nosuid, nodev). */
export interface TmpfsMount {
  /** A tmpfs. */
  type: 'tmpfs';
  /** An absolute path in the sandbox's view; it must exist. */
  target: string;
  /** Its size limit in bytes (the kernel rounds up to pages). @default the kernel's: half of RAM */
  size?: number;
  /** The mode of its root. @default 0o755 */
  mode?: number;
}

/** A recursive bind mount (bubblewrap's `--bind`, `--ro-bind`, `--bind-try`). */
export interface BindMount {
  /** A bind mount. */
  type: 'bind';
  /** What to mount: an absolute host path, as seen when the mounts run. */
  source: string;
  /** Where: an absolute path in the sandbox's view; it must exist. @default source */
  target?: string;
  /** Read-only all the way down (mount_setattr with AT_RECURSIVE, Linux 5.12). @default false */
  readonly?: boolean;
  /** A missing source skips this mount instead of failing. @default false */
  optional?: boolean;
}

/** One entry of `mounts`. */
export type MountEntry = DirMount | TmpfsMount | BindMount;

/** Options of the mounts family. */
export interface MountOptions {
  /** Propagation of `/` in the new mount namespace, set before anything is mounted. Needs a new `'mount'`. @default 'private' */
  propagation?: Propagation;
  /** Mount a fresh /proc (made private first: it never propagates out). Needs a new `'mount'`. @default true with new 'pid' and 'mount' */
  mountProc?: boolean;
  /**
   * Mounts made in order, in the new mount namespace, after `/` is made
   * private and before the hostname and /proc. A failure names the entry:
   * `err.op` (its index), `err.path` and `err.dest`. Needs a new `'mount'`
   * with propagation `'private'` or `'slave'`, so that none is seen outside.
   */
  mounts?: readonly MountEntry[];
}

/** @internal */
export interface NormalizedMounts {
  propagation: number;
  mountProc: boolean;
  ops: NativeOp[];
}

const MS_REC = 0x4000;
const MS_PRIVATE = 1 << 18;
const MS_SLAVE = 1 << 19;
const ENTRY_KEYS: Record<MountEntry['type'], readonly string[]> = {
  dir: ['type', 'target', 'mode'],
  tmpfs: ['type', 'target', 'size', 'mode'],
  bind: ['type', 'source', 'target', 'readonly', 'optional'],
};

function absolutePath(value: unknown, name: string): string {
  validateNonEmptyString(value, name);
  if (!value.startsWith('/')) throw invalidArgValue(name, value, 'must be an absolute path');
  // A path means what it says: no '.', '..' or empty components to walk elsewhere.
  if (value !== '/' && value.slice(1).split('/').some((c) => c === '' || c === '.' || c === '..')) {
    throw invalidArgValue(name, value, "must be a normalized path (no '.', '..' or '//' components)");
  }
  return value;
}

/** Whether `path` is `dir` or lies below it. */
const within = (path: string, dir: string) => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

function mode(value: unknown, name: string): number {
  if (value === undefined) return 0o755;
  validateInteger(value, name, 0, 0o7777);
  return value;
}

/** @internal One entry as the op the child runs. */
export function mountOp(value: unknown, name: string): NativeOp {
  const entry = snapshotObject(value, name);
  const type = entry.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(ENTRY_KEYS, type)) {
    throw invalidArgValue(`${name}.type`, type, `must be one of ${Object.keys(ENTRY_KEYS).map((k) => `'${k}'`).join(', ')}`);
  }
  rejectUnknownKeys(entry, ENTRY_KEYS[type as MountEntry['type']], name);
  const base = { readonly: false, optional: false, mode: 0 };
  switch (type as MountEntry['type']) {
    case 'dir':
      return { ...base, kind: 'dir', target: absolutePath(entry.target, `${name}.target`), mode: mode(entry.mode, `${name}.mode`) };
    case 'tmpfs': {
      const target = absolutePath(entry.target, `${name}.target`);
      const opts = [`mode=${mode(entry.mode, `${name}.mode`).toString(8)}`];
      if (entry.size !== undefined) {
        if (typeof entry.size !== 'number') throw invalidArgType(`${name}.size`, 'of type number', entry.size);
        if (!Number.isSafeInteger(entry.size) || entry.size < 1) throw outOfRange(`${name}.size`, 'a whole number of bytes >= 1', entry.size);
        opts.push(`size=${entry.size}`);
      }
      return { ...base, kind: 'tmpfs', target, data: opts.join(',') };
    }
    case 'bind': {
      const source = absolutePath(entry.source, `${name}.source`);
      const target = entry.target === undefined ? source : absolutePath(entry.target, `${name}.target`);
      const readonly = optionalBoolean(entry.readonly, `${name}.readonly`, false);
      const optional = optionalBoolean(entry.optional, `${name}.optional`, false);
      return { ...base, kind: 'bind', source, target, readonly, optional };
    }
  }
}

/** @internal */
export function normalizeMounts(o: Record<string, unknown>, ns: NormalizedNamespaces): NormalizedMounts {
  const newMount = ns.created.includes('mount');
  if (o.propagation !== undefined) requireCreated(ns, 'mount', 'propagation');
  const propagation = newMount ? propagationFlags(o.propagation ?? 'private', 'options.propagation') : 0;
  const mountProc = optionalBoolean(o.mountProc, 'options.mountProc', ns.created.includes('pid') && newMount);
  if (mountProc) requireCreated(ns, 'mount', 'mountProc');

  const ops: NativeOp[] = [];
  if (o.mounts !== undefined) {
    requireCreated(ns, 'mount', 'mounts');
    const mounts = snapshotArray(o.mounts, 'options.mounts');
    // A mount under a shared "/" would be seen by its peers, the host's too.
    if (mounts.length > 0 && propagation !== (MS_REC | MS_PRIVATE) && propagation !== (MS_REC | MS_SLAVE)) {
      throw invalidArgValue('options.propagation', o.propagation, "must be 'private' or 'slave' with `mounts` (nothing nsjs mounts may be seen outside)");
    }
    mounts.forEach((entry, i) => {
      const op = mountOp(entry, `options.mounts[${i}]`);
      // mkdir on a host directory would be seen outside, also after a failed
      // spawn: the last earlier entry whose target covers this one must be a
      // tmpfs (or a dir made in one), not a bind that put host files there.
      const cover = [...ops].reverse().find((t) => within(op.target, t.target));
      if (op.kind === 'dir' && (cover === undefined || cover.kind === 'bind' || !within(op.target, cover.target) || op.target === cover.target)) {
        throw invalidArgValue(`options.mounts[${i}].target`, op.target, 'must lie in a tmpfs an earlier entry mounts (a directory elsewhere would be made on the host)');
      }
      ops.push(op);
    });
  }
  return { propagation, mountProc, ops };
}
