/**
 * The nsjs sandboxes and sets on this host, from listNamespaces(): what
 * `nsjs ls` and `nsjs ps` show.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import type { NamespaceName } from '../namespaces';
import { listNamespaces, type NamespaceInfo, type NsPid } from '../sets/list';

/** One sandbox (its nsjs-init) or set (its holder). */
export interface Sandbox {
  kind: 'sandbox' | 'set';
  /** Host pid of its nsjs-init or holder. */
  pid: number;
  /** The namespaces made for it, by type: their inodes. */
  namespaces: Partial<Record<NamespaceName, number>>;
  /** The program's command line (a sandbox's), or '' (a set's holder runs none of its own). */
  command: string;
  /** Seconds since it started. */
  ageSeconds: number;
  /** Its PID namespace's processes, host pid and pid inside. */
  processes: (NsPid & { command: string })[];
}

const cmdline = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
};

function ageOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]); // starttime, in clock ticks (USER_HZ: 100)
    const uptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Math.max(0, Math.round(uptime - start / 100));
  } catch {
    return 0;
  }
}

/** Every nsjs sandbox and set this caller can see, oldest first. */
export function listSandboxes(all: NamespaceInfo[] = listNamespaces()): Sandbox[] {
  const byPid = new Map<number, Sandbox>();
  for (const ns of all) {
    if (!ns.nsjs) continue;
    let s = byPid.get(ns.nsjs.pid);
    if (!s) {
      const program = ns.nsjs.kind === 'sandbox' ? fs.readFileSync(`/proc/${ns.nsjs.pid}/task/${ns.nsjs.pid}/children`, 'utf8').trim().split(/\s+/)[0] : undefined;
      s = { kind: ns.nsjs.kind, pid: ns.nsjs.pid, namespaces: {}, command: program ? cmdline(Number(program)) : '', ageSeconds: ageOf(ns.nsjs.pid), processes: [] };
      byPid.set(ns.nsjs.pid, s);
    }
    s.namespaces[ns.type] = ns.inode;
    if (ns.type === 'pid' && ns.nsPids) s.processes = ns.nsPids.map((p) => ({ ...p, command: cmdline(p.pid) }));
  }
  return [...byPid.values()].sort((a, b) => b.ageSeconds - a.ageSeconds || a.pid - b.pid);
}
