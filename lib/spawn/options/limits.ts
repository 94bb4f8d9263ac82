/**
 * The limits family: memory, pids and CPU of the whole sandbox, enforced by a
 * cgroup made for it (lib/host/cgroup.ts).
 * @module
 */
import { invalidArgValue, outOfRange } from '../../errors';
import { validateObject, validateString } from '../../validate';
import { rejectUnknownKeys } from './keys';

/** Limits of the whole sandbox (every process in it together), enforced by a cgroup made for it. */
export interface Limits {
  /** Bytes of memory (RAM, page cache included); beyond it the kernel's OOM killer ends a process of the sandbox. */
  memory?: number;
  /** Bytes of memory and swap together; at least `memory`. @default memory (no swap) when memory is set */
  memorySwap?: number;
  /** At most this many processes (threads count) at once: fork fails with EAGAIN beyond it. */
  pids?: number;
  /** CPUs: `0.5` is half of one, `2` two (a CFS quota per 100 ms). */
  cpu?: number;
}

/** The sandbox's own cgroup v2 (see docs/resources.md). */
export interface CgroupOptions {
  /**
   * An existing cgroup v2 under which nsjs makes the sandbox's (`nsjs-<pid>-<n>`),
   * as /proc/self/cgroup names it (`/user.slice/user-1000.slice/user@1000.service/app.slice`)
   * or as its directory under the cgroup2 mount (`/sys/fs/cgroup/…`). It must be
   * writable by the caller (delegated), and offer the controllers `limits`
   * need in its `cgroup.controllers`; nsjs enables them in its
   * `cgroup.subtree_control`. Default: an `nsjs` cgroup under the caller's own
   * (made, and removed when empty), when the caller may write its own cgroup
   * (root, or a subtree systemd delegated).
   */
  parent?: string;
}

/** Options of the limits family. */
export interface LimitOptions {
  /**
   * Limits of the whole sandbox, enforced by a cgroup made for it and removed
   * when it ends (cgroup v2, or v1 where a controller is only mounted there).
   * `result.usage` then has `memoryPeakBytes`, and `oomKilled`/`pidsLimitHit`
   * say whether a limit was hit. See docs/resources.md.
   */
  limits?: Limits;
  /**
   * A cgroup v2 of the sandbox's own, also without `limits`: the child is
   * cloned into it (clone3 `CLONE_INTO_CGROUP`), and `kill('SIGKILL')`, `timeout`
   * and Node's exit end every process in it through `cgroup.kill`, also one
   * that left the tree, the process group and the session. `{}` takes the
   * default parent. Fails with `ERR_NSJS_UNSUPPORTED` where no cgroup v2 can
   * be made.
   */
  cgroup?: CgroupOptions;
}

/** @internal */
export interface NormalizedLimits {
  memory: number | undefined;
  memorySwap: number | undefined;
  pids: number | undefined;
  cpu: number | undefined;
  /** cgroup.parent, when given. */
  parent: string | undefined;
  /** `cgroup` was given: a cgroup v2 is required (without it, v1 alone may hold `limits`). */
  v2: boolean;
}

const MIN_MEMORY = 1 << 20; // below a few pages a cgroup cannot even start a process
const MAX_BYTES = 2 ** 53;

function bytes(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_BYTES) {
    throw outOfRange(name, `an integer >= ${min} && <= 2^53`, value);
  }
  return value;
}

/** @internal undefined: no limits, no cgroup. */
export function normalizeLimits(o: Record<string, unknown>): NormalizedLimits | undefined {
  let parent: string | undefined;
  if (o.cgroup !== undefined) {
    validateObject(o.cgroup, 'options.cgroup');
    rejectUnknownKeys(o.cgroup, ['parent'], 'options.cgroup');
    const c = o.cgroup as Record<string, unknown>;
    if (c.parent !== undefined) {
      validateString(c.parent, 'options.cgroup.parent');
      if (!c.parent.startsWith('/') || c.parent.includes('\0') || c.parent.split('/').includes('..')) {
        throw invalidArgValue('options.cgroup.parent', c.parent, 'must be an absolute cgroup path without ".."');
      }
      parent = c.parent;
    }
  }
  if (o.limits === undefined) {
    return o.cgroup === undefined ? undefined : { memory: undefined, memorySwap: undefined, pids: undefined, cpu: undefined, parent, v2: true };
  }
  validateObject(o.limits, 'options.limits');
  rejectUnknownKeys(o.limits, ['memory', 'memorySwap', 'pids', 'cpu'], 'options.limits');
  const l = o.limits;
  const memory = bytes(l.memory, 'options.limits.memory', MIN_MEMORY);
  const memorySwap = bytes(l.memorySwap, 'options.limits.memorySwap', memory ?? MIN_MEMORY);
  if (memorySwap !== undefined && memory === undefined) throw invalidArgValue('options.limits.memorySwap', memorySwap, 'needs `memory`');
  const pids = l.pids;
  if (pids !== undefined && (typeof pids !== 'number' || !Number.isInteger(pids) || pids < 1 || pids > 2 ** 31 - 1)) {
    throw outOfRange('options.limits.pids', 'an integer >= 1 && <= 2147483647', pids);
  }
  const cpu = l.cpu;
  if (cpu !== undefined && (typeof cpu !== 'number' || !(cpu >= 0.01 && cpu <= 4096))) {
    throw outOfRange('options.limits.cpu', 'a number >= 0.01 && <= 4096', cpu);
  }
  if (memory === undefined && pids === undefined && cpu === undefined) throw invalidArgValue('options.limits', l, 'sets no limit');
  return { memory, memorySwap, pids: pids as number | undefined, cpu: cpu as number | undefined, parent, v2: o.cgroup !== undefined };
}
