// The host stays unchanged (#27, #28), checked inside a throwaway mount
// namespace whose / is made rshared, as on systemd hosts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { commandExists, isHostRoot, isUsernsRoot, itIf } from '../helpers/env';
import { expectClean, runNode } from '../helpers/run-node';

const privileged = (isHostRoot || isUsernsRoot) && commandExists('unshare');
const test = itIf(privileged, 'needs root (in the initial or a user namespace) and util-linux unshare');

describe('nothing nsjs mounts is visible outside the sandbox, whatever `propagation` says', () => {
  // The caller runs in a throwaway mount namespace whose / is made rshared (as
  // on systemd hosts), or a slave of such a one: a proc mounted on a peer of
  // its /proc would replace the caller's /proc with a dead namespace's.
  const parents: Record<string, string> = {
    shared: 'mount --make-rshared / && "$@"',
    slave: 'mount --make-rshared / && unshare --mount --propagation slave -- "$@"',
  };
  const fixture = `
    const fs = require('fs');
    const out = {};
    for (const propagation of ['private', 'slave', 'shared', 'unchanged']) {
      const before = fs.readFileSync('/proc/self/mountinfo', 'utf8');
      const r = await nsjs.spawnIsolated('sh', ['-c', 'grep -c " proc " /proc/self/mountinfo'], { propagation }).result;
      out[propagation] = { exitCode: r.exitCode, identical: fs.readFileSync('/proc/self/mountinfo', 'utf8') === before, procSelf: fs.existsSync('/proc/self') };
    }
    report(out);`;
  for (const [parent, script] of Object.entries(parents)) {
    test(`under a ${parent} parent, for every propagation value: the caller's mountinfo stays byte-identical`, async () => {
      const r = await runNode(fixture, { wrap: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh'] });
      expectClean(r);
      const same = { exitCode: 0, identical: true, procSelf: true };
      expect(r.json).toEqual({ private: same, slave: same, shared: same, unchanged: same });
    });
  }
});

describe('a new root under an rshared parent', () => {
  // pivot_root refuses a shared mount, and detaching the host's root from a
  // peer would unmount it everywhere: propagation private or slave keeps both away.
  test('readOnlyHost() and a directory root, private and slave: the caller\'s mountinfo stays byte-identical', async () => {
    const r = await runNode(`
      const fs = require('fs');
      const before = fs.readFileSync('/proc/self/mountinfo', 'utf8');
      const out = [];
      for (const propagation of ['private', 'slave']) {
        for (const opts of [nsjs.readOnlyHost(), { rootfs: '/', readonlyRoot: true }]) {
          const r = await nsjs.spawnIsolated('sh', ['-c', 'ls / >/dev/null && echo ok'], { ...opts, propagation }).result;
          out.push(r.stdout.trim());
        }
      }
      report({ out, identical: fs.readFileSync('/proc/self/mountinfo', 'utf8') === before, procSelf: fs.existsSync('/proc/self') });`,
      { wrap: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --make-rshared / && "$@"', 'sh'] });
    expectClean(r);
    expect(r.json).toEqual({ out: ['ok', 'ok', 'ok', 'ok'], identical: true, procSelf: true });
  });
});

describe('mountProc racing a symlink swap (RENAME_EXCHANGE)', () => {
  itIf(privileged && commandExists('python3'), 'needs root, unshare and python3 (for renameat2)')('never mounts anywhere but the intended directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-swap-'));
    try {
      fs.mkdirSync(path.join(dir, 'target'));
      fs.mkdirSync(path.join(dir, 'decoy'));
      fs.symlinkSync(path.join(dir, 'decoy'), path.join(dir, 'link'));
      const swapper = `import ctypes,sys\nlibc=ctypes.CDLL(None,use_errno=True)\na,b=sys.argv[1].encode(),sys.argv[2].encode()\nwhile True: libc.renameat2(-100,a,-100,b,2)`;
      const r = await runNode(`
        const cp = require('child_process');
        nsjs.unshare('mount');
        const swap = cp.spawn('python3', ['-c', ${JSON.stringify(swapper)}, ${JSON.stringify(path.join(dir, 'target'))}, ${JSON.stringify(path.join(dir, 'link'))}], { stdio: 'ignore' });
        process.on('exit', () => swap.kill('SIGKILL'));
        await new Promise((r) => setTimeout(r, 100));
        const outcomes = {};
        for (let i = 0; i < 2000; i++) {
          let k = 'mounted';
          try { nsjs.mountProc(${JSON.stringify(path.join(dir, 'target'))}); } catch (e) { k = e.code; }
          outcomes[k] = (outcomes[k] || 0) + 1;
        }
        swap.kill('SIGKILL');
        const mounts = require('fs').readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').filter((l) => l.includes(' proc ')).map((l) => l.split(' ')[4]);
        report({ outcomes, where: [...new Set(mounts)] });`, {
        // A shell is PID 1 beside the fixture, so unshare('mount') leaves "the host's" namespace.
        wrap: ['unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--', 'sh', '-c', '"$@"; exit $?', 'sh'],
      });
      expectClean(r);
      const where: string[] = r.json.where;
      expect(where.filter((m) => m.startsWith(dir)).every((m) => m === path.join(dir, 'target') || m === path.join(dir, 'link'))).toBe(true);
      expect(where).not.toContain(path.join(dir, 'decoy'));
      const outcomes = Object.keys(r.json.outcomes);
      expect(outcomes.every((k) => ['mounted', 'ERR_NSJS_SYMLINK_TARGET', 'ENOTDIR', 'ENOENT'].includes(k))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
