/**
 * The cgroup made for one sandbox with `limits` or `cgroup`: which hierarchy
 * holds each controller (v1 where a controller is mounted there, cgroup v2
 * otherwise), and the cgroup's life (made before clone, removed when the
 * sandbox ends or its setup fails, and when Node exits). See docs/resources.md.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import { onExit } from 'signal-exit';

import { ErrorCodes, libraryError } from '../errors';
import type { NormalizedLimits } from '../spawn/options/limits';
import type { CgroupEnd, CgroupPart, CgroupTeardown } from './cgroup-part';
import { createV1Cgroup, v1Hierarchies, type V1Controller, type V1Hierarchy } from './cgroup-v1';
import { V2Cgroup, v2Hierarchy, type V2Controller } from './cgroup-v2';

export type { CgroupEnd } from './cgroup-part';

export interface SandboxCgroup {
  /** cgroup.procs of each cgroup, open for the parent phase. */
  readonly procsFds: number[];
  /** The cgroup v2 directory the child is cloned into (clone3 CLONE_INTO_CGROUP); undefined without one. */
  readonly dirFd: number | undefined;
  /** Closes the fds (once the child is placed, or failed). */
  closeFds(): void;
  /** SIGKILL to every process in it. */
  kill(): void;
  /** Kills what is left, waits until it is empty, reads what it saw, removes it. */
  remove(): Promise<CgroupEnd>;
  /** The same, synchronously (a failed setup, Node's exit). */
  removeSync(): void;
  /** What the addon ends and removes at its environment's teardown (a Worker's end runs no JavaScript). */
  teardown(): CgroupTeardown;
}

// systemd delegates only cgroup v2: a v1 controller is root's (or a user namespace of root's) alone.
const V1_HINT = 'on this host the controller is in cgroup v1, which is never delegated to users: run as root, or leave that limit out (a host whose cgroup v2 holds the controller lets systemd-run --user --scope -p Delegate=yes give you one)';

/** The controllers the limits need. */
function controllersFor(l: NormalizedLimits): V1Controller[] {
  return [
    ...(l.memory !== undefined ? (['memory'] as const) : []),
    ...(l.pids !== undefined ? (['pids'] as const) : []),
    ...(l.cpu !== undefined ? (['cpu'] as const) : []),
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

class Sandbox implements SandboxCgroup {
  readonly #parts: CgroupPart[];
  readonly #v2: V2Cgroup | undefined;

  constructor(parts: CgroupPart[], v2: V2Cgroup | undefined) {
    this.#parts = parts;
    this.#v2 = v2;
  }

  get procsFds(): number[] {
    return this.#parts.flatMap((p) => p.procsFds);
  }

  get dirFd(): number | undefined {
    return this.#v2 !== undefined && this.#v2.dirFd >= 0 ? this.#v2.dirFd : undefined;
  }

  closeFds(): void {
    for (const p of this.#parts) p.closeFds();
  }

  teardown(): CgroupTeardown {
    const all = this.#parts.map((p) => p.teardown());
    return { entries: all.flatMap((t) => t.entries), parents: all.flatMap((t) => t.parents) };
  }

  #populated(): boolean {
    return this.#parts.some((p) => p.populated());
  }

  kill(): void {
    // cgroup.kill reaches every process at once; v1 has only the freeze-and-kill walk.
    if (this.#v2) this.#v2.kill();
    else for (const p of this.#parts) p.kill();
  }

  #end(): CgroupEnd {
    const ends = this.#parts.map((p) => p.end());
    return {
      memoryPeakBytes: ends.find((e) => e.memoryPeakBytes !== undefined && !Number.isNaN(e.memoryPeakBytes))?.memoryPeakBytes,
      oomKilled: ends.some((e) => e.oomKilled),
      pidsLimitHit: ends.some((e) => e.pidsLimitHit),
    };
  }

  #removeEmpty(): boolean {
    return this.#parts.map((p) => p.removeEmpty()).every(Boolean);
  }

  async remove(): Promise<CgroupEnd> {
    this.closeFds();
    // Bounded: a cgroup that cannot be emptied (a process in uninterruptible sleep on a dead NFS server)
    // must not keep the result from the caller for ever; it is then left behind.
    const until = Date.now() + 30_000;
    for (let i = 0; this.#populated() && Date.now() < until; i++) {
      this.kill();
      await sleep(Math.min(100, 2 ** i));
    }
    const end = this.#end();
    for (let i = 0; !this.#removeEmpty() && Date.now() < until; i++) await sleep(Math.min(100, 2 ** i));
    return end;
  }

  removeSync(): void {
    this.closeFds();
    const until = Date.now() + 5000;
    while (!this.#removeEmpty() && Date.now() < until) {
      if (this.#populated()) this.kill();
      sleepSync(5);
    }
  }
}

/** The cgroups of running sandboxes, and whether Node's exit ends them (dieWithParent). */
const live = new Map<SandboxCgroup, boolean>();
let exitHook = false;

function v1Writable(h: V1Hierarchy): V1Hierarchy {
  try {
    fs.accessSync(h.dir, fs.constants.W_OK);
    return h;
  } catch {
    throw libraryError(ErrorCodes.UNSUPPORTED, `limits need a cgroup: ${h.dir} (cgroup v1 ${h.controller}) is not writable by this process`, { path: h.dir, hint: V1_HINT });
  }
}

/**
 * The cgroup for `limits`/`cgroup`, made and limited; refused
 * (ERR_NSJS_UNSUPPORTED, with what to change) where it cannot be held. A
 * controller mounted in a v1 hierarchy is limited there; any other in cgroup
 * v2. A v2 cgroup is made when a limit needs it or `cgroup` was given, and
 * otherwise too where one can be (it gives the clone into the cgroup and
 * cgroup.kill); then a failure to make it is not an error. `dieWithParent`:
 * whether Node's exit kills what is in it and removes it.
 */
export function createCgroup(limits: NormalizedLimits, dieWithParent = true): SandboxCgroup {
  const v1 = v1Hierarchies();
  const v2 = v2Hierarchy();
  const inV1: V1Hierarchy[] = [];
  const inV2: V2Controller[] = [];
  for (const c of controllersFor(limits)) {
    const h = v1.get(c);
    if (h) inV1.push(h);
    else if (v2) inV2.push(c);
    else throw libraryError(ErrorCodes.UNSUPPORTED, `limits need a cgroup: no ${c} controller is available to this process (neither cgroup v1 nor v2 is mounted with it)`);
  }
  const needV2 = limits.v2 || inV2.length > 0;
  if (needV2 && v2 === undefined) {
    throw libraryError(ErrorCodes.UNSUPPORTED, 'options.cgroup needs cgroup v2, and no cgroup2 file system here shows this process’s cgroup', { hint: 'mount cgroup2 (mount -t cgroup2 none /sys/fs/cgroup), or leave cgroup out' });
  }
  const v1Part = inV1.length > 0 ? createV1Cgroup(inV1.map(v1Writable), limits) : undefined;
  let v2Part: V2Cgroup | undefined;
  try {
    if (v2 !== undefined) v2Part = V2Cgroup.create(v2, inV2, limits);
  } catch (e) {
    if (needV2 || v1Part === undefined) {
      v1Part?.closeFds();
      v1Part?.removeEmpty();
      throw e;
    }
  }
  const cgroup = new Sandbox([...(v1Part ? [v1Part] : []), ...(v2Part ? [v2Part] : [])], v2Part);
  live.set(cgroup, dieWithParent);
  if (!exitHook) {
    exitHook = true;
    // Node's exit, also by SIGINT, SIGTERM or SIGHUP without a handler of the
    // program's own (signal-exit: it then re-raises the signal): nothing may
    // stay behind in a cgroup we made, nor the cgroup. SIGKILL runs nothing.
    // A sandbox with dieWithParent: false outlives Node, in its cgroup: that one stays, and is left behind.
    onExit(() => {
      for (const [c, dies] of live) if (dies) c.removeSync();
    });
  }
  return cgroup;
}

/** Removes it now (a failed spawn). */
export function discardCgroup(cgroup: SandboxCgroup): void {
  cgroup.removeSync();
  live.delete(cgroup);
}

/** Kills what is left, reads what it saw, removes it. */
export async function endCgroup(cgroup: SandboxCgroup): Promise<CgroupEnd> {
  const end = await cgroup.remove();
  live.delete(cgroup);
  return end;
}
