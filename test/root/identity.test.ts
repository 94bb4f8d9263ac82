// Which host ids a sandbox with a user namespace runs as, for each kind of
// caller (docs/security.md, "Which host ids a sandbox runs as"). Each case
// is one sentence of that section. Observed from outside: the maps, the owner
// of a file the sandbox creates, and what it may read.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { spawnIsolated, type SpawnIsolatedOptions } from '../../lib';
import { commandExists, itAtLevels } from '../helpers/env';
import { alive, waitFor } from '../helpers/proc';
import { expectClean, runNode } from '../helpers/run-node';

const WITH_USER = ['pid', 'mount', 'uts', 'ipc', 'net', 'user'] as const;

/** A directory anyone may write to, removed afterwards, and what the sandbox's file there is owned by. */
async function ownerOfFileMadeInside(options: Omit<SpawnIsolatedOptions, 'encoding'> = {}): Promise<{ owner: string; out: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-owner-'));
  try {
    fs.chmodSync(dir, 0o1777);
    const r = await spawnIsolated('sh', ['-c', `touch ${dir}/made; cat /proc/self/uid_map /proc/self/gid_map; grep Groups /proc/self/status`], {
      namespaces: [...WITH_USER],
      ...options,
    }).result;
    const st = fs.statSync(path.join(dir, 'made'));
    return { owner: `${st.uid}:${st.gid}`, out: r.stdout ?? '' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const mapLines = (out: string) => out.trim().split('\n').slice(0, 2).map((l) => l.trim().split(/\s+/).join(' '));

describe('host root, no range for root in /etc/subuid: the sandbox runs as 65534 (nobody/nogroup)', () => {
  const noRange = !/^(root|0):/m.test(`${fs.existsSync('/etc/subuid') ? fs.readFileSync('/etc/subuid', 'utf8') : ''}`);

  itAtLevels(['root'])('maps uid 0 inside to host 65534, with no supplementary groups; its files belong to 65534:65534', async () => {
    if (!noRange) throw new Error('this host gives root a subordinate range; the nobody fallback cannot be seen here');
    const { owner, out } = await ownerOfFileMadeInside();
    expect(mapLines(out)).toEqual(['0 65534 1', '0 65534 1']);
    expect(out).toMatch(/^Groups:\s*$/m);
    expect(owner).toBe('65534:65534');
  });

  itAtLevels(['root'])('cannot read /etc/shadow or write where only host root may', async () => {
    const r = await spawnIsolated('sh', ['-c', 'head -c4 /etc/shadow; echo x > /root/nsjs-owned; echo done'], { namespaces: [...WITH_USER] }).result;
    expect(r.stderr).toMatch(/shadow.*Permission denied/);
    expect(r.stderr).toMatch(/nsjs-owned.*Permission denied/);
    expect(fs.existsSync('/root/nsjs-owned')).toBe(false);
  });

  itAtLevels(['root'])('user: { uid, gid } picks the ids inside; outside it is still 65534', async () => {
    const { owner, out } = await ownerOfFileMadeInside({ user: { uid: 1000, gid: 100 } });
    expect(mapLines(out)).toEqual(['1000 65534 1', '100 65534 1']);
    expect(owner).toBe('65534:65534');
  });

  itAtLevels(['root'])('still dies with its parent: the identity change re-arms the parent-death signal', async () => {
    // The fixture reports the sandbox's pid, then SIGKILLs itself: Node's death, with no timer to race.
    const r = await runNode(`
      const child = nsjs.spawnIsolated('sleep', ['1000'], { namespaces: ${JSON.stringify(WITH_USER)}, stdio: 'ignore' });
      await new Promise((r) => child.once('spawn', r));
      report({ pid: child.pid });
      process.kill(process.pid, 'SIGKILL');`);
    expect(r.signal).toBe('SIGKILL');
    const pid: number = JSON.parse(r.stdout.trim().split('\n').filter(Boolean)[0]).pid;
    expect(pid).toBeGreaterThan(0);
    expect(await waitFor(() => !alive(pid), 10000)).toBe(true);
  });
});

describe('the caller is judged at each spawn', () => {
  itAtLevels(['root'])('host root who dropped its euid and took it back still gets the unprivileged ids', async () => {
    const r = await runNode(`
      const map = async () => (await nsjs.spawnIsolated('cat', ['/proc/self/uid_map'], { namespaces: ${JSON.stringify(WITH_USER)}, cwd: '/' }).result).stdout.trim().split(/\\s+/).join(' ');
      process.seteuid(65534);
      // Judged unprivileged now (with only the euid changed the process is not
      // dumpable, so this spawn may fail: the point is the next one).
      const asNobody = await map().catch((e) => e.code);
      process.seteuid(0);
      report({ asNobody, asRoot: await map() });`);
    expectClean(r);
    expect(r.json.asRoot).toBe('0 65534 1');
    expect(r.json.asNobody).not.toBe('0 0 1');
  });
});

describe('host root: a map the kernel refuses fails the spawn at its step, and leaves nothing behind', () => {
  itAtLevels(['root'])('the parent cannot write the map (a read-only /proc): step uid-map, EROFS, no process, no fd', async () => {
    const r = await runNode(`
      const fs = require('fs');
      const fds = () => fs.readdirSync('/proc/self/fd').length;
      await nsjs.spawnIsolated('true', [], { stdio: 'ignore' }).result; // warm up: the addon's own fds
      const before = fds();
      const c = nsjs.spawnIsolated('true', [], { namespaces: ${JSON.stringify(WITH_USER)}, stdio: 'ignore' });
      const events = [];
      c.on('spawn', () => events.push('spawn'));
      c.on('exit', () => events.push('exit'));
      const err = await new Promise((r) => c.on('error', r));
      await new Promise((r) => setTimeout(r, 100));
      const kids = fs.readFileSync('/proc/self/task/' + process.pid + '/children', 'utf8').trim();
      report({ code: err.code, step: err.step, syscall: err.syscall, events, fds: fds() - before, kids });`, {
      // remount,BIND,ro: a flag of this namespace's mount only. A plain
      // remount,ro would make the procfs superblock, the host's too, read-only.
      wrap: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -o remount,bind,ro /proc && exec "$@"', 'sh'],
    });
    expectClean(r);
    expect(r.json).toEqual({ code: 'EROFS', step: 'uid-map', syscall: 'open', events: [], fds: 0, kids: '' });
  });
});

describe("host root with a range for root in /etc/subuid and /etc/subgid: the sandbox runs in that range", () => {
  // The range is given in a throwaway mount namespace with an overlay on /etc.
  const withRange = (code: string) =>
    runNode(code, {
      wrap: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
        'd=$(mktemp -d) && mkdir $d/u $d/w && echo root:200000:65536 > $d/u/subuid && echo root:300000:65536 > $d/u/subgid && ' +
        'mount -t overlay overlay -o lowerdir=/etc,upperdir=$d/u,workdir=$d/w /etc && "$@"; rc=$?; umount /etc; rm -rf $d; exit $rc', 'sh'],
    });

  itAtLevels(['root'])('maps 0..65535 inside to the range; user.uid and gid pick ids in it; past its end is a RangeError', async () => {
    if (!commandExists('unshare')) throw new Error('needs util-linux unshare');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-range-'));
    try {
      fs.chmodSync(dir, 0o1777);
      const r = await withRange(`
        const fs = require('fs');
        const out = {};
        for (const user of [{}, { uid: 1000, gid: 100 }]) {
          const f = ${JSON.stringify(dir)} + '/made-' + (user.uid ?? 0);
          const res = await nsjs.spawnIsolated('sh', ['-c', 'touch ' + f + '; cat /proc/self/uid_map /proc/self/gid_map'], { namespaces: ${JSON.stringify(WITH_USER)}, user }).result;
          const st = fs.statSync(f);
          out[user.uid ?? 0] = { maps: res.stdout.trim().split('\\n').map((l) => l.trim().split(/\\s+/).join(' ')), owner: st.uid + ':' + st.gid };
        }
        try { nsjs.spawnIsolated('true', [], { namespaces: ['user'], user: { uid: 65536 } }); } catch (e) { out.past = [e.name, e.code]; }
        report(out);`);
      expectClean(r);
      expect(r.json).toEqual({
        0: { maps: ['0 200000 65536', '0 300000 65536'], owner: '200000:300000' },
        1000: { maps: ['0 200000 65536', '0 300000 65536'], owner: '201000:300100' },
        past: ['RangeError', 'ERR_OUT_OF_RANGE'],
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('root in a user namespace (not the initial one): the sandbox runs as the caller itself', () => {
  itAtLevels(['userns-root'])('maps uid 0 inside to the caller\'s own uid 0 (its one mapped id), as for any other caller', async () => {
    const { out } = await ownerOfFileMadeInside();
    expect(mapLines(out)).toEqual(['0 0 1', '0 0 1']);
  });
});
