// When nsjs-init cannot start the program (its fork fails), the error carries
// the errno and syscall nsjs-init wrote, as every failed step does.
//
// RLIMIT_NPROC binds only an unprivileged user (root is exempt), and counts
// every task of that user. The fixture gets a user namespace of its own first
// (`unshare --map-current-user`, the same uid inside): the kernel then also
// counts the tasks of that namespace alone against the limit, so other
// processes of this user (jest's other worker) cannot disturb the count. With
// the limit at its own tasks + 1, the setup child is allowed and nsjs-init's
// fork of the program is not.
import { commandExists, isRootless, itIf } from '../helpers/env';
import { expectClean, runNode } from '../helpers/run-node';

const test = itIf(isRootless && commandExists('prlimit'), 'RLIMIT_NPROC binds only an unprivileged user (run.sh runs this as nobody); needs prlimit');

describe('nsjs-init cannot fork the program', () => {
  test('RLIMIT_NPROC reached: EAGAIN with errno, syscall fork, step init and a hint; nothing left; works again', async () => {
    const r = await runNode(`
      const fs = require('fs');
      const { execFileSync } = require('child_process');
      const setSoftLimit = (v) => execFileSync('prlimit', ['--pid', String(process.pid), '--nproc=' + v + ':']);
      const children = () => fs.readdirSync('/proc/self/task').map((t) => fs.readFileSync('/proc/self/task/' + t + '/children', 'utf8').trim()).join('');
      const fds = () => fs.readdirSync('/proc/self/fd').length;
      const spawn = () => new Promise((resolve) => {
        const c = nsjs.spawnIsolated('/bin/true', [], { stdio: 'ignore' });
        c.on('error', (e) => resolve({ error: { code: e.code, errno: e.errno, syscall: e.syscall, step: e.step, hint: e.hint }, pid: c.pid }));
        c.on('exit', (code, signal) => resolve({ exit: code, signal }));
      });
      await spawn(); // warm-up: the addon keeps one pidfd of this process
      const soft = /^Max processes\\s+(\\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))[1];
      setSoftLimit(soft); // warm-up too: libuv's first spawn keeps fds of its own
      const before = fds();
      setSoftLimit(fs.readdirSync('/proc/self/task').length + 1);
      const refused = await spawn();
      setSoftLimit(soft);
      report({ refused, fdsBefore: before, fdsAfter: fds(), children: children(), after: await spawn() });`,
    { wrap: ['unshare', '--map-current-user', '--'] });
    expectClean(r);
    expect(r.json.refused).toEqual({
      error: { code: 'EAGAIN', errno: -11, syscall: 'fork', step: 'init', hint: expect.stringMatching(/RLIMIT_NPROC/) },
    });
    expect(r.json.fdsAfter).toBe(r.json.fdsBefore);
    expect(r.json.children).toBe('');
    expect(r.json.after).toEqual({ exit: 0, signal: null });
  });
});
