// What an unprivileged caller gets: a user namespace mapping it to root inside.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ErrorCodes, spawnIsolated, type NamespaceError } from '../../lib';
import { startCloned } from '../../lib/spawn/cloned-process';
import { normalizeIsolation } from '../../lib/spawn/options';
import { isRootless, itIf } from '../helpers/env';

const test = itIf(isRootless, 'only an unprivileged caller runs rootless (run.sh runs this as nobody)');
const uid = process.geteuid?.() ?? -1;
const gid = process.getegid?.() ?? -1;

describe('rootless sandboxes', () => {
  test('map the caller to root: uid_map and gid_map are "0 <id> 1", setgroups is deny', async () => {
    const r = await spawnIsolated('sh', ['-c', 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; id -g']).result;
    const lines = r.stdout!.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(lines).toEqual([`0 ${uid} 1`, `0 ${gid} 1`, 'deny', '0', '0']);
  });

  test('honour user: { uid, gid } inside', async () => {
    const r = await spawnIsolated('sh', ['-c', 'id -u; id -g'], { user: { uid: 1000, gid: 100 } }).result;
    expect(r.stdout).toBe('1000\n100\n');
  });

  test('create files on the host as the caller', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-own-'));
    try {
      const r = await spawnIsolated('sh', ['-c', `touch ${dir}/made-inside; stat -c %u ${dir}/made-inside`]).result;
      expect(r.stdout).toBe('0\n');
      expect(fs.statSync(`${dir}/made-inside`).uid).toBe(uid);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('own every namespace they create by their user namespace (lsns ONS)', async () => {
    const child = spawnIsolated('sleep', ['5']);
    await new Promise((r) => child.once('spawn', r));
    const userns = Number(/\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${child.pid}/ns/user`))![1]);
    const rows = execFileSync('lsns', ['-n', '-o', 'NS,TYPE,ONS', '-p', String(child.pid)], { encoding: 'utf8' })
      .trim().split('\n').map((l) => l.trim().split(/\s+/));
    const created = rows.filter(([, type]) => ['mnt', 'uts', 'ipc', 'pid', 'net'].includes(type));
    expect(created.map(([, type]) => type).sort()).toEqual(['ipc', 'mnt', 'net', 'pid', 'uts']);
    for (const [, , owner] of created) expect(Number(owner)).toBe(userns);
    child.kill('SIGKILL');
    await child.result;
  });

  test('see / as private inside (mounts cannot leak out)', async () => {
    const r = await spawnIsolated('findmnt', ['-n', '-o', 'PROPAGATION', '/']).result;
    expect(r.stdout!.trim()).toBe('private');
  });

  test('are refused a uid map for anyone but the caller (EPERM at uid-map)', async () => {
    // An unprivileged process may only map its own euid. nsjs never asks for
    // more, so the refusal is forced: the plan clone() makes, first as made
    // (it must work), then with the caller's host uid swapped for root's.
    const attempt = (uidMap?: string) => {
      const n = normalizeIsolation('/bin/true', [], { namespaces: ['user'] }, []);
      if (uidMap !== undefined) n.identity.uidMap = uidMap;
      try {
        const child = startCloned(n, [-1, -1, -1]);
        return child.wait().then(() => ({ uidMap: n.identity.uidMap }));
      } catch (e) {
        const err = e as NamespaceError;
        return Promise.resolve({ uidMap: n.identity.uidMap, code: err.code, errno: err.errno, syscall: err.syscall, step: err.step, path: err.path });
      }
    };
    const own = await attempt();
    expect(own).toEqual({ uidMap: `0 ${uid} 1\n` }); // the plan as made works: only the foreign id below fails
    const foreign = await attempt(`0 0 1\n`);
    expect(foreign).toEqual({
      uidMap: '0 0 1\n',
      code: ErrorCodes.USERNS_UNAVAILABLE,
      errno: -os.constants.errno.EPERM,
      syscall: 'write',
      step: 'uid-map',
      path: '/proc/self/uid_map',
    });
  });
});
