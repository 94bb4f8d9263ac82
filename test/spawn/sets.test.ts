// Namespace sets (createNamespaces): namespaces held by nsjs-init in its hold
// mode, programs started in them, close() and death with the parent; checked
// against /proc and the real tools (lsns, nsenter). Every level: a rootless
// set has a user namespace of its own, which set.spawn joins first.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

import { binding } from '../../lib/binding';
import { createNamespaces, listNamespaces, spawnIsolated, NamespaceError, type NamespaceSet } from '../../lib';
import { commandExists, isHostRoot, isRootless, itAtLevels, itIf } from '../helpers/env';
import { alive, lsnsOutput, nsInode, waitFor } from '../helpers/proc';
import { expectClean, runNode } from '../helpers/run-node';
import { BUSYBOX, busyboxRoot } from '../helpers/rootfs';

const hasLsns = commandExists('lsns');
const hasNsenter = commandExists('nsenter');

interface LsnsEntry {
  ns: number;
  type: string;
  nprocs: number;
  ons: number;
  pid: number;
}
function lsns(): LsnsEntry[] {
  // lsns fails now and then when a process it scans vanishes under it: try again.
  for (let i = 0; ; i++) {
    try {
      return (JSON.parse(lsnsOutput(['-J', '-o', 'NS,TYPE,NPROCS,ONS,PID'])).namespaces as Record<string, unknown>[]).map((n) => ({
        ns: Number(n.ns),
        type: String(n.type),
        nprocs: Number(n.nprocs),
        ons: Number(n.ons),
        pid: Number(n.pid),
      }));
    } catch (e) {
      if (i === 4) throw e;
    }
  }
}

const sets: NamespaceSet[] = [];
afterEach(async () => {
  for (const s of sets.splice(0)) await s.close();
});
async function newSet(options?: Parameters<typeof createNamespaces>[0]): Promise<NamespaceSet> {
  const s = await createNamespaces(options);
  sets.push(s);
  return s;
}

const server = `require('net').createServer((s) => s.end(require('os').hostname())).listen(7777, '127.0.0.1', () => console.log('listening'))`;
const client = `require('net').connect(7777, '127.0.0.1').on('data', (d) => process.stdout.write(d))`;

describe('createNamespaces', () => {
  itIf(BUSYBOX !== undefined, "needs busybox-static (.ci/run installs it)")('with a directory root that holds no nsjs-init: the holder runs from its sealed copy, members see only that root', async () => {
    const dir = fs.mkdtempSync('/var/tmp/nsjs-set-root-');
    fs.chmodSync(dir, 0o755);
    try {
      const root = busyboxRoot(`${dir}/root`, ['sh', 'ps', 'cat']);
      const set = await newSet({ rootfs: root, hostname: 'boxset' });
      const r = await set.spawn('/bin/sh', ['-c', 'cat /etc/os-release; ps ax'], { env: { PATH: '/bin' } }).result;
      expect(r.exitCode).toBe(0);
      const lines = (r.stdout as string).trim().split('\n');
      expect(lines[0]).toBe('NAME=busybox-root');
      expect(lines.some((l) => /^\s*1\s.*nsjs-init --hold/.test(l))).toBe(true);
      await set.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a server and a client started in one set talk over 127.0.0.1, and see its hostname', async () => {
    const set = await newSet({ hostname: 'set-host' });
    const srv = set.spawn(process.execPath, ['-e', server]);
    await new Promise((r) => srv.stdout?.once('data', r));
    const { stdout, exitCode } = await set.spawn(process.execPath, ['-e', client]).result;
    expect({ stdout, exitCode }).toEqual({ stdout: 'set-host', exitCode: 0 });
    // Outside the set nothing listens on 7777: the network is the set's own.
    const outside = await spawnIsolated(process.execPath, ['-e', `${client}.on('error', (e) => process.stdout.write(e.code))`]).result;
    expect(outside.stdout).toBe('ECONNREFUSED');
  });

  itIf(hasLsns, 'needs util-linux lsns')('the holder is PID 1 of the set; set.namespaces, set.path and lsns -J agree on inodes, owners and process counts', async () => {
    const set = await newSet();
    const expected = isRootless ? ['pid', 'mount', 'uts', 'ipc', 'net', 'user'] : ['pid', 'mount', 'uts', 'ipc', 'net'];
    expect(Object.keys(set.namespaces).sort()).toEqual(expected.sort());
    expect(set.path('net')).toBe(`/proc/${set.pid}/ns/net`);
    expect(set.namespaces.net?.inode).toBe(nsInode(set.pid, 'net'));
    const sleeper = set.spawn('sleep', ['60'], { stdio: 'ignore' });
    const ps = await set.spawn('ps', ['-o', 'pid=,args=', '-p', '1']).result;
    expect(ps.stdout?.trim()).toMatch(/^1 .*nsjs-init --hold$/);
    expect(await waitFor(() => nsInode(sleeper.pid as number, 'net') === set.namespaces.net?.inode)).toBe(true);
    const list = lsns();
    // The holder, the sleeper and its nsjs-init (which joins every namespace but stays outside the PID one).
    const net = list.find((n) => n.ns === set.namespaces.net?.inode);
    expect(net?.nprocs).toBe(3);
    expect(net?.ons).toBe(isRootless ? set.namespaces.user?.inode : nsInode('self', 'user'));
    expect(list.find((n) => n.ns === set.namespaces.pid?.inode)?.nprocs).toBe(2);
    expect(list.find((n) => n.ns === set.namespaces.uts?.inode)?.pid).toBe(set.pid);
  });

  itIf(hasLsns, 'needs util-linux lsns')('listNamespaces() and lsns -J agree on the inodes, owners and process counts of a running set, which it marks with its holder', async () => {
    const set = await newSet({ namespaces: ['pid', 'mount', 'net'] });
    const a = set.spawn('sleep', ['60'], { stdio: 'ignore' });
    const sandbox = spawnIsolated('sleep', ['60'], { stdio: 'ignore' });
    await new Promise((r) => sandbox.once('spawn', r));
    const program = () => Number(fs.readFileSync(`/proc/${a.pid}/task/${a.pid}/children`, 'utf8').trim());
    expect(await waitFor(() => program() > 0 && nsInode(program(), 'net') === set.namespaces.net?.inode)).toBe(true);
    const listed = listNamespaces();
    const fromLsns = lsns();
    for (const id of Object.values(set.namespaces)) {
      const mine = listed.find((n) => n.inode === id.inode);
      const theirs = fromLsns.find((n) => n.ns === id.inode);
      expect(mine).toMatchObject({ type: id.type, processes: theirs?.nprocs, owner: theirs?.ons, pid: theirs?.pid });
      expect(mine?.nsjs).toEqual({ kind: 'set', pid: set.pid });
    }
    const pidns = listed.find((n) => n.inode === set.namespaces.pid?.inode);
    expect(pidns?.nsPids).toEqual(expect.arrayContaining([{ pid: set.pid, nsPid: 1 }, { pid: program(), nsPid: expect.any(Number) }]));
    expect(pidns?.nsPids).toHaveLength(2);
    // A sandbox's namespaces are marked with its nsjs-init; the host's are not marked.
    expect(listed.find((n) => n.inode === nsInode(sandbox.pid as number, 'pid'))?.nsjs).toEqual({ kind: 'sandbox', pid: sandbox.pid });
    expect(listed.find((n) => n.inode === nsInode('self', 'pid'))?.nsjs).toBeUndefined();
    expect(listNamespaces({ type: 'net' }).every((n) => n.type === 'net')).toBe(true);
    expect(() => listNamespaces({ type: 'network' as never })).toThrow(TypeError);
    sandbox.kill('SIGKILL');
  });

  itIf(hasNsenter, 'needs util-linux nsenter')('nsenter -t SETPID enters a set', async () => {
    const set = await newSet({ hostname: 'entered' });
    // Below host root, nsenter -a would also try to enter the host's cgroup namespace, which it may not: name the set's own.
    const flag = { user: ['-U', '--preserve-credentials'], uts: ['-u'], net: ['-n'], ipc: ['-i'], mount: ['-m'], pid: ['-p'] } as Record<string, string[]>;
    const how = isHostRoot ? ['-a'] : Object.keys(set.namespaces).flatMap((t) => flag[t]);
    expect(execFileSync('nsenter', ['-t', String(set.pid), ...how, 'hostname'], { encoding: 'utf8' }).trim()).toBe('entered');
  });

  itIf(hasLsns, 'needs util-linux lsns')('close() kills every process in the set, reaps the holder, and its namespaces are gone from lsns', async () => {
    const set = await newSet();
    const a = set.spawn('sleep', ['60'], { stdio: 'ignore' });
    // An orphan of the set: reparented to the holder, not started by set.spawn.
    const orphaner = await set.spawn('sh', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $!']).result;
    expect(orphaner.exitCode).toBe(0);
    const inodes = Object.values(set.namespaces).map((n) => n.inode);
    const holder = set.pid;
    await set.close();
    expect(a.signalCode).toBe('SIGKILL');
    expect(alive(holder)).toBe(false);
    expect(await waitFor(() => !lsns().some((n) => inodes.includes(n.ns)))).toBe(true);
    await set.close(); // idempotent
    expect(() => set.spawn('true')).toThrow(expect.objectContaining({ code: 'ERR_NSJS_SET_CLOSED' }));
  });

  itIf(hasLsns, 'needs util-linux lsns')('a set dies with the Node process that made it (dieWithParent): its namespaces are gone from lsns', async () => {
    const run = await runNode(`
      const set = await nsjs.createNamespaces();
      set.spawn('sleep', ['60'], { stdio: 'ignore' });
      report({ holder: set.pid, inodes: Object.values(set.namespaces).map((n) => n.inode) });
      process.kill(process.pid, 'SIGKILL');
    `);
    expect(run.signal).toBe('SIGKILL');
    const { holder, inodes } = run.json as { holder: number; inodes: number[] };
    expect(await waitFor(() => !alive(holder), 10000)).toBe(true);
    // No live process is left in them. (The host's PID 1 reaps the dead holder
    // when it gets to it; until then lsns still lists the zombie's namespaces.)
    expect(await waitFor(() => lsns().filter((n) => inodes.includes(n.ns)).every((n) => !alive(n.pid)), 10000)).toBe(true);
  });

  it('with mounts and a user namespace: members join the outer user namespace, which owns the rest of the set', async () => {
    const dir = fs.mkdtempSync('/var/tmp/nsjs-set-');
    fs.chmodSync(dir, 0o755);
    try {
      // The holder is in a nested user namespace that owns only its locked mount namespace (lock-mounts).
      const set = await createNamespaces({ namespaces: ['pid', 'mount', 'uts', 'ipc', 'net', 'user'], mounts: [{ type: 'tmpfs', target: dir }] });
      sets.push(set);
      const r = await set.spawn('sh', ['-c', `readlink /proc/self/ns/user; grep -c " ${dir} " /proc/self/mountinfo`]).result;
      expect(r.stdout).toBe(`user:[${set.namespaces.user?.inode}]\n1\n`);
      expect(fs.readlinkSync(`/proc/${set.pid}/ns/user`)).not.toBe(`user:[${set.namespaces.user?.inode}]`);
      // That user namespace owns the set's network namespace: joining it needed no more than joining the set.
      expect(binding().nsOwner(fs.openSync(`/proc/${set.pid}/ns/net`, 'r'))).toBe(set.namespaces.user?.inode);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with dieWithParent: false a set outlives its parent, until its holder gets SIGTERM', async () => {
    const run = await runNode(`
      const set = await nsjs.createNamespaces({ dieWithParent: false, namespaces: ['net', 'uts'] });
      report({ holder: set.pid });
    `);
    expectClean(run);
    const { holder } = run.json as { holder: number };
    try {
      expect(alive(holder)).toBe(true);
    } finally {
      process.kill(holder, 'SIGTERM');
    }
    expect(await waitFor(() => !alive(holder), 10000)).toBe(true);
  });

  it('a holder killed from outside closes the set', async () => {
    const set = await newSet({ namespaces: ['net', 'uts'] });
    process.kill(set.pid, 'SIGKILL');
    expect(await waitFor(() => set.closed)).toBe(true);
    await set.close();
    expect(() => set.spawn('true')).toThrow(expect.objectContaining({ code: 'ERR_NSJS_SET_CLOSED' }));
  });

  it('await using closes the set at scope exit', async () => {
    let holder = 0;
    {
      await using set = await createNamespaces({ namespaces: ['net'] });
      holder = set.pid;
      expect(alive(holder)).toBe(true);
    }
    expect(alive(holder)).toBe(false);
  });

  it('set.spawn takes the per-program options (cwd, env, timeout), runs as the set\'s user, and runs the program in every namespace of the set', async () => {
    const set = await newSet({ hostname: 'opts', namespaces: ['pid', 'mount', 'uts', 'ipc', 'net', 'user'], user: { uid: 1000, gid: 1000 } });
    const show = ['-c', 'echo "$(pwd) $X $(id -u) $(hostname)"'];
    // The set's `user` by default (the only ids its user namespace maps).
    const r = await set.spawn('sh', show, { cwd: '/tmp', env: { X: 'x', PATH: process.env.PATH ?? '' } }).result;
    expect(r.stdout?.trim()).toBe('/tmp x 1000 opts');
    const slow = set.spawn('sleep', ['60'], { timeout: 50, killSignal: 'SIGKILL' });
    expect((await slow.result).signal).toBe('SIGKILL');
    const child = set.spawn('sleep', ['60'], { stdio: 'ignore' });
    // child.pid is its nsjs-init, outside the set's PID namespace; the program is its child.
    const program = () => Number(fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim());
    expect(await waitFor(() => program() > 0)).toBe(true);
    for (const id of Object.values(set.namespaces)) expect(nsInode(program(), id.path.split('/').pop() as string)).toBe(id.inode);
    child.kill('SIGKILL');
  });

  it('spawnIsolated joins a set, or a process by { pid }, as a join target', async () => {
    const set = await newSet({ namespaces: ['net', 'uts'], hostname: 'target' });
    const bySet = await spawnIsolated('hostname', { namespaces: ['mount'], join: { uts: set, ...(set.namespaces.user ? { user: set } : {}) } }).result;
    expect(bySet.stdout?.trim()).toBe('target');
    const byPid = await spawnIsolated('hostname', { namespaces: ['mount'], join: { uts: { pid: set.pid }, ...(set.namespaces.user ? { user: { pid: set.pid } } : {}) } }).result;
    expect(byPid.stdout?.trim()).toBe('target');
    expect(() => spawnIsolated('true', { namespaces: [], join: { pid: set } })).toThrow(/is not a namespace of this set/);
    expect(() => spawnIsolated('true', { namespaces: [], join: { net: { pid: 0 } } })).toThrow(/must be a positive integer/);
    expect(() => spawnIsolated('true', { namespaces: [], join: { net: { pid: 1, x: 1 } as never } })).toThrow(TypeError);
    await set.close();
    expect(() => spawnIsolated('true', { namespaces: [], join: { net: set } })).toThrow(expect.objectContaining({ code: 'ERR_NSJS_SET_CLOSED' }));
  });

  it('refuses options of the other side, unknown keys and types the set lacks', async () => {
    await expect(createNamespaces({ cwd: '/' } as never)).rejects.toThrow(/belongs to set.spawn\(\)/);
    await expect(createNamespaces({ hostnme: 'x' } as never)).rejects.toThrow(/did you mean 'hostname'/);
    await expect(createNamespaces({ namespaces: ['net'], hostname: 'x' })).rejects.toThrow(expect.objectContaining({ code: 'ERR_NSJS_REQUIRES_NAMESPACE' }));
    const set = await newSet({ namespaces: ['net'] });
    expect(() => set.spawn('true', { hostname: 'x' } as never)).toThrow(/belongs to createNamespaces\(\)/);
    expect(() => set.spawn('true', { stdoi: 'x' } as never)).toThrow(/did you mean 'stdio'/);
    expect(() => set.path('uts')).toThrow(/is not a namespace of this set/);
  });

  itAtLevels(['rootless'])('persist is root only: a rootless caller gets EPERM that says so', async () => {
    const set = await newSet({ namespaces: ['net'] });
    let err: unknown;
    try {
      set.persist('net', '/tmp/nsjs-never-made');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NamespaceError);
    expect(err).toMatchObject({ code: 'EPERM', syscall: 'mount', path: '/tmp/nsjs-never-made', hint: expect.stringContaining('needs root') });
  });
});
