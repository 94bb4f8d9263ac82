/**
 * What a sandbox's cgroup is made of: one part per cgroup version (v1
 * hierarchies, a v2 cgroup), each able to list, kill, report and remove
 * itself (lib/host/cgroup.ts puts them together).
 * @internal
 * @module
 */
import * as fs from 'node:fs';
import { threadId } from 'node:worker_threads';

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
  /** Whether a process is in it, or in a cgroup below it. */
  populated(): boolean;
  /** SIGKILL to every process in it. */
  kill(): void;
  end(): CgroupEnd;
  /** Removes what is empty; true once all of it is gone. */
  removeEmpty(): boolean;
  /** For the addon's environment teardown (a Worker's end runs no JavaScript). */
  teardown(): CgroupTeardown;
}

/** Its directories with the /proc/PID/cgroup line of each (for the kill walk), and parents to remove when empty. */
export interface CgroupTeardown {
  entries: [dir: string, member: string][];
  parents: string[];
}

/** Whether this process may write the directory (make a cgroup in it). */
export function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
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

/** A cgroup's descendants (relative paths), deepest first: the order to remove them in. */
export function subtree(dir: string, rel = ''): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(`${dir}${rel}`, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory()).flatMap((e) => [...subtree(dir, `${rel}/${e.name}`), `${rel}/${e.name}`]);
}

/** rmdir of a cgroup and everything below it, deepest first; true once it is gone (EBUSY while a process is in one). */
export function removeTree(dir: string): boolean {
  for (const rel of [...subtree(dir), '']) {
    try {
      fs.rmdirSync(`${dir}${rel}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
  }
  return true;
}

let sequence = threadId * 1_000_000; // Workers share the pid: each counts in a range of its own

/**
 * Makes `nsjs-<pid>-<n>` with `make(name)`, the next name on EEXIST (another
 * Worker, or a process with the same pid in another PID namespace, has it).
 */
export function makeNamed<T>(make: (name: string) => T): T {
  for (let attempt = 0; ; attempt++) {
    const name = `nsjs-${process.pid}-${++sequence}`;
    try {
      return make(name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw e;
      sequence += 1 + Math.floor(Math.random() * 1000);
    }
  }
}
