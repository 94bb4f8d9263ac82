// Create or join, per namespace (the `join` option, through clone()): the
// user namespace is joined first and owns what is created after it; targets
// are checked before clone. Namespaces made by util-linux unshare(1), checked
// with lsns and /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

import { clone, CLONE_NEWNET, type ClonedProcess } from '../../lib';
import { commandExists, itIf } from '../helpers/env';
import { lsnsOutput, nsInode, waitFor } from '../helpers/proc';

const test = itIf(commandExists('unshare') && commandExists('lsns'), 'needs util-linux unshare and lsns');
const children = (pid: number) => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

const started: (ChildProcess | ClonedProcess)[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) p.kill('SIGKILL');
});

/** A process of unshare(1) in new namespaces, once it is really in them (no sleep). */
async function holder(args: string[], type: string): Promise<number> {
  const h = spawn('unshare', [...args, '--', 'sleep', '60'], { stdio: 'ignore' });
  started.push(h);
  const mine = nsInode('self', type);
  // With --fork, the sleeper (unshare's child) holds the PID namespace.
  const pidOf = () => (args.includes('--fork') ? children(h.pid!)[0] : h.pid!);
  expect(await waitFor(() => {
    try {
      return pidOf() !== undefined && nsInode(pidOf(), type) !== mine;
    } catch {
      return false;
    }
  })).toBe(true);
  return pidOf();
}

describe('join', () => {
  test('joins a user and a network namespace made by unshare(1), creates the rest inside them; lsns agrees', async () => {
    const h = await holder(['--user', '--map-root-user', '--net'], 'net');
    const c = clone({
      command: 'sleep',
      args: ['60'],
      stdio: [null, null, null],
      namespaces: ['uts', 'ipc', 'mount'],
      join: { net: `/proc/${h}/ns/net`, user: `/proc/${h}/ns/user` },
    });
    started.push(c);
    for (const t of ['net', 'user']) expect(nsInode(c.pid, t)).toBe(nsInode(h, t));
    for (const t of ['uts', 'ipc', 'mnt']) expect(nsInode(c.pid, t)).not.toBe(nsInode('self', t));
    const lsns = JSON.parse(lsnsOutput(['-J', '-o', 'NS,TYPE,NPROCS,ONS'])).namespaces as { ns: number; type: string; nprocs: number; ons: number }[];
    const entry = (ns: number) => lsns.find((n) => Number(n.ns) === ns);
    expect(Number(entry(nsInode(h, 'net'))?.nprocs)).toBeGreaterThanOrEqual(2);
    // What was created belongs to the joined user namespace.
    expect(Number(entry(nsInode(c.pid, 'uts'))?.ons)).toBe(nsInode(h, 'user'));
    expect(c.namespaces).toEqual(expect.arrayContaining(['uts', 'ipc', 'mount']));
  });

  test('a joined PID namespace runs the program under nsjs-init, which stays outside', async () => {
    const h = await holder(['--user', '--map-root-user', '--pid', '--fork'], 'pid');
    const c = clone({ command: 'sleep', args: ['60'], stdio: [null, null, null], namespaces: [], join: { user: `/proc/${h}/ns/user`, pid: `/proc/${h}/ns/pid` } });
    started.push(c);
    expect(nsInode(c.pid, 'pid')).toBe(nsInode('self', 'pid')); // init, outside
    const program = children(c.pid)[0];
    expect(nsInode(program, 'pid')).toBe(nsInode(h, 'pid'));
    expect(c.nsPid).toBeGreaterThan(1); // the holder's sleep is 1 there
    expect(fs.readFileSync(`/proc/${program}/status`, 'utf8')).toMatch(new RegExp(`^NSpid:.*\\s${c.nsPid}$`, 'm'));
  });

  test('a target of the wrong type fails before clone, with its path', async () => {
    const h = await holder(['--user', '--map-root-user', '--net'], 'net');
    const target = `/proc/${h}/ns/net`;
    let err: (Error & { code?: string; path?: string; syscall?: string; hint?: string }) | undefined;
    try {
      started.push(clone({ command: 'true', stdio: [null, null, null], namespaces: [], join: { uts: target } }));
    } catch (e) {
      err = e as typeof err;
    }
    expect(err).toMatchObject({ code: 'EINVAL', syscall: 'setns', path: target });
    expect(err?.hint).toMatch(/is a net namespace, not a uts namespace/);
    expect(CLONE_NEWNET).toBeGreaterThan(0);
  });
});
