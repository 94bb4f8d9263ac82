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

/** Where the sandbox's cgroup is made (see docs/resources.md). */
export interface CgroupOptions {
  /**
   * cgroup v2: an existing cgroup directory delegated to the caller (e.g.
   * `/sys/fs/cgroup/user.slice/…/app.scope`), under which nsjs makes the
   * sandbox's. Default: as root, an `nsjs` cgroup under the caller's own; rootless,
   * the caller's own cgroup when systemd delegated it.
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
  /** Where the cgroup for `limits` is made. */
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
  if (o.cgroup !== undefined) {
    validateObject(o.cgroup, 'options.cgroup');
    rejectUnknownKeys(o.cgroup, ['parent'], 'options.cgroup');
    if (o.limits === undefined) throw invalidArgValue('options.cgroup', o.cgroup, 'is only for `limits`');
  }
  if (o.limits === undefined) return undefined;
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
  const c = (o.cgroup ?? {}) as Record<string, unknown>;
  if (c.parent !== undefined) validateString(c.parent, 'options.cgroup.parent');
  if (memory === undefined && pids === undefined && cpu === undefined) throw invalidArgValue('options.limits', l, 'sets no limit');
  return { memory, memorySwap, pids: pids as number | undefined, cpu: cpu as number | undefined, parent: c.parent as string | undefined };
}
