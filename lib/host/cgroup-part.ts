/**
 * What a sandbox's cgroup is made of: one part per cgroup version (v1
 * hierarchies, a v2 cgroup), each able to list, kill, report and remove
 * itself (lib/host/cgroup.ts puts them together).
 * @internal
 * @module
 */
import * as fs from 'node:fs';

/** What the cgroup saw, read when the sandbox ended. */
export interface CgroupEnd {
  memoryPeakBytes: number | undefined;
  oomKilled: boolean;
  pidsLimitHit: boolean;
}

/** One version's share of a sandbox's cgroup. */
export interface CgroupPart {
  /** cgroup.procs files, open for the parent phase (step cgroup). */
  readonly procsFds: number[];
  closeFds(): void;
  /** The pids in it now. */
  procs(): number[];
  /** SIGKILL to every process in it. */
  kill(): void;
  end(): CgroupEnd;
  /** Removes what is empty; true once all of it is gone. */
  removeEmpty(): boolean;
}

export function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** The `key N` line of a flat-keyed file (memory.events, pids.events, memory.oom_control), 0 when absent. */
export function counter(file: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readOr(file, ''));
  return m ? Number(m[1]) : 0;
}

/** An ERR_NSJS_* error of ours, passed on as it is (not as a file system error). */
export function isLibraryError(e: unknown): boolean {
  return e instanceof Error && String((e as { code?: unknown }).code).startsWith('ERR_NSJS_');
}
