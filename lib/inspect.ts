/**
 * Read-only inspection of namespaces: ids from /proc/PID/ns, pids from NSpid.
 * @module
 */
import * as fs from 'node:fs';

import { fromFsError } from './errors';
import { NAMESPACES, NAMESPACE_NAMES, type NamespaceName } from './namespaces';
import { validateFd } from './validate';

/** One namespace, as `/proc/PID/ns/<type>` names it (`net:[4026531840]`). */
export interface NamespaceId {
  /** The namespace type. */
  type: NamespaceName;
  /** The namespace's inode number: equal inodes mean the same namespace. */
  inode: number;
  /** The /proc path it was read from. */
  path: string;
}

/** Namespace ids by type; a type the kernel does not have is absent. */
export type NamespaceIds = Partial<Record<NamespaceName, NamespaceId>>;

/** @internal */
export function readNamespaceIds(dir: string, only: readonly NamespaceName[] = NAMESPACE_NAMES): NamespaceIds {
  const ids: NamespaceIds = {};
  for (const type of only) {
    const path = `${dir}/${NAMESPACES[type].procName}`;
    let link: string;
    try {
      link = fs.readlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(dir)) continue;
      throw fromFsError(e);
    }
    const m = /\[(\d+)\]$/.exec(link);
    if (m) ids[type] = { type, inode: Number(m[1]), path };
  }
  return ids;
}

/**
 * The namespaces of a process, or of the calling thread when `pid` is omitted
 * (from `/proc/thread-self/ns`, since namespaces belong to threads).
 */
export function namespaceIds(pid?: number): NamespaceIds {
  if (pid !== undefined) validateFd(pid, 'pid');
  return readNamespaceIds(pid === undefined ? '/proc/thread-self/ns' : `/proc/${pid}/ns`);
}

/**
 * The pid of a process in each PID namespace it belongs to, outermost first
 * (the `NSpid` line of /proc/PID/status): the same process, a different pid
 * in each. The last entry is its pid in its own namespace (1 for an init).
 */
export function nsPids(pid: number): number[] {
  validateFd(pid, 'pid');
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (e) {
    throw fromFsError(e);
  }
  const line = /^NSpid:\s*(.*)$/m.exec(status);
  return line ? line[1].trim().split(/\s+/).map(Number) : [pid];
}
