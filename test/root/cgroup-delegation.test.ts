// limits/cgroup (#11), rootless with delegation: what systemd's Delegate=yes
// gives a user (a cgroup v2 subtree of its own, the user's processes in it),
// made by hand below this process's own cgroup v2, for nobody. Removed after.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { v2Hierarchy } from '../../lib/host/cgroup-v2';
import { commandExists, itIfSupported, level } from '../helpers/env';
import { expectClean, runNode } from '../helpers/run-node';

const v2 = v2Hierarchy();

itIfSupported(level === 'root' && v2 !== undefined && commandExists('setpriv'), 'needs host root, a cgroup v2 and setpriv')(
  'nobody in a delegated cgroup v2: cgroup: {} makes the sandbox’s cgroup under its own (nsjs/…), cgroup.parent too; outside it, ERR_NSJS_UNSUPPORTED with the hint',
  async () => {
    const dir = path.join(v2!.ownDir, `nsjs-test-delegated-${process.pid}`);
    const cgroupPath = path.posix.join(v2!.own, path.basename(dir));
    const other = path.join(v2!.ownDir, `nsjs-test-other-${process.pid}`);
    const otherPath = path.posix.join(v2!.own, path.basename(other));
    fs.mkdirSync(dir);
    fs.mkdirSync(other);
    try {
      // What systemd chowns for Delegate=yes: the directory and the files a delegatee writes.
      for (const d of [dir, other]) for (const f of ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']) fs.chownSync(path.join(d, f), 65534, 65534);
      const r = await runNode(
        `const line = (t) => /^0::(.*)$/m.exec(t)[1];
        const own = line(require('fs').readFileSync('/proc/self/cgroup', 'utf8'));
        const byDefault = line((await nsjs.spawnIsolated('cat', ['/proc/self/cgroup'], { cgroup: {} }).result).stdout);
        const byParent = line((await nsjs.spawnIsolated('cat', ['/proc/self/cgroup'], { cgroup: { parent: own } }).result).stdout);
        const outside = await nsjs.spawnIsolated('true', [], { cgroup: { parent: '/' } }).result.catch((e) => ({ code: e.code, hint: e.hint }));
        // Writable, but outside the subtree it runs in: the kernel refuses the move (clone3, EACCES).
        const elsewhere = await nsjs.spawnIsolated('true', [], { namespaces: ['user', 'uts'], cgroup: { parent: ${JSON.stringify(otherPath)} } }).result.catch((e) => ({ code: e.code, syscall: e.syscall, errno: e.errno, hint: e.hint }));
        report({ uid: process.getuid(), own, byDefault, byParent, outside, elsewhere });`,
        {
          ...(process.env.NSJS_NOBODY_TREE ? { dist: path.join(process.env.NSJS_NOBODY_TREE, 'dist', 'index.js') } : {}),
          // Root puts the shell in the delegated cgroup, then it becomes nobody: as a user session does.
          wrap: ['sh', '-c', `echo $$ > ${dir}/cgroup.procs && HOME=/tmp exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"`, 'sh'],
        },
      );
      expectClean(r);
      expect(r.json).toMatchObject({ uid: 65534, own: cgroupPath });
      expect(r.json.byDefault).toMatch(new RegExp(`^${cgroupPath}/nsjs/nsjs-\\d+-\\d+$`));
      expect(r.json.byParent).toMatch(new RegExp(`^${cgroupPath}/nsjs-\\d+-\\d+$`));
      expect(r.json.outside).toMatchObject({ code: 'ERR_NSJS_UNSUPPORTED', hint: expect.stringContaining('Delegate=yes') });
      expect(r.json.elsewhere).toMatchObject({ code: 'ERR_NSJS_UNSUPPORTED', syscall: 'clone3', errno: -13, hint: expect.stringContaining('delegated') });
      expect(fs.readdirSync(other, { withFileTypes: true }).filter((e) => e.isDirectory())).toEqual([]);
      // Nothing of nsjs is left in the delegated cgroup.
      expect(fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)).toEqual([]);
    } finally {
      try {
        fs.rmdirSync(other);
      } catch {
        /* reported above */
      }
      if (fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim() !== '') fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
      for (let i = 0; i < 100 && fs.existsSync(dir); i++) {
        try {
          fs.rmdirSync(dir);
        } catch {
          execFileSync('sleep', ['0.05']);
        }
      }
    }
  },
);
