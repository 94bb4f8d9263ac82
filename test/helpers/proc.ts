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

/**
 * lsns(8) over the whole machine. It reads every process's /proc/PID/ns, and
 * fails now and then when one ends in the middle (other test files run beside
 * this one): tried a few times before its error counts.
 */
export function lsnsOutput(args: string[]): string {
  for (let attempt = 0; ; attempt++) {
    try {
      return execFileSync('lsns', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      if (attempt >= 4) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}

export async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/**
 * `sleep` under a name of its own (a symlink; the kernel names the process
 * after it), so that its processes are found from /proc/PID/stat alone:
 * reading another process's cmdline (as ps does) can block on a process held
 * in a syscall by someone's strace. Call remove() when done.
 */
export function namedSleep(tag: string): { path: string; pids(): number[]; remove(): void } {
  const dir = fs.mkdtempSync('/tmp/nsjs-sleep-');
  fs.chmodSync(dir, 0o755);
  const name = `ns${tag}${process.pid}`.slice(0, 15);
  const file = `${dir}/${name}`;
  fs.symlinkSync(fs.realpathSync('/bin/sleep'), file);
  return {
    path: file,
    pids: () =>
      fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && alive(Number(d)) && comm(d) === name).map(Number),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function comm(pid: string): string | undefined {
  try {
    return /^\d+ \((.*)\) /.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * A maker of {@link namedSleep}s for one test file: each case's sleepers are
 * SIGKILLed (they are ours, found by their own names) and removed after it.
 */
export function namedSleepers(): () => ReturnType<typeof namedSleep> {
  const sleepers: ReturnType<typeof namedSleep>[] = [];
  afterEach(() => {
    for (const s of sleepers.splice(0)) {
      for (const pid of s.pids()) process.kill(pid, 'SIGKILL');
      s.remove();
    }
  });
  return () => {
    const s = namedSleep(String(sleepers.length));
    sleepers.push(s);
    return s;
  };
}
