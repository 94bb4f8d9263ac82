/**
 * Which cgroup version the host runs, and which controllers the caller may
 * use (its own cgroup writable in that hierarchy).
 * @internal
 * @module
 */
import { writable } from '../host/cgroup-part';
import { readTrimmed, type ProbeFact } from './fact';

/** The cgroup setup as the caller sees it. */
export interface CgroupFacts {
  /** 'v2' (unified only), 'hybrid' (v1 controllers beside a v2 tree), 'v1', or 'none'. */
  version: 'v2' | 'hybrid' | 'v1' | 'none';
  /** Per controller (memory, pids, cpu): can the caller make a child cgroup with it. */
  controllers: Record<'memory' | 'pids' | 'cpu', ProbeFact>;
}

export function cgroupFacts(): CgroupFacts {
  const mounts = (readTrimmed('/proc/self/mountinfo') ?? '').split('\n');
  const own = (readTrimmed('/proc/self/cgroup') ?? '').split('\n').map((l) => l.split(':'));
  const v1 = new Map<string, { mount: string; path: string }>();
  let v2: { mount: string; path: string } | undefined;
  for (const line of mounts) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const fstype = fields[dash + 1];
    const mountPoint = fields[4];
    if (fstype === 'cgroup2') {
      const path = own.find((l) => l[0] === '0')?.[2];
      if (path !== undefined) v2 = { mount: mountPoint, path };
    } else if (fstype === 'cgroup') {
      const opts = fields[dash + 3] ?? '';
      for (const c of ['memory', 'pids', 'cpu']) {
        if (!opts.split(',').includes(c)) continue;
        const path = own.find((l) => l[1]?.split(',').includes(c))?.[2];
        if (path !== undefined) v1.set(c, { mount: mountPoint, path });
      }
    }
  }
  const v2Controllers = v2 ? (readTrimmed(`${v2.mount}${v2.path}/cgroup.controllers`) ?? '').split(/\s+/) : [];
  const controllers = Object.fromEntries(
    (['memory', 'pids', 'cpu'] as const).map((c) => {
      if (v2 && v2Controllers.includes(c)) {
        const dir = `${v2.mount}${v2.path}`;
        return [c, writable(dir) ? { ok: true, reason: `cgroup v2: ${dir} has ${c} and is writable` } : { ok: false, reason: `cgroup v2: ${dir} is not writable by this user`, hint: 'systemd-run --user --scope -p Delegate=yes … gives a delegated cgroup' }];
      }
      const h = v1.get(c);
      if (h) {
        const dir = `${h.mount}${h.path === '/' ? '' : h.path}`;
        return [c, writable(dir) ? { ok: true, reason: `cgroup v1: ${dir} is writable` } : { ok: false, reason: `cgroup v1: ${dir} is not writable by this user`, hint: 'run as root, or ask for a delegated cgroup' }];
      }
      return [c, { ok: false, reason: `no ${c} controller is mounted where this process can use it` }];
    }),
  ) as CgroupFacts['controllers'];
  const version = v2 && v1.size === 0 ? 'v2' : v2 && v1.size > 0 ? 'hybrid' : v1.size > 0 ? 'v1' : 'none';
  return { version, controllers };
}
