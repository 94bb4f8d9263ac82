// Explicit id maps: several ranges, written directly by root, and through
// newuidmap/newgidmap for a caller who is not root (docs/security.md, "Which
// host ids a sandbox runs as"). The caller who is not root is nobody, given
// a range in /etc/subuid and /etc/subgid by an overlay on /etc in a throwaway
// mount namespace: newuidmap, a setuid helper, reads them there.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { spawnIsolated } from '../../lib';
import { commandExists, itAtLevels } from '../helpers/env';
import { expectClean, runNode } from '../helpers/run-node';

const WITH_USER = ['user', 'mount', 'pid'] as const;
const lines = (text: string) => text.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));

describe('explicit id maps', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-maps-'));
    fs.chmodSync(dir, 0o1777);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  itAtLevels(['root'])('host root: a multi-range map shows in uid_map, and a file made by a mapped uid has its host uid', async () => {
    const r = await spawnIsolated('sh', ['-c', `cat /proc/self/uid_map /proc/self/gid_map; touch ${dir}/made`], {
      namespaces: [...WITH_USER],
      uidMap: [{ inside: 0, outside: 100000, count: 1000 }, { inside: 1000, outside: 200000, count: 10 }],
      gidMap: [{ inside: 0, outside: 100000, count: 2000 }],
      user: { uid: 1005, gid: 1005 },
    }).result;
    expect(lines(r.stdout!)).toEqual(['0 100000 1000', '1000 200000 10', '0 100000 2000']);
    const st = fs.statSync(path.join(dir, 'made'));
    expect([st.uid, st.gid]).toEqual([200005, 101005]);
  });

  itAtLevels(['root'])(
    'a caller who is not root (nobody): newuidmap writes the ranges /etc/subuid gives it, mapAuto takes its first range, and a range outside is refused with a hint naming /etc/subuid',
    async () => {
      if (!commandExists('newuidmap') || !commandExists('unshare')) throw new Error("needs newuidmap (Debian's uidmap) and unshare");
      const r = await runNode(
        `const out = [];
        const sh = (o) => nsjs.spawnIsolated('sh', ['-c', 'cat /proc/self/uid_map; touch ${dir}/made-' + out.length], { namespaces: ['user', 'mount', 'pid'], ...o }).result;
        out.push((await sh({ uidMap: [{ inside: 0, outside: 65534, count: 1 }, { inside: 1, outside: 300000, count: 1000 }], gidMap: [{ inside: 0, outside: 65534, count: 1 }, { inside: 1, outside: 300000, count: 1000 }], user: { uid: 5, gid: 5 } })).stdout);
        out.push((await sh({ mapAuto: true })).stdout);
        const err = await sh({ uidMap: [{ inside: 0, outside: 400000, count: 10 }], gidMap: [{ inside: 0, outside: 300000, count: 10 }] }).catch((e) => e);
        report({ out, err: { code: err.code, step: err.step, syscall: err.syscall, path: err.path, hint: err.hint } });`,
        {
          // test/run.sh copies a checkout nobody cannot read (a mode-700 clone) where it can.
          ...(process.env.NSJS_NOBODY_TREE ? { dist: path.join(process.env.NSJS_NOBODY_TREE, 'dist', 'index.js') } : {}),
          wrap: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
            'd=$(mktemp -d) && mkdir $d/u $d/w && mount -t overlay overlay -o lowerdir=/etc,upperdir=$d/u,workdir=$d/w /etc && ' +
            'echo nobody:300000:1000 >> /etc/subuid && echo nobody:300000:1000 >> /etc/subgid && ' +
            'HOME=/tmp setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; rc=$?; umount /etc; rm -rf $d; exit $rc', 'sh'],
        },
      );
      expectClean(r);
      expect(lines(r.json.out[0])).toEqual(['0 65534 1', '1 300000 1000']);
      expect(lines(r.json.out[1])).toEqual(['0 300000 1000']);
      expect(fs.statSync(path.join(dir, 'made-0')).uid).toBe(300004); // uid 5 inside
      expect(fs.statSync(path.join(dir, 'made-1')).uid).toBe(300000); // root inside, mapAuto
      expect(r.json.err).toEqual({ code: 'ERR_NSJS_USERNS_UNAVAILABLE', step: 'uid-map', syscall: 'newuidmap', path: '/etc/subuid', hint: expect.stringContaining('/etc/subuid') });
    },
  );

  it('bad maps are refused before clone', () => {
    const maps = { uidMap: [{ inside: 0, outside: 100000, count: 10 }], gidMap: [{ inside: 0, outside: 100000, count: 10 }] };
    expect(() => spawnIsolated('true', [], { namespaces: ['uts'], ...maps })).toThrow(expect.objectContaining({ code: 'ERR_NSJS_REQUIRES_NAMESPACE' }));
    expect(() => spawnIsolated('true', [], { namespaces: [...WITH_USER], uidMap: maps.uidMap })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => spawnIsolated('true', [], { namespaces: [...WITH_USER], ...maps, uidMap: [{ inside: 0, outside: 1, count: 0 }] })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { namespaces: [...WITH_USER], ...maps, uidMap: [{ inside: 0, outisde: 1, count: 1 } as never] })).toThrow(expect.objectContaining({ message: expect.stringContaining("did you mean 'outside'") }));
    expect(() => spawnIsolated('true', [], { namespaces: [...WITH_USER], ...maps, user: { uid: 10 } })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { namespaces: [...WITH_USER], ...maps, mapAuto: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
