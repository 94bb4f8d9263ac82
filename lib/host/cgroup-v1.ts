/**
 * A sandbox's cgroup in cgroup v1 hierarchies (hybrid hosts): one directory
 * per controller, under the caller's own cgroup in each, joined by the child
 * in the parent phase (the parent writes its pid to each cgroup.procs) before
 * it runs a single instruction of its own.
 * @internal
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { binding } from '../binding';
import { ErrorCodes, fromFsError, libraryError } from '../errors';
import type { NormalizedLimits } from '../spawn/options/limits';
import type { CgroupEnd, CgroupPart, CgroupTeardown } from './cgroup-part';
import { counter, isLibraryError, makeNamed, readOr, removeTree, subtree } from './cgroup-part';

export type V1Controller = 'memory' | 'pids' | 'cpu';

/** Where a controller's hierarchy is mounted, and the caller's cgroup in it. */
export interface V1Hierarchy {
  controller: V1Controller;
  /** The caller's cgroup, as /proc/self/cgroup names it. */
  own: string;
  /** Its directory. */
  dir: string;
}

/** The v1 hierarchy of each controller in /proc/self/cgroup that is mounted here. */
export function v1Hierarchies(): Map<V1Controller, V1Hierarchy> {
  const own = new Map<string, string>();
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]+):(.*)$/.exec(line);
    if (m) for (const c of m[1].split(',')) own.set(c, m[2]);
  }
  const found = new Map<V1Controller, V1Hierarchy>();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // id parent major:minor root mountpoint options ... - fstype source superoptions
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const [fstype, , superOptions = ''] = right.split(' ');
    if (fstype !== 'cgroup') continue;
    const fields = left.split(' ');
    const root = fields[3];
    const mountpoint = fields[4].replace(/\\040/g, ' ');
    for (const controller of ['memory', 'pids', 'cpu'] as const) {
      const cg = own.get(controller);
      if (found.has(controller) || cg === undefined || !superOptions.split(',').includes(controller)) continue;
      // The caller's cgroup must be visible below this mount's root.
      const rel = root === '/' ? cg : cg === root || cg.startsWith(`${root}/`) ? cg.slice(root.length) : undefined;
      if (rel !== undefined) found.set(controller, { controller, own: cg, dir: path.join(mountpoint, rel) });
    }
  }
  return found;
}

function write(dir: string, file: string, value: string | number): void {
  fs.writeFileSync(path.join(dir, file), String(value));
}

class V1Cgroup implements CgroupPart {
  readonly procsFds: number[] = [];
  /** One directory per controller, made by us. */
  readonly #dirs: { controller: V1Controller; own: string; dir: string }[] = [];

  constructor(hierarchies: V1Hierarchy[], limits: NormalizedLimits) {
    try {
      makeNamed((name) => {
        try {
          for (const h of hierarchies) {
            const dir = path.join(h.dir, name);
            fs.mkdirSync(dir);
            this.#dirs.push({ controller: h.controller, own: path.posix.join(h.own, name), dir });
          }
        } catch (e) {
          this.removeEmpty(); // the name is taken in one hierarchy: give back what was made under it
          throw e;
        }
      });
      for (const { controller, dir } of this.#dirs) {
        this.#limit(controller, dir, limits);
        this.procsFds.push(fs.openSync(path.join(dir, 'cgroup.procs'), 'w'));
      }
    } catch (e) {
      this.closeFds();
      this.removeEmpty();
      throw isLibraryError(e) ? e : fromFsError(e);
    }
  }

  #limit(controller: V1Controller, dir: string, l: NormalizedLimits): void {
    if (controller === 'memory' && l.memory !== undefined) {
      write(dir, 'memory.limit_in_bytes', l.memory);
      // memsw is memory + swap; without it (no swap accounting) memorySwap cannot be held.
      if (fs.existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'))) write(dir, 'memory.memsw.limit_in_bytes', l.memorySwap ?? l.memory);
      else if (l.memorySwap !== undefined) {
        throw libraryError(ErrorCodes.UNSUPPORTED, 'limits.memorySwap needs swap accounting (memory.memsw.*), which this kernel lacks', { hint: 'boot with swapaccount=1, or leave memorySwap out' });
      }
    }
    if (controller === 'pids' && l.pids !== undefined) write(dir, 'pids.max', l.pids);
    if (controller === 'cpu' && l.cpu !== undefined) {
      write(dir, 'cpu.cfs_period_us', 100000);
      write(dir, 'cpu.cfs_quota_us', Math.max(1000, Math.round(l.cpu * 100000)));
    }
  }

  closeFds(): void {
    for (const fd of this.procsFds.splice(0)) fs.closeSync(fd);
  }

  /** Each directory and every cgroup the sandbox made below it (it may, as root without a user namespace). */
  #all(): { controller: V1Controller; own: string; dir: string }[] {
    return this.#dirs.flatMap((d) => [...subtree(d.dir).map((rel) => ({ ...d, own: d.own + rel, dir: d.dir + rel })), d]);
  }

  populated(): boolean {
    return this.#all().some(({ dir }) => readOr(path.join(dir, 'cgroup.procs'), '').trim() !== '');
  }

  kill(): void {
    for (const { controller, own, dir } of this.#all()) binding().killCgroup(path.join(dir, 'cgroup.procs'), `:${controller}:${own}\n`);
  }

  end(): CgroupEnd {
    const memory = this.#dirs.find((d) => d.controller === 'memory');
    const pids = this.#dirs.find((d) => d.controller === 'pids');
    return {
      memoryPeakBytes: memory ? Number(readOr(path.join(memory.dir, 'memory.max_usage_in_bytes'), 'NaN')) : undefined,
      oomKilled: memory ? counter(path.join(memory.dir, 'memory.oom_control'), 'oom_kill') > 0 : false,
      pidsLimitHit: pids ? counter(path.join(pids.dir, 'pids.events'), 'max') > 0 : false,
    };
  }

  teardown(): CgroupTeardown {
    return { entries: this.#dirs.map(({ controller, own, dir }) => [dir, `:${controller}:${own}\n`]), parents: [] };
  }

  /** Whether every directory is gone (rmdir fails with EBUSY while a process is in it). */
  removeEmpty(): boolean {
    for (const d of [...this.#dirs]) if (removeTree(d.dir)) this.#dirs.splice(this.#dirs.indexOf(d), 1);
    return this.#dirs.length === 0;
  }

}

/** @internal A cgroup in each of these v1 hierarchies, with the limits written. */
export function createV1Cgroup(hierarchies: V1Hierarchy[], limits: NormalizedLimits): CgroupPart {
  return new V1Cgroup(hierarchies, limits);
}
