// set.persist() and ip netns, both ways. Every fixture runs in a throwaway
// mount namespace of its own with a tmpfs on /run, so /run/netns there is not
// the host's: nothing persisted here can be seen, or left, outside.
import { commandExists, isHostRoot, isUsernsRoot, itAtLevels, itIf } from '../helpers/env';
import { expectClean, runNode, type RunOptions } from '../helpers/run-node';

const test = itIf((isHostRoot || isUsernsRoot) && commandExists('unshare') && commandExists('ip'), 'needs root (in the initial or in a user namespace), util-linux unshare and iproute2 ip');

/** Its own mount namespace (private), with /run a fresh tmpfs in it. */
const ownRun: RunOptions = {
  wrap: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs -o mode=755 nsjs-run /run && exec "$@"', 'sh'],
};

const prelude = `
  const cp = require('child_process');
  const fs = require('fs');
  const sh = (cmd) => cp.execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const mounted = (p) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').some((l) => l.split(' ')[4] === p);
  const inode = (p) => fs.statSync(p).ino;
`;

describe('persist', () => {
  test('ip netns exec NAME runs in a network persisted by nsjs at /run/netns/NAME, listNamespaces() shows the path; close() unmounts and removes it', async () => {
    const r = await runNode(`${prelude}
      const set = await nsjs.createNamespaces({ namespaces: ['net', 'uts'] });
      set.persist('net', '/run/netns/nsjs-p');
      const link = sh('ip netns exec nsjs-p ip -br link');
      const list = sh('ip netns list');
      const same = inode('/run/netns/nsjs-p') === set.namespaces.net.inode;
      const wasMounted = mounted('/run/netns/nsjs-p');
      const listed = nsjs.listNamespaces({ type: 'net' }).find((n) => n.inode === set.namespaces.net.inode);
      await set.close();
      const afterClose = nsjs.listNamespaces({ type: 'net' }).some((n) => n.inode === listed.inode);
      report({ link, list, same, wasMounted, paths: listed.paths, afterClose, fileLeft: fs.existsSync('/run/netns/nsjs-p'), dirLeft: fs.existsSync('/run/netns'), stillMounted: mounted('/run/netns/nsjs-p') });`, ownRun);
    expectClean(r);
    expect(r.json).toMatchObject({ list: expect.stringContaining('nsjs-p'), same: true, wasMounted: true, paths: ['/run/netns/nsjs-p'], afterClose: false, fileLeft: false, dirLeft: false, stillMounted: false });
    // A new network has only lo (up, as nsjs brings it up).
    expect(r.json.link).toMatch(/^lo\s+UNKNOWN/);
    expect(r.json.link.split('\n')).toHaveLength(1);
  });

  // Root in a user namespace: `ip netns exec` cannot enter what `ip netns add` made there (setns: EPERM), with or without nsjs.
  itAtLevels(['root'])('nsjs joins a network made by ip netns add, and ip netns del removes it', async () => {
    const r = await runNode(`${prelude}
      sh('ip netns add nsjs-made && ip netns exec nsjs-made ip addr add 10.9.8.7/32 dev lo');
      let seen;
      try {
        const byPath = await nsjs.spawnIsolated('ip', ['-br', 'addr'], { namespaces: ['mount', 'uts'], join: { net: '/run/netns/nsjs-made' } }).result;
        const set = await nsjs.createNamespaces({ namespaces: ['uts'], join: { net: '/run/netns/nsjs-made' } });
        const inSet = await set.spawn('ip', ['-br', 'addr']).result;
        const same = set.namespaces.net.inode === inode('/run/netns/nsjs-made');
        await set.close();
        seen = { byPath: byPath.stdout, inSet: inSet.stdout, same };
      } finally {
        sh('ip netns del nsjs-made');
      }
      report({ ...seen, gone: !fs.existsSync('/run/netns/nsjs-made') });`, ownRun);
    expectClean(r);
    expect(r.json.byPath).toContain('10.9.8.7/32');
    expect(r.json.inSet).toContain('10.9.8.7/32');
    expect(r.json).toMatchObject({ same: true, gone: true });
  });

  test('persist onto an existing file only unmounts it at close; { keep: true } leaves the mount; failures undo what they made', async () => {
    const r = await runNode(`${prelude}
      fs.writeFileSync('/run/existing', '');
      const set = await nsjs.createNamespaces({ namespaces: ['net', 'uts'] });
      set.persist('uts', '/run/existing');
      set.persist('net', '/run/kept', { keep: true });
      let err;
      try { set.persist('net', '/run/missing-dir/x'); } catch (e) { err = { code: e.code, path: e.path }; }
      let dirErr;
      fs.mkdirSync('/run/adir');
      try { set.persist('net', '/run/adir'); } catch (e) { dirErr = { code: e.code, path: e.path }; }
      await set.close();
      const kept = { mounted: mounted('/run/kept'), same: inode('/run/kept') };
      sh('umount /run/kept && rm /run/kept');
      report({ err, dirErr, existing: fs.existsSync('/run/existing'), existingMounted: mounted('/run/existing'), kept: kept.mounted, adirLeft: fs.existsSync('/run/adir') });`, ownRun);
    expectClean(r);
    expect(r.json).toEqual({
      err: { code: 'ENOENT', path: '/run/missing-dir/x' },
      dirErr: { code: 'EEXIST', path: '/run/adir' },
      existing: true,
      existingMounted: false,
      kept: true,
      adirLeft: true,
    });
  });

  test('a persisted network outlives its set with keep, and is still the same namespace', async () => {
    const r = await runNode(`${prelude}
      const set = await nsjs.createNamespaces({ namespaces: ['net'] });
      const ino = set.namespaces.net.inode;
      set.persist('net', '/run/netns/nsjs-k', { keep: true });
      await set.close();
      const after = inode('/run/netns/nsjs-k');
      const link = sh('ip netns exec nsjs-k ip -br link');
      sh('ip netns del nsjs-k');
      report({ same: after === ino, link, gone: !fs.existsSync('/run/netns/nsjs-k') });`, ownRun);
    expectClean(r);
    expect(r.json).toMatchObject({ same: true, gone: true });
    expect(r.json.link).toMatch(/^lo\s/);
  });
});
