// createPool: sets made ahead, nsjs-init --serve as their PID 1; a pooled
// spawn sends the program to one, which forks and execs it. Every level.
import * as fs from 'node:fs';

import { createPool, type Pool } from '../../lib';
import { alive, nsInode, waitFor, zombieChildren } from '../helpers/proc';
import { runNode } from '../helpers/run-node';

/** This process's children that are ready sets (nsjs-init --serve): any thread's (refills are cloned by the addon's spawner thread). */
function servers(pid = process.pid): number[] {
  const kids = fs.readdirSync(`/proc/${pid}/task`).flatMap((t) => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return []; // a thread that ended meanwhile
    }
  });
  return kids.filter((k) => {
    try {
      return fs.readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('--serve');
    } catch {
      return false;
    }
  });
}

const pools: Pool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});
function newPool(options?: Parameters<typeof createPool>[0]): Pool {
  const p = createPool(options);
  pools.push(p);
  return p;
}

describe('createPool', () => {
  it('a pooled spawn runs the program as PID 2 of a ready set, with its cwd, env, stdin and stdout, and reports its exit code', async () => {
    const pool = newPool({ size: 1, hostname: 'pooled' });
    expect(await waitFor(() => pool.ready === 1)).toBe(true);
    const child = pool.spawn('sh', ['-c', 'read line; echo "$$ $(hostname) $(pwd) $X $line"; exit 3'], { cwd: '/tmp', env: { X: 'x', PATH: process.env.PATH ?? '' } });
    child.stdin?.end('hello\n');
    const r = await child.result;
    expect({ stdout: r.stdout, exitCode: r.exitCode, nsPid: child.nsPid }).toEqual({ stdout: '2 pooled /tmp x hello\n', exitCode: 3, nsPid: 2 });
    // 'exit' comes with the holder's record, before the holder itself is gone; it is reaped right after.
    expect(await waitFor(() => zombieChildren().length === 0 && !alive(child.pid as number))).toBe(true);
  });

  it('each sandbox gets a set of its own, never reused, and the pool refills itself', async () => {
    const pool = newPool({ size: 2 });
    expect(await waitFor(() => pool.ready === 2)).toBe(true);
    const a = pool.spawn('sleep', ['60'], { stdio: 'ignore' });
    const b = pool.spawn('sleep', ['60'], { stdio: 'ignore' });
    expect(nsInode(a.pid as number, 'net')).not.toBe(nsInode(b.pid as number, 'net'));
    expect(nsInode(a.pid as number, 'net')).not.toBe(nsInode('self', 'net'));
    expect(await waitFor(() => pool.ready === 2, 10000)).toBe(true);
    const holder = a.pid as number;
    a.kill('SIGKILL');
    b.kill('SIGTERM'); // forwarded by the holder to the program
    expect((await a.result).signal).toBe('SIGKILL');
    expect((await b.result).signal).toBe('SIGTERM');
    expect(await waitFor(() => !alive(holder))).toBe(true);
  });

  it('a missing program is ENOENT at step exec, a bad cwd ENOENT at step chdir; the set is reaped and the pool goes on', async () => {
    const pool = newPool({ size: 1 });
    await expect(pool.spawn('/nonexistent/program').result).rejects.toMatchObject({ code: 'ENOENT', step: 'exec', syscall: 'spawn /nonexistent/program' });
    await expect(pool.spawn('true', { cwd: '/nonexistent' }).result).rejects.toMatchObject({ code: 'ENOENT', step: 'chdir', path: '/nonexistent' });
    expect((await pool.spawn('true').result).exitCode).toBe(0);
    expect(await waitFor(() => zombieChildren().length === 0)).toBe(true);
  });

  it('a ready set killed from outside fails the spawn that takes it (EPIPE, step init); the next one works', async () => {
    const pool = newPool({ size: 1 });
    expect(await waitFor(() => pool.ready === 1)).toBe(true);
    const [ready] = servers();
    process.kill(ready, 'SIGKILL');
    expect(await waitFor(() => !alive(ready))).toBe(true);
    await expect(pool.spawn('true').result).rejects.toMatchObject({ code: 'EPIPE', step: 'init', syscall: 'sendmsg' });
    expect((await pool.spawn('true').result).exitCode).toBe(0);
    expect(await waitFor(() => zombieChildren().length === 0)).toBe(true);
  });

  it('close() kills the ready sets and the running programs; spawn() after it is ERR_NSJS_SET_CLOSED', async () => {
    const pool = newPool({ size: 2, namespaces: ['net', 'uts'] });
    expect(await waitFor(() => pool.ready === 2)).toBe(true);
    expect(servers()).toHaveLength(2);
    const running = pool.spawn('sleep', ['60'], { stdio: 'ignore' });
    await pool.close();
    expect(running.signalCode).toBe('SIGKILL');
    expect(servers()).toEqual([]);
    expect(zombieChildren()).toEqual([]);
    expect(() => pool.spawn('true')).toThrow(expect.objectContaining({ code: 'ERR_NSJS_SET_CLOSED' }));
  });

  it('ready sets die with the Node process that made them', async () => {
    const run = await runNode(`
      const pool = nsjs.createPool({ size: 2 });
      while (pool.ready < 2) await new Promise((r) => setTimeout(r, 10));
      const fs = require('fs');
      const kids = fs.readdirSync('/proc/self/task').flatMap((t) => fs.readFileSync('/proc/self/task/' + t + '/children', 'utf8').trim().split(/\\s+/).filter(Boolean).map(Number));
      report({ kids });
      process.kill(process.pid, 'SIGKILL');
    `);
    expect(run.signal).toBe('SIGKILL');
    const { kids } = run.json as { kids: number[] };
    expect(kids).toHaveLength(2);
    expect(await waitFor(() => kids.every((k) => !alive(k)), 10000)).toBe(true);
  });

  it('refuses bad options before doing anything', async () => {
    expect(() => createPool({ size: -1 })).toThrow(RangeError);
    expect(() => createPool({ sise: 2 } as never)).toThrow(/did you mean 'size'/);
    expect(() => createPool({ cwd: '/' } as never)).toThrow(TypeError);
    const pool = newPool({ size: 0 });
    expect(() => pool.spawn('true', { hostname: 'x' } as never)).toThrow(TypeError);
    expect(() => pool.spawn('true', { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })).toThrow(/at most 3 slots/);
    // size 0: nothing made ahead; a spawn makes its set itself.
    expect(pool.ready).toBe(0);
    expect((await pool.spawn('true').result).exitCode).toBe(0);
  });
});
