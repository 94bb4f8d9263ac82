// Stop signals stop the whole sandbox and SIGCONT resumes it, as
// child_process.spawn's child stops (docs/lifecycle.md, "Stopping and
// resuming"). Observed from outside: the state in /proc/PID/status and whether
// output keeps coming.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

import { spawnIsolated, type IsolatedProcess } from '../../lib';
import { waitFor } from '../helpers/proc';

const state = (pid: number) => /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
const children = (pid: number) =>
  fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
/** The state letter, or 'gone'. */
const stateOf = (pid: number) => {
  try {
    return state(pid);
  } catch {
    return 'gone';
  }
};
/**
 * Stopped, or as good as: a shell that vforked (dash does for a simple
 * command) waits in the kernel (state D) until its child execs, and cannot
 * stop before that; with that child stopped it cannot run at all. Seen in
 * CI: program D, its vfork child T. Whether output really stops is checked
 * by the lines below.
 */
const held = (pid: number) => {
  const s = stateOf(pid);
  if (s === 'T') return true;
  try {
    return s === 'D' && children(pid).some((c) => stateOf(c) === 'T');
  } catch {
    return false;
  }
};
/** ps's view of the process's session, with the states. */
const forest = (pid: number) => {
  try {
    const sid = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[3];
    return execFileSync('ps', ['-o', 'pid,ppid,pgid,sid,stat,args', '--forest', '-s', sid], { encoding: 'utf8' });
  } catch (e) {
    return String(e);
  }
};
/** '' once the process is gone (a short-lived `sleep 0.02` may end between the listing and the read). */
const cmdline = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A program that prints a line every 20 ms and has a child of its own (a sleeper). */
const TICKER = 'sleep 1000 & i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done';

async function started(child: IsolatedProcess, init: boolean): Promise<{ program: number; sleeper: number; lines: () => number }> {
  let lines = 0;
  child.stdout!.on('data', (d: Buffer) => (lines += d.toString().split('\n').length - 1));
  await waitFor(() => lines > 3);
  const program = init ? children(child.pid!)[0] : child.pid!;
  // The ticker's children: the sleeper and, now and then, a short `sleep 0.02`.
  let sleeper = 0;
  await waitFor(() => {
    // `sleep 1000` itself: a child forked for `sleep 0.02` still shows the shell's command line (with 1000) until it execs.
    sleeper = children(program).find((p) => cmdline(p) === 'sleep\u00001000\u0000') ?? 0;
    return sleeper > 0;
  });
  return { program, sleeper, lines: () => lines };
}

describe.each([
  { init: true, newSession: true },
  { init: true, newSession: false },
  { init: false, newSession: true },
  { init: false, newSession: false },
])('init: $init, newSession: $newSession', ({ init, newSession }) => {
  it.each(['SIGTSTP', 'SIGSTOP', 'SIGTTIN', 'SIGTTOU'] as const)('%s stops the program and its child; SIGCONT resumes them; no exit', async (sig) => {
    const child = spawnIsolated('sh', ['-c', TICKER], { init, newSession });
    let exited = false;
    child.on('exit', () => (exited = true));
    try {
      const { program, sleeper, lines } = await started(child, init);
      expect(child.kill(sig)).toBe(true);
      const stopped = await waitFor(() => held(program) && stateOf(sleeper) === 'T', 5000);
      // Seen rarely in CI under load, never alone: say what the tree looked like, for whoever meets it next.
      if (!stopped) throw new Error(`${sig}: not stopped within 5 s: program ${program} ${stateOf(program)}, sleeper ${sleeper} ${stateOf(sleeper)}\n${forest(program)}`);
      await sleep(400); // a line written before the stop may still be on its way through the socket
      const stoppedAt = lines();
      await sleep(300);
      expect(lines()).toBe(stoppedAt);
      expect(exited).toBe(false);

      expect(child.kill('SIGCONT')).toBe(true);
      expect(await waitFor(() => lines() > stoppedAt + 3, 5000)).toBe(true);
      expect(state(program)).not.toBe('T');
      expect(state(sleeper)).not.toBe('T');
      expect(exited).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await child.result.catch(() => undefined);
    }
  });

  it('SIGTSTP reaches a program that handles it (which does not stop); its child, at the default action, stops', async () => {
    // Only shell builtins in the loop: the trap runs at once, not after a child ends.
    const child = spawnIsolated('sh', ['-c', "trap 'echo caught' TSTP; sleep 1000 & echo ready; while :; do :; done"], { init, newSession });
    try {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes('ready'));
      const program = init ? children(child.pid!)[0] : child.pid!;
      const sleeper = children(program)[0];
      child.kill('SIGTSTP');
      expect(await waitFor(() => state(sleeper) === 'T' && out.includes('caught'), 3000)).toBe(true);
      expect(state(program)).not.toBe('T');
    } finally {
      child.kill('SIGKILL');
      await child.result.catch(() => undefined);
    }
  });
});

describe('a tree of any depth', () => {
  it('SIGSTOP stops all of a 300-deep chain of processes, SIGCONT resumes it', async () => {
    // Each level starts the next in the background and then becomes `sleep`.
    const level = 'if [ "$1" -gt 0 ]; then sh -c "$0" "$0" $(($1 - 1)) & fi; exec sleep 1000';
    const child = spawnIsolated('sh', ['-c', level, level, '300']);
    try {
      await new Promise((r) => child.once('spawn', r));
      const tree = () => {
        const all: number[] = [];
        const walk = (pid: number) => children(pid).forEach((c) => (all.push(c), walk(c)));
        walk(child.pid!);
        return all;
      };
      expect(await waitFor(() => tree().length >= 301, 30000)).toBe(true);
      expect(child.kill('SIGSTOP')).toBe(true);
      expect(await waitFor(() => tree().every((p) => state(p) === 'T'), 5000)).toBe(true);
      expect(child.kill('SIGCONT')).toBe(true);
      expect(await waitFor(() => tree().every((p) => state(p) !== 'T'), 5000)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await child.result.catch(() => undefined);
    }
  }, 60000);
});
