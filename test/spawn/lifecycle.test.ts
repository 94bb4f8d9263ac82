// Signals, reaping, parent death, and living beside child_process.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { clone, spawnIsolated } from '../../lib';
import { expectClean, runNode } from '../helpers/run-node';
import { alive, waitFor, zombieChildren } from '../helpers/proc';
import { scaled } from '../helpers/env';

describe('signals and reaping', () => {
  it('ends a sleeping sandbox with SIGTERM (init forwards it; the program has no handler)', async () => {
    const child = spawnIsolated('sleep', ['1000']);
    await new Promise((r) => child.once('spawn', r));
    child.kill('SIGTERM');
    const r = await child.result;
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(child.killed).toBe(true);
  });

  it('without init, SIGTERM to PID 1 is ignored (documented), SIGKILL works', async () => {
    const child = spawnIsolated('sleep', ['1000'], { init: false });
    await new Promise((r) => child.once('spawn', r));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(child.pid!)).toBe(true);
    child.kill('SIGKILL');
    expect((await child.result).signal).toBe('SIGKILL');
  });

  it('reaps orphans reparented to PID 1 (no zombies inside)', async () => {
    const child = spawnIsolated('sh', ['-c', '(sleep 0.1 &); sleep 1; ps -eo stat= | grep -c Z || true']);
    expect((await child.result).stdout!.trim()).toBe('0');
  });

  it('reports the program exit code and signal, not init\'s', async () => {
    expect((await spawnIsolated('sh', ['-c', 'exit 42']).result).exitCode).toBe(42);
    expect((await spawnIsolated('sh', ['-c', 'kill -USR1 $$']).result).signal).toBe('SIGUSR1');
  });

  it('kills the whole tree when init dies: SIGKILL reaches grandchildren', async () => {
    const child = spawnIsolated('sh', ['-c', 'sleep 1000 & sleep 1000 & echo ready; wait']);
    await new Promise((r) => child.stdout!.once('data', r));
    const pids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ').map(Number);
    const grandchildren = pids.flatMap((p) => fs.readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(' ').map(Number));
    expect(grandchildren.length).toBe(2);
    child.kill('SIGKILL');
    await child.result;
    expect(await waitFor(() => grandchildren.every((p) => !alive(p)))).toBe(true);
  });

  it('never leaves a zombie of ours, and kill() after exit returns false', async () => {
    const child = spawnIsolated('true');
    await child.result;
    expect(zombieChildren()).toEqual([]);
    expect(child.kill()).toBe(false);
  });
});

describe('parent death', () => {
  it('kill -9 of the Node parent kills the sandbox and its grandchildren', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-pdeath-'));
    try {
      fs.chmodSync(dir, 0o777);
      const lock = path.join(dir, 'lock');
      const fixture = runNode(`
        const child = nsjs.spawnIsolated('sh', ['-c', 'sleep 1000 & flock ${lock} sleep 1000 & sleep 0.2; echo ready; wait'], { stdio: ['ignore', 'pipe', 'inherit'] });
        child.stdout.once('data', () => report({ pid: child.pid }));
        setInterval(() => {}, 1000);`);
      let pid = 0;
      // The fixture keeps running; find its sandbox through /proc.
      const started = await waitFor(() => {
        const found = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).find((d) => {
          try {
            return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(lock) && fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'sh';
          } catch {
            return false;
          }
        });
        if (found) pid = Number(found);
        return Boolean(found);
      }, 10000);
      expect(started).toBe(true);
      const ppidOf = (p: number) => Number(/PPid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))![1]);
      const init = ppidOf(pid);
      const node = ppidOf(init);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(node, 'SIGKILL');
      await fixture;
      expect(await waitFor(() => !alive(init) && !alive(pid))).toBe(true);
      // The lock is free again: nothing inside survived.
      const flock = spawn('flock', ['-n', lock, 'true']);
      expect(await new Promise((r) => flock.on('exit', r))).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const rounds = Number(process.env.NSJS_RACE_ROUNDS ?? scaled(50));
  it(`kills no survivor when the parent dies 0-5 ms after spawn (${rounds} rounds)`, async () => {
    const marker = `nsjs-race-${process.pid}-${Date.now()}`;
    let spawned = 0;
    for (let i = 0; i < rounds; i++) {
      const delay = i % 6;
      // The pids are reported before the delay (a write to a pipe is
      // synchronous): a round whose spawns failed would leave no survivor
      // either, so it must not count.
      const r = await runNode(`
        const a = nsjs.spawnIsolated('sh', ['-c', 'sleep 1000; : ${marker}'], { stdio: 'ignore' });
        const b = nsjs.spawnIsolated('sleep', ['1000'], { stdio: 'ignore', namespaces: ['net'], argv0: '${marker}' });
        report({ pids: [a.pid, b.pid] });
        const end = Date.now() + ${delay}; while (Date.now() < end);
        process.kill(process.pid, 'SIGKILL');`);
      expect(r.signal).toBe('SIGKILL');
      if (r.json?.pids?.every((pid: unknown) => typeof pid === 'number')) spawned++;
    }
    expect(spawned).toBe(rounds);
    const survivors = () =>
      fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
        try {
          return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker);
        } catch {
          return false;
        }
      });
    expect(await waitFor(() => survivors().length === 0)).toBe(true);
  });

  it('a sandbox spawned from a Worker outlives nothing: it dies when the Worker is terminated', async () => {
    const r = await runNode(`
      const { Worker } = require('worker_threads');
      const w = new Worker(\`
        const nsjs = require(process.env.NSJS_DIST);
        const c = nsjs.spawnIsolated('sleep', ['1000'], { stdio: 'ignore' });
        require('worker_threads').parentPort.postMessage(c.pid);
        setInterval(() => {}, 1000);\`, { eval: true, env: { NSJS_DIST: ${JSON.stringify(require.resolve('../../dist/index.js'))} } });
      const pid = await new Promise((r) => w.once('message', r));
      const aliveBefore = require('fs').existsSync('/proc/' + pid);
      await w.terminate();
      await new Promise((r) => setTimeout(r, 200));
      let state = 'gone';
      try { state = require('fs').readFileSync('/proc/' + pid + '/stat', 'utf8').split(' ')[2]; } catch {}
      // Only the Worker loaded the addon; Node dlcloses it with the Worker unless
      // it is pinned, and then the spawner thread would run unmapped code.
      const mapped = require('fs').readFileSync('/proc/self/maps', 'utf8').includes('nsjs');
      report({ aliveBefore, state, mapped });`);
    expectClean(r);
    expect(r.json).toEqual({ aliveBefore: true, state: 'gone', mapped: true });
  });

  it('a sandbox spawned from a Worker survives the Worker thread only as long as the Worker lives', async () => {
    // PDEATHSIG follows the creating thread; nsjs clones Worker spawns on a
    // long-lived thread, so a sandbox lives exactly as long as its Worker's
    // environment, never less.
    const r = await runNode(`
      const { Worker } = require('worker_threads');
      const w = new Worker(\`
        const nsjs = require(process.env.NSJS_DIST);
        const c = nsjs.spawnIsolated('sh', ['-c', 'sleep 0.5; exit 5'], { stdio: 'ignore' });
        c.on('exit', (code) => require('worker_threads').parentPort.postMessage(code));\`, { eval: true, env: { NSJS_DIST: ${JSON.stringify(require.resolve('../../dist/index.js'))} } });
      report({ code: await new Promise((r) => w.once('message', r)) });
      await w.terminate();`);
    expect(r.json).toEqual({ code: 5 });
  });
});

describe('beside child_process', () => {
  it('200 sandboxes and 200 child_process children all report their own exit codes', async () => {
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      jobs.push(spawnIsolated('sh', ['-c', `exit ${i % 50}`], { stdio: 'ignore', namespaces: ['pid', 'mount', 'uts', 'ipc'] }).result.then((r) => expect(r.exitCode).toBe(i % 50)));
      jobs.push(new Promise<void>((resolve) => spawn('sh', ['-c', 'exit 7']).on('exit', (code) => { expect(code).toBe(7); resolve(); })));
    }
    await Promise.all(jobs);
    expect(zombieChildren()).toEqual([]);
  });

  it('clone() returns { pid, pidfd } and a wait()', async () => {
    const c = clone({ command: 'sh', args: ['-c', 'exit 3'], stdio: [null, null, null] });
    expect(c.pid).toBeGreaterThan(0);
    expect(fs.readlinkSync(`/proc/self/fd/${c.pidfd}`)).toBe('anon_inode:[pidfd]');
    expect(await c.wait()).toEqual({ exitCode: 3, signal: null });
  });
});
