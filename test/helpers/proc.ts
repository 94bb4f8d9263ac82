// Reading the truth from /proc and from real tools.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** The pids of this process's zombie children. */
export function zombieChildren(ppid = process.pid): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const m = /^\d+ \(.*\) (\S) (\d+)/.exec(stat);
      if (m && m[1] === 'Z' && Number(m[2]) === ppid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function nsInode(pid: number | 'self' | 'thread-self', type: string): number {
  return Number(/\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/${type}`))?.[1]);
}

export function sh(cmd: string): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
}

export async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}
