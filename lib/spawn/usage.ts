/**
 * What a sandbox used, and how a kill reaches all of it.
 * @module
 */
import type { NativeKillMode } from '../binding';
import type { NormalizedIsolation } from './options';

/** What a sandbox used, from the kernel's accounting when it ended. */
export interface ResourceUsage {
  /** CPU time in user mode, in ms: the program's and that of every descendant reaped in the sandbox. */
  cpuUserMs: number;
  /** CPU time in the kernel, in ms, counted as cpuUserMs. */
  cpuSystemMs: number;
  /** The largest resident set of the program or of one reaped descendant, in bytes (rusage: a maximum, not a sum). */
  maxRssBytes: number;
  /** The most memory the sandbox's cgroup held at once (all its processes, page cache included); with `limits` only. */
  memoryPeakBytes?: number;
}

/**
 * @internal With its own PID namespace, killing init kills the sandbox; a
 * joined one keeps nsjs-init outside it, and none leaves the tree and group.
 */
export function killModeOf(n: NormalizedIsolation): NativeKillMode {
  if (n.namespaces.created.includes('pid')) return 0;
  return n.lifecycle.newSession ? 2 : 1;
}
