// limits (#11): a cgroup per sandbox (cgroup v1 on hybrid hosts such as this
// one), why the sandbox ended, and nothing left behind. Every cgroup is made
// by nsjs below the test process's own, and checked to be gone after each case.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { spawnIsolated } from '../../lib';
import { writable } from '../../lib/host/cgroup-part';
import { v1Hierarchies } from '../../lib/host/cgroup-v1';
import { v2Controllers, v2Hierarchy } from '../../lib/host/cgroup-v2';
import { commandExists, DIST, itAtLevels, itIfSupported } from '../helpers/env';
import { expectClean, runNode } from '../helpers/run-node';
import { namedSleepers, waitFor } from '../helpers/proc';

const MiB = 1024 * 1024;
const v1 = v1Hierarchies();
const hasV1 = (c: 'memory' | 'pids' | 'cpu') => v1.has(c);
// Host root, and root in a user namespace that maps host root (unshare -r as root), may write them.
const v1Case = (c: 'memory' | 'pids' | 'cpu') =>
  !hasV1(c) ? itIfSupported(false, `no cgroup v1 ${c} hierarchy here (its cgroup v2 case runs instead)`) : writable(v1.get(c)!.dir) ? it : itAtLevels(['root', 'userns-root']);
const v2 = v2Hierarchy();
// A cgroup v2 of its own needs this process's v2 cgroup to be writable (root; a delegated subtree: test/root/cgroup-delegation.test.ts).
const v2Case = (): jest.It => (!v2 ? itIfSupported(false, 'no cgroup2 file system here') : writable(v2.ownDir) ? it : itAtLevels(['root', 'userns-root']));
/** A limit on a controller this machine has only in cgroup v2. */
const v2LimitCase = (c: 'memory' | 'pids') =>
  itIfSupported(Boolean(v2) && v2Controllers().has(c) && !hasV1(c) && writable(v2?.ownDir ?? '/nonexistent'), `no writable cgroup v2 ${c} controller here (${hasV1(c) ? `${c} is bound to cgroup v1` : 'not enabled'}); its v1 case runs instead`);

/** The cgroups nsjs made for this process (nsjs-<pid>-N), in every hierarchy, and the default v2 parent: none once a sandbox has ended. */
function ours(pid = process.pid): string[] {
  const dirs = [...v1.values()].map((h) => h.dir);
  if (v2) dirs.push(path.join(v2.ownDir, 'nsjs'));
  const found = dirs.flatMap((dir) => {
    try {
      return fs.readdirSync(dir).filter((n) => n.startsWith(`nsjs-${pid}-`)).map((n) => path.join(dir, n));
    } catch {
      return [];
    }
  });
  return found;
}
/** The default v2 parent is gone, or holds only other processes' sandboxes (another test file's, running beside this one). */
function defaultParentLeftAlone(): boolean {
  const dir = path.join(v2!.ownDir, 'nsjs');
  return !fs.existsSync(dir) || fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).every((e) => /^nsjs-\d+-\d+$/.test(e.name) && !e.name.startsWith(`nsjs-${process.pid}-`));
}
/** After a case whose fixture (pid) left a sandbox on purpose or by failure: its sleepers killed, its cgroups and the default parent removed. */
async function cleanUpAfter(markerSleep: { pids(): number[] }, fixture: number): Promise<void> {
  for (const pid of markerSleep.pids()) process.kill(pid, 'SIGKILL');
  await waitFor(() => markerSleep.pids().length === 0);
  for (const dir of ours(fixture)) fs.rmdirSync(dir);
  try {
    fs.rmdirSync(path.join(v2!.ownDir, 'nsjs'));
  } catch {
    /* gone, or in use by another test file */
  }
}
/** The 0:: line of a /proc/PID/cgroup text. */
const v2Line = (text: string | undefined) => /^0::(.*)$/m.exec(text ?? '')?.[1];


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

describe('Node ended by a signal', () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    v1Case('pids')(`${sig} to Node (no handler of its own) ends every process of the sandbox’s cgroup and removes it, without a PID namespace; Node still dies by that signal`, async () => {
      const markerSleep = sleeper();
      let fixture = 0;
      const run = runNode(
        `nsjs.spawnIsolated('sh', ['-c', '${markerSleep.path} 1000 & ${markerSleep.path} 1000'], { namespaces: ['uts'], limits: { pids: 10 }, stdio: 'ignore' });
        await new Promise(() => setInterval(() => {}, 1000));`,
        { onSpawn: (pid) => (fixture = pid) },
      );
      try {
        expect(await waitFor(() => markerSleep.pids().length === 2)).toBe(true);
        process.kill(fixture, sig);
        const r = await run;
        expect(r.signal).toBe(sig);
        expect(await waitFor(() => markerSleep.pids().length === 0)).toBe(true);
        expect(ours(r.pid)).toEqual([]);
      } finally {
        for (const pid of markerSleep.pids()) process.kill(pid, 'SIGKILL');
        // What a failure left: the fixture's cgroups, empty once its sleepers are gone.
        await waitFor(() => markerSleep.pids().length === 0);
        for (const dir of ours(fixture)) {
          try {
            fs.rmdirSync(dir);
          } catch {
            /* afterEach and the final level report it */
          }
        }
      }
    });
  }
});

describe('where no cgroup can be made', () => {
  itAtLevels(['rootless'])('a caller that cannot write its cgroup: ERR_NSJS_UNSUPPORTED with the delegation hint, before anything runs', async () => {
    const child = spawnIsolated('true', [], { limits: { pids: 10 } });
    await expect(child.result).rejects.toMatchObject({ code: 'ERR_NSJS_UNSUPPORTED', hint: expect.stringContaining('systemd-run --user --scope -p Delegate=yes') });
    expect(child.pid).toBeUndefined();
  });

  it('bad limits are refused before anything is done', () => {
    expect(() => spawnIsolated('true', [], { limits: { memroy: 1 } as never })).toThrow(/did you mean 'memory'/);
    expect(() => spawnIsolated('true', [], { limits: { memory: 1 } })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { limits: { pids: 0 } })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { limits: { cpu: 0 } })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { limits: { memory: 64 * MiB, memorySwap: MiB } })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { limits: {} })).toThrow(/sets no limit/);
    expect(() => spawnIsolated('true', [], { cgroup: { parent: 'relative' } })).toThrow(/absolute cgroup path/);
    expect(() => spawnIsolated('true', [], { cgroup: { parent: '/a/../b' } })).toThrow(/without "\.\."/);
    expect(() => spawnIsolated('true', [], { cgroup: { parent: 7 } as never })).toThrow(TypeError);
    expect(() => spawnIsolated('true', [], { limits: { pids: 1 }, cgroup: { parnt: '/x' } as never })).toThrow(/did you mean 'parent'/);
  });
});

describe('cgroup v2', () => {
  v2Case()('cgroup: {} clones the sandbox into a cgroup v2 of its own (clone3 CLONE_INTO_CGROUP); it and its default nsjs parent are removed when it ends', async () => {
    const r = await spawnIsolated('cat', ['/proc/self/cgroup'], { cgroup: {} }).result;
    expect(r.exitCode).toBe(0);
    const own = v2!.own === '/' ? '' : v2!.own;
    expect(v2Line(r.stdout) ?? '').toMatch(new RegExp(`^${own}/nsjs/nsjs-${process.pid}-\\d+$`));
    // The v1 hierarchies are left as they were: no limit asked for one.
    for (const h of v1.values()) expect(r.stdout).toContain(`:${h.own}\n`);
    expect(defaultParentLeftAlone()).toBe(true);
  });

  itIfSupported(Boolean(v2) && commandExists('strace') && v2 !== undefined && writable(v2.ownDir), 'needs strace and a writable cgroup v2')(
    'the child is made inside the cgroup, not moved there later: strace shows clone3 with CLONE_INTO_CGROUP',
    async () => {
      const out = path.join(fs.mkdtempSync('/tmp/nsjs-strace-'), 'trace');
      try {
        const r = await runNode(`const c = nsjs.spawnIsolated('true', [], { cgroup: {} }); report(await c.result.then((x) => x.exitCode));`, {
          wrap: ['strace', '-f', '-qq', '-e', 'trace=clone3', '-o', out],
        });
        expectClean(r);
        expect(r.json).toBe(0);
        expect(fs.readFileSync(out, 'utf8')).toMatch(/clone3\(\{flags=[^}]*CLONE_INTO_CGROUP[^}]*cgroup=\d+/);
        expect(ours(r.pid)).toEqual([]);
      } finally {
        fs.rmSync(path.dirname(out), { recursive: true, force: true });
      }
    },
  );

  v2Case()('kill with SIGKILL and cgroup: {} ends a daemon that left the tree, the process group and the session (cgroup.kill), without a PID namespace', async () => {
    const markerSleep = sleeper();
    const marker = `${markerSleep.path} 1000`;
    const child = spawnIsolated('sh', ['-c', `(setsid ${marker} &) ; sleep 1000`], { namespaces: ['uts'], cgroup: {}, stdio: 'ignore' });
    try {
      expect(await waitFor(() => markerSleep.pids().length === 1)).toBe(true);
      // The daemon is in the sandbox's cgroup, though no longer below the program.
      expect(v2Line(fs.readFileSync(`/proc/${markerSleep.pids()[0]}/cgroup`, 'utf8'))).toMatch(/\/nsjs\/nsjs-\d+-\d+$/);
      child.kill('SIGKILL');
      await child.result;
      expect(markerSleep.pids()).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  v2Case()('timeout ends every process of the cgroup too', async () => {
    const markerSleep = sleeper();
    const r = await spawnIsolated('sh', ['-c', `(setsid ${markerSleep.path} 1000 &) ; sleep 1000`], { namespaces: ['uts'], cgroup: {}, stdio: 'ignore', timeout: 500, killSignal: 'SIGKILL' }).result;
    expect(r.timedOut).toBe(true);
    expect(markerSleep.pids()).toEqual([]);
  });

  v2Case()('cgroup.parent: the sandbox’s cgroup under a cgroup the caller made, named as /proc/self/cgroup names it or by its directory; the parent is left as it was', async () => {
    const name = `nsjs-test-parent-${process.pid}`;
    const dir = path.join(v2!.ownDir, name);
    const cgroupPath = path.posix.join(v2!.own, name);
    fs.mkdirSync(dir);
    try {
      for (const parent of [cgroupPath, dir]) {
        const r = await spawnIsolated('cat', ['/proc/self/cgroup'], { cgroup: { parent } }).result;
        expect(v2Line(r.stdout) ?? '').toMatch(new RegExp(`^${cgroupPath}/nsjs-${process.pid}-\\d+$`));
        expect(fs.readdirSync(dir).filter((n) => n.startsWith('nsjs-'))).toEqual([]);
      }
    } finally {
      fs.rmdirSync(dir);
    }
  });

  v2Case()('limits on a cgroup v1 controller (a hybrid host) come with the cgroup v2 too: the child is in both', async () => {
    if (!hasV1('pids')) return; // not hybrid: the v2 limit cases below cover it
    const r = await spawnIsolated('cat', ['/proc/self/cgroup'], { limits: { pids: 20 } }).result;
    expect(r.stdout).toMatch(new RegExp(`:pids:.*/nsjs-${process.pid}-\\d+$`, 'm'));
    expect(v2Line(r.stdout) ?? '').toMatch(new RegExp(`/nsjs/nsjs-${process.pid}-\\d+$`));
  });

  v2Case()('a cgroup the sandbox made below its own (root without a user namespace may): what runs there is ended and both are removed when the program ends', async () => {
    const markerSleep = sleeper();
    const script = `d=${v2!.mount}$(sed -n 's/^0:://p' /proc/self/cgroup); mkdir $d/sub && (echo 0 > $d/sub/cgroup.procs && exec ${markerSleep.path} 1000) & sleep 0.5`;
    try {
      const r = await spawnIsolated('sh', ['-c', script], { namespaces: ['uts'], cgroup: {}, stdio: 'ignore' }).result;
      expect(r.exitCode).toBe(0);
      expect(markerSleep.pids()).toEqual([]);
      expect(defaultParentLeftAlone()).toBe(true);
    } finally {
      for (const pid of markerSleep.pids()) process.kill(pid, 'SIGKILL');
    }
  });

  v2Case()('Workers of one process (one pid) each get cgroups of their own names, at the same time', async () => {
    const r = await runNode(`
      const { Worker } = require('node:worker_threads');
      const code = "const nsjs = require(" + JSON.stringify(require.resolve(${JSON.stringify(DIST)})) + "); const { parentPort } = require('node:worker_threads');" +
        "Promise.all([1, 2, 3].map(() => nsjs.spawnIsolated('cat', ['/proc/self/cgroup'], { cgroup: {} }).result)).then((rs) => parentPort.postMessage(rs.map((x) => x.stdout)), (e) => parentPort.postMessage(String(e)));";
      const outs = await Promise.all([1, 2].map(() => new Promise((res) => new Worker(code, { eval: true }).once('message', res))));
      report(outs);`);
    expectClean(r);
    const lines = (r.json as string[][]).flat().map((o) => v2Line(o));
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(/\/nsjs\/nsjs-\d+-\d+$/);
    expect(new Set(lines).size).toBe(6);
    expect(ours(r.pid)).toEqual([]);
  });

  v2Case()('worker.terminate(): the addon’s teardown ends every process of a Worker’s sandbox cgroup (a daemon that left tree and group too) and removes it', async () => {
    const markerSleep = sleeper();
    const r = await runNode(`
      const { Worker } = require('node:worker_threads');
      const code = "const nsjs = require(" + JSON.stringify(${JSON.stringify(DIST)}) + "); const { parentPort } = require('node:worker_threads');" +
        "const c = nsjs.spawnIsolated('sh', ['-c', '(setsid ${markerSleep.path} 1000 &); ${markerSleep.path} 1000'], { namespaces: ['uts'], cgroup: {}, stdio: 'ignore' });" +
        "c.on('spawn', () => parentPort.postMessage(c.pid));";
      const w = new Worker(code, { eval: true });
      await new Promise((res) => w.once('message', res));
      const t = Date.now();
      while (Date.now() - t < 5000 && require('node:fs').readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => { try { return require('node:fs').readFileSync('/proc/' + p + '/comm', 'utf8').trim() === ${JSON.stringify(path.basename(markerSleep.path).slice(0, 15))}; } catch { return false; } }).length < 2) await new Promise((res) => setTimeout(res, 20));
      await w.terminate();
      report('terminated');`);
    try {
      expectClean(r);
      expect(await waitFor(() => markerSleep.pids().length === 0)).toBe(true);
      expect(ours(r.pid)).toEqual([]);
    } finally {
      await cleanUpAfter(markerSleep, r.pid);
    }
  });

  v2Case()('dieWithParent: false: the sandbox outlives Node in its cgroup, which is left for it', async () => {
    const markerSleep = sleeper();
    const r = await runNode(`
      const c = nsjs.spawnIsolated('${markerSleep.path}', ['1000'], { namespaces: ['uts'], cgroup: {}, dieWithParent: false, stdio: 'ignore' });
      c.on('spawn', () => { report({ pid: c.pid }); process.exit(0); });`);
    try {
      expectClean(r);
      await new Promise((res) => setTimeout(res, 200));
      expect(markerSleep.pids()).toEqual([r.json.pid]);
      expect(v2Line(fs.readFileSync(`/proc/${r.json.pid}/cgroup`, 'utf8'))).toMatch(new RegExp(`/nsjs/nsjs-${r.pid}-\\d+$`));
    } finally {
      await cleanUpAfter(markerSleep, r.pid);
    }
  });

  v2Case()('a cgroup.parent that is not a cgroup: ERR_NSJS_UNSUPPORTED naming it, before anything runs', async () => {
    const child = spawnIsolated('true', [], { cgroup: { parent: `/nsjs-no-such-cgroup-${process.pid}` } });
    await expect(child.result).rejects.toMatchObject({ code: 'ERR_NSJS_UNSUPPORTED', message: expect.stringContaining('is not a cgroup v2 here') });
    expect(child.pid).toBeUndefined();
  });

  itAtLevels(['rootless'])('rootless outside a delegated cgroup: cgroup: {} fails with ERR_NSJS_UNSUPPORTED and the delegation hint', async () => {
    if (!v2) return;
    const child = spawnIsolated('true', [], { cgroup: {} });
    await expect(child.result).rejects.toMatchObject({ code: 'ERR_NSJS_UNSUPPORTED', hint: expect.stringContaining('Delegate=yes') });
    expect(child.pid).toBeUndefined();
  });

  v2LimitCase('pids')('pids 20 in cgroup v2 against a bounded fork bomb: pidsLimitHit (pids.events), nothing left', async () => {
    const bomb = 'f() { [ $1 -gt 0 ] && { f $(($1-1)) & f $(($1-1)) & wait; }; sleep 2; }; f 7';
    const r = await spawnIsolated('sh', ['-c', bomb], { namespaces: ['uts'], limits: { pids: 20 }, timeout: 60000 }).result;
    expect(r).toMatchObject({ pidsLimitHit: true, oomKilled: false });
  });

  v2LimitCase('memory')('64 MiB in cgroup v2 against 256 MiB: oomKilled (memory.events), memoryPeakBytes from memory.peak', async () => {
    const r = await spawnIsolated('perl', ['-e', 'my $s = "x" x (256 * 1024 * 1024); print "survived\\n"'], { limits: { memory: 64 * MiB } }).result;
    expect(r).toMatchObject({ signal: 'SIGKILL', oomKilled: true });
    expect(r.usage.memoryPeakBytes).toBeLessThanOrEqual(64 * MiB);
  });
});
