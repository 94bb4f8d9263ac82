// limits (#11): a cgroup per sandbox (cgroup v1 on hybrid hosts such as this
// one), why the sandbox ended, and nothing left behind. Every cgroup is made
// by nsjs below the test process's own, and checked to be gone after each case.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { spawnIsolated } from '../../lib';
import { v1Hierarchies } from '../../lib/host/cgroup-v1';
import { v2Controllers } from '../../lib/host/cgroup-v2';
import { itAtLevels, itIfSupported } from '../helpers/env';
import { expectClean, runNode } from '../helpers/run-node';
import { namedSleepers, waitFor } from '../helpers/proc';

const MiB = 1024 * 1024;
const v1 = v1Hierarchies();
const hasV1 = (c: 'memory' | 'pids' | 'cpu') => v1.has(c);
function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
// Host root, and root in a user namespace that maps host root (unshare -r as root), may write them.
const v1Case = (c: 'memory' | 'pids' | 'cpu') =>
  !hasV1(c) ? itIfSupported(false, `no cgroup v1 ${c} hierarchy here (the v2 path is not implemented yet)`) : writable(v1.get(c)!.dir) ? it : itAtLevels(['root', 'userns-root']);

/** The cgroups nsjs made for this process (nsjs-<pid>-N), in every hierarchy: none once a sandbox has ended. */
function ours(pid = process.pid): string[] {
  return [...v1.values()].flatMap((h) => {
    try {
      return fs.readdirSync(h.dir).filter((n) => n.startsWith(`nsjs-${pid}-`)).map((n) => path.join(h.dir, n));
    } catch {
      return [];
    }
  });
}


afterEach(() => {
  expect(ours()).toEqual([]);
});


// Sleeps under names of their own, killed (they are ours) and removed after each case.
const sleeper = namedSleepers();

describe('limits.memory (cgroup v1 memory)', () => {
  v1Case('memory')('64 MiB against a program that allocates 256 MiB: oomKilled, the peak held at the limit, the host unaffected', async () => {
    const r = await spawnIsolated('perl', ['-e', 'my $s = "x" x (256 * 1024 * 1024); print "survived\\n"'], { limits: { memory: 64 * MiB } }).result;
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGKILL', oomKilled: true, pidsLimitHit: false, stdout: '' });
    expect(r.usage.memoryPeakBytes).toBeLessThanOrEqual(64 * MiB);
    expect(r.usage.memoryPeakBytes).toBeGreaterThan(32 * MiB);
    // The host: this process, and the same allocation outside the sandbox.
    expect(execFileSync('perl', ['-e', 'my $s = "x" x (256 * 1024 * 1024); print "survived\\n"'], { encoding: 'utf8' })).toBe('survived\n');
  });

  v1Case('memory')('within the limit: no oomKilled, and memoryPeakBytes in usage', async () => {
    const r = await spawnIsolated('perl', ['-e', 'my $s = "x" x (8 * 1024 * 1024); print length($s), "\\n"'], { limits: { memory: 64 * MiB } }).result;
    expect(r).toMatchObject({ exitCode: 0, oomKilled: false, stdout: `${8 * MiB}\n` });
    expect(r.usage.memoryPeakBytes).toBeGreaterThan(8 * MiB);
  });
});

describe('limits.pids (cgroup v1 pids)', () => {
  v1Case('pids')('20 against a bounded fork bomb: pidsLimitHit, and nothing is left afterwards', async () => {
    const markerSleep = sleeper();
    const marker = `${markerSleep.path} 1000`;
    // At most 2^8 processes, each gone within a few seconds even without a limit.
    const bomb = `f() { [ $1 -gt 0 ] && { f $(($1-1)) & f $(($1-1)) & wait; }; ${marker}; }; f 7`;
    const r = await spawnIsolated('sh', ['-c', bomb.replace(marker, 'sleep 2')], { namespaces: ['uts'], limits: { pids: 20 }, timeout: 60000 }).result;
    expect(r).toMatchObject({ pidsLimitHit: true, oomKilled: false, timedOut: false });
    expect(r.stderr).toMatch(/fork/i);
    // And a bomb cut short: everything in the cgroup dies with the program.
    const child = spawnIsolated('sh', ['-c', `${marker} & setsid ${marker} & f() { ${marker}; }; f`], { namespaces: ['uts'], limits: { pids: 20 }, stdio: 'ignore' });
    expect(await waitFor(() => markerSleep.pids().length === 3)).toBe(true);
    child.kill('SIGTERM');
    await child.result;
    expect(markerSleep.pids()).toEqual([]);
  });
});

describe('limits.cpu (cgroup v1 cpu)', () => {
  v1Case('cpu')('0.1 CPU: the program gets at most a tenth of the wall-clock time', async () => {
    // 300 ms of CPU time; under a 10% quota that takes at least 3 s.
    const r = await spawnIsolated('perl', ['-e', '1 while (times)[0] < 0.3'], { namespaces: ['uts'], limits: { cpu: 0.1 } }).result;
    const cpu = r.usage.cpuUserMs + r.usage.cpuSystemMs;
    expect(cpu).toBeGreaterThan(250);
    expect(cpu).toBeLessThan(r.durationMs * 0.1 + 150); // one 100 ms period of slack
  });
});

describe('the cgroup’s life', () => {
  v1Case('pids')('kill() with SIGKILL reaches a daemon that left the tree and the group (no PID namespace)', async () => {
    const markerSleep = sleeper();
    const marker = `${markerSleep.path} 1000`;
    const child = spawnIsolated('sh', ['-c', `(setsid ${marker} &) ; sleep 1000`], { namespaces: ['uts'], limits: { pids: 50 }, stdio: 'ignore' });
    try {
      expect(await waitFor(() => markerSleep.pids().length === 1)).toBe(true);
      child.kill('SIGKILL');
      await child.result;
      expect(markerSleep.pids()).toEqual([]);
    } finally {
      child.kill('SIGKILL'); // and afterEach kills any sleep that escaped
    }
  });

  v1Case('pids')('a setup failure (a missing program) removes the cgroup too', async () => {
    const err = await spawnIsolated('/nonexistent/program', [], { limits: { pids: 10 } }).result.catch((e: { code: string }) => e.code);
    expect(err).toBe('ENOENT');
  });

  v1Case('pids')('Node exiting while a sandbox runs: the sandbox and its cgroup are gone', async () => {
    const r = await runNode(`
      const c = nsjs.spawnIsolated('sleep', ['1000'], { namespaces: ['uts'], limits: { pids: 10 }, stdio: 'ignore' });
      c.on('spawn', () => { report({ pid: c.pid }); process.exit(0); });`);
    expectClean(r);
    const { pid } = r.json as { pid: number };
    expect(await waitFor(() => !fs.existsSync(`/proc/${pid}`))).toBe(true);
    expect(ours(r.pid)).toEqual([]);
  });
});

describe('where no cgroup can be made', () => {
  itAtLevels(['rootless'])('a caller that cannot write its cgroup: ERR_NSJS_UNSUPPORTED with the delegation hint, before anything runs', async () => {
    const child = spawnIsolated('true', [], { limits: { pids: 10 } });
    await expect(child.result).rejects.toMatchObject({ code: 'ERR_NSJS_UNSUPPORTED', hint: expect.stringContaining('systemd-run --user --scope -p Delegate=yes') });
    expect(child.pid).toBeUndefined();
  });

  itIfSupported(v2Controllers().has('pids') && !hasV1('pids'), 'this machine has no cgroup v2 pids controller')('a controller only in cgroup v2: ERR_NSJS_UNSUPPORTED (not implemented yet), never a weaker limit', async () => {
    await expect(spawnIsolated('true', [], { limits: { pids: 10 } }).result).rejects.toMatchObject({ code: 'ERR_NSJS_UNSUPPORTED' });
  });

  it('bad limits are refused before anything is done', () => {
    expect(() => spawnIsolated('true', [], { limits: { memroy: 1 } as never })).toThrow(/did you mean 'memory'/);
    expect(() => spawnIsolated('true', [], { limits: { memory: 1 } })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { limits: { pids: 0 } })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { limits: { cpu: 0 } })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { limits: { memory: 64 * MiB, memorySwap: MiB } })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { limits: {} })).toThrow(/sets no limit/);
    expect(() => spawnIsolated('true', [], { cgroup: { parent: '/x' } })).toThrow(/only for `limits`/);
    expect(() => spawnIsolated('true', [], { limits: { pids: 1 }, cgroup: { parnt: '/x' } as never })).toThrow(/did you mean 'parent'/);
  });
});
