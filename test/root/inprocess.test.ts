// The in-process API, which changes the calling thread's namespaces. Every
// fixture runs under `unshare` with namespaces of its own first, with a shell
// as PID 1 beside it, so nsjs sees that shell's namespaces as "the host's" and
// even a bug could only change throwaway namespaces.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { commandExists, isHostRoot, isUsernsRoot, itAtLevels, itIf, ROOT } from '../helpers/env';
import { expectClean, runNode, type RunOptions } from '../helpers/run-node';

const privileged = isHostRoot || isUsernsRoot;
const reason = 'needs root (in the initial or in a user namespace) and util-linux unshare';
const can = privileged && commandExists('unshare');
const test = itIf(can, reason);

/** Own UTS/IPC/net/mount/PID namespaces, proc for them, a shell as PID 1. */
const sandboxed = (prelude = ''): RunOptions => ({
  wrap: ['unshare', '--uts', '--ipc', '--net', '--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--',
    'sh', '-c', `${prelude}"$@"; exit $?`, 'sh'],
});

describe('sethostname / setdomainname', () => {
  test('refuses while the thread is in the "host" UTS namespace (the one PID 1 is in)', async () => {
    const r = await runNode(`
      const before = require('child_process').execSync('hostname', { encoding: 'utf8' });
      let code; try { nsjs.sethostname('renamed'); } catch (e) { code = e.code; }
      report({ code, same: before === require('child_process').execSync('hostname', { encoding: 'utf8' }) });`, sandboxed());
    expectClean(r);
    expect(r.json).toEqual({ code: 'ERR_NSJS_HOST_NAMESPACE', same: true });
  });

  test('sets the name after unshare("uts"); children of the main thread see it; the host does not', async () => {
    const host = os.hostname();
    const r = await runNode(`
      nsjs.unshare('uts');
      nsjs.sethostname('inproc-ü');
      nsjs.setdomainname('example.test');
      const cp = require('child_process');
      report({ host: cp.execSync('hostname', { encoding: 'utf8' }).trim(), domain: cp.execSync('cat /proc/sys/kernel/domainname', { encoding: 'utf8' }).trim(),
        mine: nsjs.namespaceIds().uts.inode, pid1: nsjs.namespaceIds(1).uts.inode });`, sandboxed());
    expectClean(r);
    expect(r.json.host).toBe('inproc-ü');
    expect(r.json.domain).toBe('example.test');
    expect(r.json.mine).not.toBe(r.json.pid1);
    expect(os.hostname()).toBe(host);
  });

  itIf(can && commandExists('setpriv'), 'needs root, unshare and setpriv')(
    'fails closed when /proc/1/ns cannot be read: both calls refused, the name unchanged; unshare() settles it', async () => {
      // Without CAP_SYS_PTRACE (and DAC_READ_SEARCH) the fixture may not read
      // the links of PID 1, a shell that keeps them, as on hosts where root
      // cannot read /proc/1/ns. The namespaces are throwaway ones all the same.
      const r = await runNode(`
        const os = require('os');
        const out = { before: os.hostname() };
        try { require('fs').readlinkSync('/proc/1/ns/uts'); out.pid1 = 'readable'; } catch (e) { out.pid1 = e.code; }
        try { nsjs.sethostname('renamed'); } catch (e) { out.sethostname = e.code; out.hint = e.hint; }
        try { nsjs.setdomainname('renamed'); } catch (e) { out.setdomainname = e.code; }
        try { nsjs.mountProc('/proc'); } catch (e) { out.mountProc = e.code; }
        out.after = os.hostname();
        nsjs.unshare(['uts', 'mount']);
        nsjs.sethostname('inner');
        nsjs.mountProc('/proc');
        out.inner = os.hostname();
        report(out);`, {
        wrap: ['unshare', '--uts', '--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--',
          'sh', '-c', 'setpriv --bounding-set -sys_ptrace,-dac_read_search --inh-caps -sys_ptrace,-dac_read_search "$@"; exit $?', 'sh'],
      });
      expectClean(r);
      expect(r.json).toMatchObject({
        pid1: 'EACCES',
        sethostname: 'ERR_NSJS_HOST_NAMESPACE',
        setdomainname: 'ERR_NSJS_HOST_NAMESPACE',
        mountProc: 'ERR_NSJS_HOST_NAMESPACE',
        after: r.json.before,
        inner: 'inner',
      });
      expect(r.json.hint).toMatch(/\/proc\/1\/ns\/uts is not readable \(EACCES\)/);
    });

  // Host root only: root in a user namespace cannot setns back into its parent's UTS namespace (EPERM).
  (isHostRoot ? itIf(can && commandExists('nsenter'), 'needs root, unshare and nsenter') : itAtLevels(['root']))(
    'a thread in the initial UTS namespace is in the host\'s, whatever PID 1 of this /proc is in', async () => {
      // The fixture enters the initial UTS namespace again under a PID 1 that is
      // in a throwaway one. Only the guard is asked: nothing is renamed, even if it failed.
      const r = await runNode(`
        const { hostNamespaceVerdict } = require(${JSON.stringify(path.join(ROOT, 'dist', 'host-namespace.js'))});
        report(hostNamespaceVerdict('uts'));`, {
        wrap: ['sh', '-c', 'exec 3</proc/self/ns/uts; exec unshare --uts --mount --propagation private --pid --fork --mount-proc -- sh -c \'nsenter --uts=/proc/self/fd/3 "$@"; exit $?\' sh "$@"', 'sh'],
      });
      expectClean(r);
      expect(r.json).toMatchObject({ inHost: true, reason: expect.stringMatching(/initial uts namespace/) });
    });

  test('allowHostNamespace lets it act on the namespace PID 1 is in', async () => {
    const r = await runNode(`
      nsjs.sethostname('allowed', { allowHostNamespace: true });
      report({ host: require('child_process').execSync('hostname', { encoding: 'utf8' }).trim() });`, sandboxed());
    expectClean(r);
    expect(r.json.host).toBe('allowed');
  });
});

describe('unshare', () => {
  test('moves only the calling thread: threadpool threads stay in the old network namespace', async () => {
    const r = await runNode(`
      await require('fs').promises.readFile('/etc/hostname'); // start the threadpool
      const before = nsjs.namespaceIds().net.inode;
      nsjs.unshare('net');
      const fs = require('fs');
      const inodes = fs.readdirSync('/proc/self/task').map((t) => Number(/\\[(\\d+)\\]/.exec(fs.readlinkSync('/proc/self/task/' + t + '/ns/net'))[1]));
      report({ before, main: nsjs.namespaceIds().net.inode, inodes });`, sandboxed());
    expectClean(r);
    expect(r.json.main).not.toBe(r.json.before);
    expect(r.json.inodes).toContain(r.json.main);
    expect(r.json.inodes).toContain(r.json.before); // documented: the threadpool did not move
  });

  test('makes / recursively private after "mount" by default; "unchanged" keeps it shared', async () => {
    const prop = (p: string) => `nsjs.unshare('mount'${p}); report(require('child_process').execSync('findmnt -n -o PROPAGATION /', { encoding: 'utf8' }).trim());`;
    const shared = sandboxed('mount --make-rshared / && ');
    const byDefault = await runNode(prop(''), shared);
    const unchanged = await runNode(prop(", { propagation: 'unchanged' }"), shared);
    expectClean(byDefault);
    expect(byDefault.json).toBe('private');
    expect(unchanged.json).toBe('shared');
  });

  test('"pid" needs allowPidNamespace, and then the next child is PID 1', async () => {
    const r = await runNode(`
      nsjs.unshare('pid', { allowPidNamespace: true });
      report(require('child_process').execSync('echo $$', { encoding: 'utf8' }).trim());`, sandboxed());
    expectClean(r);
    expect(r.json).toBe('1');
  });
});

describe('mountProc', () => {
  test('refuses in the "host" mount namespace and on a symlink', async () => {
    const r = await runNode(`
      const out = {};
      try { nsjs.mountProc('/proc'); } catch (e) { out.host = e.code; }
      nsjs.unshare('mount');
      const link = require('path').join(require('os').tmpdir(), 'nsjs-link-' + process.pid);
      require('fs').symlinkSync('/proc', link);
      try { nsjs.mountProc(link); } catch (e) { out.symlink = e.code; }
      require('fs').unlinkSync(link);
      report(out);`, sandboxed());
    expectClean(r);
    expect(r.json).toEqual({ host: 'ERR_NSJS_HOST_NAMESPACE', symlink: 'ERR_NSJS_SYMLINK_TARGET' });
  });

  test('under an rshared parent, whatever propagation: a mount point is made private first, a plain directory is refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-mnt-'));
    try {
      const run = (propagation: string) =>
        runNode(`
          const fs = require('fs');
          nsjs.unshare('mount', { propagation: '${propagation}' });
          let dirCode; try { nsjs.mountProc(${JSON.stringify(dir)}); } catch (e) { dirCode = e.code; }
          nsjs.mountProc('/proc');
          report({ dirCode, procSelf: fs.existsSync('/proc/self') });`, {
          wrap: ['unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--', 'sh', '-c',
            `mount --make-rshared / && before=$(cat /proc/self/mountinfo); "$@"; rc=$?; [ "$before" = "$(cat /proc/self/mountinfo)" ] && echo caller-unchanged; exit $rc`, 'sh'],
        });
      for (const propagation of ['shared', 'unchanged']) {
        const r = await run(propagation);
        expect(r.status).toBe(0);
        expect(r.stdout).toContain('caller-unchanged');
        expect(JSON.parse(r.stdout.trim().split('\n').slice(-2)[0])).toEqual({ dirCode: 'ERR_NSJS_SHARED_MOUNT', procSelf: true });
      }
      const priv = await run('private');
      expect(priv.stdout).toContain('caller-unchanged');
      expect(JSON.parse(priv.stdout.trim().split('\n').slice(-2)[0])).toEqual({ procSelf: true });
    } finally {
      fs.rmdirSync(dir); // removable on the host: nothing is mounted on it here
    }
  });
});

describe('setns', () => {
  test('joins net and mount namespaces of another process, by pid, path and fd', async () => {
    const r = await runNode(`
      const cp = require('child_process');
      // The holder says 'ready' once unshare(2) is done (its shell runs after
      // it); before that its namespaces are this fixture's own, and joining
      // them would pass every check below for the wrong reason.
      const holder = cp.spawn('unshare', ['--net', '--mount', '--uts', 'sh', '-c', 'echo ready; exec sleep 100'], { stdio: ['ignore', 'pipe', 'inherit'] });
      process.on('exit', () => holder.kill('SIGKILL')); // also when this fixture fails
      await new Promise((resolve, reject) => {
        holder.stdout.once('data', resolve);
        holder.once('exit', () => reject(new Error('the holder ended before it was ready')));
      });
      const before = nsjs.namespaceIds();
      const target = nsjs.namespaceIds(holder.pid);
      const differs = ['net', 'mount', 'uts'].every((n) => target[n].inode !== before[n].inode);
      nsjs.setns({ pid: holder.pid, namespace: 'net' });
      nsjs.setns('/proc/' + holder.pid + '/ns/mnt', 'mount');
      const fd = require('fs').openSync('/proc/' + holder.pid + '/ns/uts', 'r');
      nsjs.setns(fd);
      const mine = nsjs.namespaceIds();
      let wrongType; try { nsjs.setns('/proc/' + holder.pid + '/ns/pid', 'net'); } catch (e) { wrongType = e.code; }
      holder.kill('SIGKILL');
      report({ differs, net: mine.net.inode === target.net.inode, mnt: mine.mount.inode === target.mount.inode, uts: mine.uts.inode === target.uts.inode, wrongType });`, sandboxed());
    expectClean(r);
    expect(r.json).toEqual({ differs: true, net: true, mnt: true, uts: true, wrongType: 'EINVAL' });
  });
});
