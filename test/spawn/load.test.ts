// Load (#43, #45): rounds of sandboxes at concurrency 100. After a warm-up
// round, this process's fds, threads and RSS stay put, no zombie is left, the
// host's mount table is unchanged, and the sandboxes' namespaces are gone.
// CI size: NSJS_LOAD_ROUNDS=4 x NSJS_LOAD_PER_ROUND=200; locally e.g.
// NSJS_LOAD_ROUNDS=20 NSJS_LOAD_PER_ROUND=500 npx jest test/spawn/load.
import * as fs from 'node:fs';

import { spawnIsolated } from '../../lib';
import { scaled, toolForPart } from '../helpers/env';
import { lsnsOutput, zombieChildren } from '../helpers/proc';

const ROUNDS = Number(process.env.NSJS_LOAD_ROUNDS ?? 4);
const PER_ROUND = Number(process.env.NSJS_LOAD_PER_ROUND ?? scaled(200));
const CONCURRENCY = 100;

const fdTargets = () =>
  fs.readdirSync('/proc/self/fd').map((fd) => {
    try {
      return `${fd} ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`;
    } catch {
      return `${fd} (closed while listing)`;
    }
  }).filter((l) => !l.includes('/proc/') || !l.includes('/fd')).sort();
const status = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);

async function round(sampled: Set<number>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < PER_ROUND) {
      const i = next++;
      const child = spawnIsolated('sh', ['-c', i % 10 === 0 ? '(sleep 0.05 &); exit 3' : 'exit 3'], { stdio: i % 2 ? 'ignore' : 'pipe', hostname: `load-${i}` });
      if (i % 25 === 0) {
        await new Promise((r) => child.once('spawn', r));
        const ids = child.namespaces;
        if (ids?.net) sampled.add(ids.net.inode);
        if (ids?.mount) sampled.add(ids.mount.inode);
      }
      const r = await child.result;
      if (r.exitCode !== 3) throw new Error(`sandbox ${i} ended with ${JSON.stringify(r)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

describe('load', () => {
  it(`${ROUNDS} rounds of ${PER_ROUND} sandboxes at concurrency ${CONCURRENCY}: stable fds, threads, RSS; nothing left`, async () => {
    const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const sampled = new Set<number>();
    await round(sampled); // warm-up: one-time fds (the addon's pidfd), threadpool, JIT
    const fds = fdTargets();
    const threads = status('Threads');
    const rss = status('VmRSS');
    for (let i = 0; i < ROUNDS; i++) await round(sampled);
    expect(fdTargets()).toEqual(fds);
    expect(status('Threads')).toBe(threads);
    expect(status('VmRSS') - rss).toBeLessThan(64 * 1024); // KiB; V8's heap moves, a leak per spawn would not stay under this
    expect(zombieChildren()).toEqual([]);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toBe(mountinfo);
    if (toolForPart('lsns')) {
      // Inode numbers of freed namespaces are reused (other tests run beside
      // this one), so a leak is a sampled namespace still held by one of ours.
      const ours = (pid: number): boolean => {
        for (let p = pid, i = 0; p > 1 && i < 64; i++) {
          if (p === process.pid) return true;
          try {
            p = Number(/PPid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))![1]);
          } catch {
            return false;
          }
        }
        return false;
      };
      const held = lsnsOutput(['-n', '-o', 'NS,PID']).trim().split('\n')
        .map((l) => l.trim().split(/\s+/).map(Number))
        .filter(([ns, pid]) => sampled.has(ns) && ours(pid));
      expect(held).toEqual([]);
    }
  }, 300000);
});
