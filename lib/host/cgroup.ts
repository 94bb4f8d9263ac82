/**
 * The cgroup made for one sandbox with `limits`: which hierarchy holds each
 * controller, and the cgroup's life (made before clone, removed when the
 * sandbox ends or its setup fails, and when Node exits). See docs/resources.md.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import { ErrorCodes, libraryError } from '../errors';
import type { NormalizedLimits } from '../spawn/options/limits';
import { createV1Cgroup, v1Hierarchies, type V1Controller } from './cgroup-v1';
import { v2Controllers } from './cgroup-v2';

/** What the cgroup saw, read when the sandbox ended. */
export interface CgroupEnd {
  memoryPeakBytes: number | undefined;
  oomKilled: boolean;
  pidsLimitHit: boolean;
}

export interface SandboxCgroup {
  readonly version: 1 | 2;
  /** v1: cgroup.procs of each hierarchy, open for the parent phase. */
  readonly procsFds: number[];
  /** Closes procsFds (once the child is placed, or failed). */
  closeFds(): void;
  /** SIGKILL to every process in it. */
  kill(): void;
  /** Kills what is left, waits until it is empty, reads what it saw, removes it. */
  remove(): Promise<CgroupEnd>;
  /** The same, synchronously (a failed setup, Node's exit). */
  removeSync(): void;
}

const DELEGATE_HINT = 'run Node in a cgroup delegated to you: systemd-run --user --scope -p Delegate=yes node app.js';

/** The controllers the limits need. */
function controllersFor(l: NormalizedLimits): V1Controller[] {
  return [
    ...(l.memory !== undefined ? (['memory'] as const) : []),
    ...(l.pids !== undefined ? (['pids'] as const) : []),
    ...(l.cpu !== undefined ? (['cpu'] as const) : []),
  ];
}

const live = new Set<SandboxCgroup>();
let exitHook = false;

/** The cgroup for `limits`, made and limited; refused (ERR_NSJS_UNSUPPORTED) where it cannot be held. */
export function createCgroup(limits: NormalizedLimits): SandboxCgroup {
  if (limits.parent !== undefined) {
    throw libraryError(ErrorCodes.UNSUPPORTED, 'cgroup.parent is for cgroup v2, which this version of nsjs does not drive yet', { path: limits.parent });
  }
  const v1 = v1Hierarchies();
  const v2 = v2Controllers();
  const hierarchies = controllersFor(limits).map((c) => {
    const h = v1.get(c);
    if (h) return h;
    const why = v2.has(c) ? `the ${c} controller is in cgroup v2 here, which this version of nsjs does not drive yet` : `no ${c} controller is available to this process`;
    throw libraryError(ErrorCodes.UNSUPPORTED, `limits need a cgroup: ${why}`);
  });
  for (const h of hierarchies) {
    try {
      fs.accessSync(h.dir, fs.constants.W_OK);
    } catch {
      throw libraryError(ErrorCodes.UNSUPPORTED, `limits need a cgroup: ${h.dir} (cgroup v1 ${h.controller}) is not writable by this process`, { path: h.dir, hint: DELEGATE_HINT });
    }
  }
  const cgroup = createV1Cgroup(hierarchies, limits);
  live.add(cgroup);
  if (!exitHook) {
    exitHook = true;
    // Node's exit: nothing may stay behind in a cgroup we made, nor the cgroup.
    process.on('exit', () => {
      for (const c of live) c.removeSync();
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
