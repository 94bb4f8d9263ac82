/**
 * A sandbox's cgroup in cgroup v2: made under a parent the caller may write
 * (`cgroup.parent`, or an `nsjs` cgroup under the caller's own), with the
 * controllers its limits need enabled on the way down, entered by the child
 * at clone (clone3 CLONE_INTO_CGROUP on its directory fd), ended with
 * `cgroup.kill`. See docs/resources.md.
 * @internal
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { binding } from '../binding';
import { ErrorCodes, fromFsError, libraryError } from '../errors';
import type { NormalizedLimits } from '../spawn/options/limits';
import type { CgroupEnd, CgroupPart, CgroupTeardown } from './cgroup-part';
import { counter, isLibraryError, makeNamed, readOr, removeTree, subtree, writable } from './cgroup-part';

export type V2Controller = 'memory' | 'pids' | 'cpu';

/** The unified hierarchy here, and the caller's cgroup in it. */
export interface V2Hierarchy {
  /** Where cgroup2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts). */
  mount: string;
  /** The caller's cgroup, as /proc/self/cgroup names it ("0::/path"). */
  own: string;
  /** Its directory. */
  ownDir: string;
  /** The cgroup the mount shows at its top (its mountinfo root, "/" but in a container). */
  root: string;
}

/** Undefined where no cgroup2 is mounted that shows the caller's cgroup. */
export function v2Hierarchy(): V2Hierarchy | undefined {
  const own = /^0::(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  if (own === undefined) return undefined;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right?.startsWith('cgroup2 ')) continue;
    const fields = left.split(' ');
    const root = fields[3];
    const mount = fields[4].replace(/\\040/g, ' ');
    const rel = root === '/' ? own : own === root || own.startsWith(`${root}/`) ? own.slice(root.length) : undefined;
    if (rel !== undefined) return { mount, own, ownDir: path.join(mount, rel), root };
  }
  return undefined;
}

/** The controllers the caller's own v2 cgroup has. */
export function v2Controllers(): Set<string> {
  const h = v2Hierarchy();
  return h ? controllersOf(h.ownDir, 'cgroup.controllers') : new Set();
}

function controllersOf(dir: string, file: 'cgroup.controllers' | 'cgroup.subtree_control'): Set<string> {
  return new Set(readOr(path.join(dir, file), '').split(/\s+/).filter(Boolean));
}

const DELEGATE_HINT = 'run Node in a cgroup delegated to you (systemd-run --user --scope -p Delegate=yes node app.js), or name one with cgroup: { parent }';

/** A v2 cgroup path ("/a/b", as /proc/self/cgroup names it) or a directory under the mount: both, or undefined outside the mount. */
function locate(h: V2Hierarchy, parent: string): { dir: string; cgroupPath: string } | undefined {
  const under = (p: string, top: string) => (top === '/' ? p : p === top ? '/' : p.startsWith(`${top}/`) ? p.slice(top.length) : undefined);
  const inMount = under(path.posix.normalize(parent), h.mount);
  if (inMount !== undefined) return { dir: path.join(h.mount, inMount), cgroupPath: path.posix.join(h.root, inMount) };
  const rel = under(path.posix.normalize(parent), h.root);
  return rel === undefined ? undefined : { dir: path.join(h.mount, rel), cgroupPath: path.posix.normalize(parent) };
}

/** Enables `wanted` in dir's cgroup.subtree_control, so that its children have them. */
function enableControllers(dir: string, wanted: V2Controller[]): void {
  const missing = wanted.filter((c) => !controllersOf(dir, 'cgroup.subtree_control').has(c));
  if (missing.length === 0) return;
  const offered = controllersOf(dir, 'cgroup.controllers');
  const absent = missing.filter((c) => !offered.has(c));
  if (absent.length > 0) {
    throw libraryError(ErrorCodes.UNSUPPORTED, `limits need the cgroup v2 ${absent.join(', ')} controller, which ${dir} does not have (its parent does not enable it in cgroup.subtree_control)`, {
      path: dir,
      hint: 'enable it from the parent down (echo +pids > …/cgroup.subtree_control), or delegate it (systemd: Delegate=yes)',
    });
  }
  try {
    fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EBUSY') {
      throw libraryError(ErrorCodes.UNSUPPORTED, `${dir} holds processes of its own, and cgroup v2 gives controllers only to the children of a cgroup without any (the no-internal-process rule)`, {
        path: dir,
        hint: `name a cgroup without processes that has ${missing.join(', ')} in its cgroup.subtree_control with cgroup: { parent }, or start Node in a leaf of its own (systemd-run -p Delegate=yes -p DelegateSubgroup=app …)`,
      });
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw libraryError(ErrorCodes.UNSUPPORTED, `limits need ${missing.join(', ')} enabled in ${dir}/cgroup.subtree_control, which this process may not write`, { path: dir, hint: DELEGATE_HINT });
    }
    throw fromFsError(e);
  }
}

/** A sandbox's cgroup v2, limited; kept until the sandbox ends. */
export class V2Cgroup implements CgroupPart {
  readonly procsFds: number[] = [];
  /** Its directory, open for clone3 CLONE_INTO_CGROUP; -1 once closed. */
  dirFd = -1;
  readonly #dir: string;
  readonly #cgroupPath: string;
  /** The default `nsjs` parent, removed when it is left empty. */
  readonly #madeParent: string | undefined;
  #gone = false;

  private constructor(dir: string, cgroupPath: string, madeParent: string | undefined) {
    this.#dir = dir;
    this.#cgroupPath = cgroupPath;
    this.#madeParent = madeParent;
  }

  /**
   * Makes it under `limits.parent`, or an `nsjs` cgroup under the caller's own,
   * with the controllers in `controllers` limited. Throws ERR_NSJS_UNSUPPORTED
   * (with what to change) where that cannot be done.
   */
  static create(h: V2Hierarchy, controllers: V2Controller[], limits: NormalizedLimits): V2Cgroup {
    // Another nsjs process may remove the empty default parent between our mkdir of it and of the sandbox's: retry.
    for (let attempt = 0; ; attempt++) {
      const parent = limits.parent !== undefined ? locate(h, limits.parent) : { dir: path.join(h.ownDir, 'nsjs'), cgroupPath: path.posix.join(h.own, 'nsjs') };
      if (parent === undefined) {
        throw libraryError(ErrorCodes.UNSUPPORTED, `cgroup.parent ${limits.parent} is outside the cgroup v2 this process sees (${h.mount}, cgroup ${h.root})`, { hint: 'name a cgroup as /proc/self/cgroup shows it ("0::/…")' });
      }
      if (limits.parent === undefined) {
        if (!writable(h.ownDir)) {
          throw libraryError(ErrorCodes.UNSUPPORTED, `a cgroup v2 for the sandbox needs a delegated parent: ${h.ownDir} (this process's own cgroup) is not writable by it`, { path: h.ownDir, hint: DELEGATE_HINT });
        }
        enableControllers(h.ownDir, controllers);
        try {
          fs.mkdirSync(parent.dir);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fromFsError(e);
        }
      } else {
        if (!fs.existsSync(path.join(parent.dir, 'cgroup.procs'))) {
          throw libraryError(ErrorCodes.UNSUPPORTED, `cgroup.parent ${limits.parent} is not a cgroup v2 here (no ${parent.dir}/cgroup.procs; cgroup2 is mounted at ${h.mount})`, { path: parent.dir, hint: 'name an existing cgroup v2, as /proc/self/cgroup shows it ("0::/…"), or by its directory under the cgroup2 mount' });
        }
        if (!writable(parent.dir)) {
          throw libraryError(ErrorCodes.UNSUPPORTED, `cgroup.parent ${parent.dir} is not writable by this process`, { path: parent.dir, hint: DELEGATE_HINT });
        }
      }
      enableControllers(parent.dir, controllers);
      let name: string;
      try {
        name = makeNamed((n) => {
          fs.mkdirSync(path.join(parent.dir, n));
          return n;
        });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && limits.parent === undefined && attempt < 5) continue;
        throw fromFsError(e);
      }
      const dir = path.join(parent.dir, name);
      const cgroup = new V2Cgroup(dir, path.posix.join(parent.cgroupPath, name), limits.parent === undefined ? parent.dir : undefined);
      try {
        cgroup.#limit(controllers, limits);
        cgroup.dirFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
        cgroup.procsFds.push(fs.openSync(path.join(dir, 'cgroup.procs'), 'w'));
      } catch (e) {
        cgroup.closeFds();
        cgroup.removeEmpty();
        throw isLibraryError(e) ? e : fromFsError(e);
      }
      return cgroup;
    }
  }

  #write(file: string, value: string | number): void {
    fs.writeFileSync(path.join(this.#dir, file), String(value));
  }

  #limit(controllers: V2Controller[], l: NormalizedLimits): void {
    if (controllers.includes('memory') && l.memory !== undefined) {
      this.#write('memory.max', l.memory);
      // v2 counts swap apart from memory (memory.swap.max); memorySwap is both together, as in v1 and Docker.
      const swap = (l.memorySwap ?? l.memory) - l.memory;
      if (fs.existsSync(path.join(this.#dir, 'memory.swap.max'))) this.#write('memory.swap.max', swap);
      else if (swap > 0) {
        throw libraryError(ErrorCodes.UNSUPPORTED, 'limits.memorySwap needs swap accounting (memory.swap.max), which this kernel lacks', { hint: 'boot with swapaccount=1, or leave memorySwap out' });
      }
    }
    if (controllers.includes('pids') && l.pids !== undefined) this.#write('pids.max', l.pids);
    if (controllers.includes('cpu') && l.cpu !== undefined) this.#write('cpu.max', `${Math.max(1000, Math.round(l.cpu * 100000))} 100000`);
  }

  closeFds(): void {
    for (const fd of this.procsFds.splice(0)) fs.closeSync(fd);
    if (this.dirFd >= 0) fs.closeSync(this.dirFd);
    this.dirFd = -1;
  }

  /** cgroup.events counts the cgroups below it too (the sandbox may make some). */
  populated(): boolean {
    return /^populated 1$/m.test(readOr(path.join(this.#dir, 'cgroup.events'), ''));
  }

  kill(): void {
    try {
      this.#write('cgroup.kill', 1); // Linux 5.14+: every process of it, at once, also one forking
    } catch {
      // Older kernels (no cgroup.kill), or a write refused: the freeze-and-kill walk, as for v1 (best effort).
      try {
        for (const rel of [...subtree(this.#dir), '']) binding().killCgroup(path.join(this.#dir + rel, 'cgroup.procs'), `0::${this.#cgroupPath}${rel}\n`);
      } catch {
        /* nothing more to try: remove() gives up waiting in time */
      }
    }
  }

  end(): CgroupEnd {
    const peak = readOr(path.join(this.#dir, 'memory.peak'), ''); // Linux 5.19+
    return {
      memoryPeakBytes: peak.trim() !== '' ? Number(peak) : undefined,
      oomKilled: counter(path.join(this.#dir, 'memory.events'), 'oom_kill') > 0,
      pidsLimitHit: counter(path.join(this.#dir, 'pids.events'), 'max') > 0,
    };
  }

  teardown(): CgroupTeardown {
    return { entries: [[this.#dir, `0::${this.#cgroupPath}\n`]], parents: this.#madeParent !== undefined ? [this.#madeParent] : [] };
  }

  /** Whether it is gone (rmdir fails with EBUSY while a process is in it); the default parent goes with it when empty. */
  removeEmpty(): boolean {
    if (!this.#gone) {
      if (!removeTree(this.#dir)) return false;
      this.#gone = true;
      if (this.#madeParent !== undefined) {
        try {
          fs.rmdirSync(this.#madeParent); // another sandbox still in it: EBUSY, left for that one
        } catch {
          /* in use */
        }
      }
    }
    return true;
  }
}
