// Exhausted resources (#44, #38): clean errors, nothing leaked, full recovery.
import { execFileSync } from 'node:child_process';

import { commandExists, itIf } from '../helpers/env';
import { expectClean, runNode } from '../helpers/run-node';

describe('out of resources', () => {
  it('no fds left (prlimit --nofile): EMFILE as an error event, no leak, works again once fds are freed', async () => {
    const r = await runNode(`
      const fs = require('fs');
      const count = () => fs.readdirSync('/proc/self/fd').length;
      const spawn = (stdio) => new Promise((resolve) => {
        const c = nsjs.spawnIsolated('/bin/true', [], { stdio });
        c.on('error', (e) => resolve({ code: e.code, step: e.step }));
        c.on('exit', (code) => resolve({ exit: code }));
      });
      await spawn('ignore'); // warm-up: the addon keeps one pidfd of this process
      const initial = count();
      const held = [];
      try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      const results = [];
      for (const free of [0, 1, 2, 3]) {
        for (let i = 0; i < free; i++) fs.closeSync(held.pop());
        results.push({ free, ...(await spawn('ignore')) });
        for (let i = 0; i < free; i++) held.push(fs.openSync('/dev/null', 'r'));
      }
      const piped = await spawn('pipe');
      held.forEach((fd) => fs.closeSync(fd));
      const leaked = count() - initial; // every failed attempt above closed what it opened
      report({ results, piped, leaked, after: await spawn('pipe') });`, { wrap: ['prlimit', '--nofile=64:64', '--'] });
    expectClean(r);
    expect(r.json.leaked).toBe(0);
    for (const res of r.json.results) if (res.exit === undefined) expect(res.code).toBe('EMFILE');
    expect(r.json.results[0]).toMatchObject({ code: 'EMFILE' });
    expect(r.json.piped).toMatchObject({ code: 'EMFILE' });
    expect(r.json.after).toEqual({ exit: 0 });
  });

  itIf(commandExists('unshare'), 'needs util-linux unshare')('user.max_user_namespaces = 0 (in a throwaway user namespace): ERR_NSJS_USERNS_UNAVAILABLE with a hint, then recovery', async () => {
    const r = await runNode(`
      const fs = require('fs');
      const spawn = () => new Promise((resolve) => {
        const c = nsjs.spawnIsolated('/bin/true', [], { namespaces: ['user', 'uts'], stdio: 'ignore' });
        c.on('error', (e) => resolve({ code: e.code, step: e.step, hint: e.hint, errno: e.errno }));
        c.on('exit', (code) => resolve({ exit: code }));
      });
      fs.writeFileSync('/proc/sys/user/max_user_namespaces', '0');
      const refused = await spawn();
      fs.writeFileSync('/proc/sys/user/max_user_namespaces', '100');
      report({ refused, recovered: await spawn() });`, { wrap: ['unshare', '--user', '--map-root-user', '--'] });
    expectClean(r);
    expect(r.json.refused).toMatchObject({ code: 'ERR_NSJS_USERNS_UNAVAILABLE', step: 'clone', errno: -28 });
    expect(r.json.refused.hint).toMatch(/max_user_namespaces is 0/);
    expect(r.json.recovered).toEqual({ exit: 0 });
  });

  itIf(commandExists('unshare'), 'needs util-linux unshare')('user namespaces nested as deep as the kernel allows: ENOSPC at step clone, a hint naming both limits; other namespaces still work', async () => {
    // How many `unshare -Ur` fit above this process (33 from the host's user
    // namespace, fewer at the userns-root level): the fixture then sits at the
    // deepest level, where no user namespace can be created any more.
    const nest = (k: number) => Array.from({ length: k }, () => ['unshare', '-Ur', '--']).flat();
    const fits = (k: number) => {
      try {
        execFileSync(nest(k)[0] ?? 'true', [...nest(k).slice(1), 'true'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    let depth = 0;
    while (depth < 64 && fits(depth + 1)) depth++;
    expect(depth).toBeGreaterThan(0);
    expect(depth).toBeLessThan(64);
    const r = await runNode(`
      const spawn = (namespaces) => new Promise((resolve) => {
        const c = nsjs.spawnIsolated('/bin/true', [], { namespaces, stdio: 'ignore' });
        c.on('error', (e) => resolve({ code: e.code, errno: e.errno, syscall: e.syscall, step: e.step, hint: e.hint }));
        c.on('exit', (code) => resolve({ exit: code }));
      });
      report({ refused: await spawn(['user', 'uts']), uts: await spawn(['uts']) });`, { wrap: nest(depth) });
    expectClean(r);
    expect(r.json.refused).toMatchObject({ code: 'ERR_NSJS_USERNS_UNAVAILABLE', errno: -28, syscall: 'clone', step: 'clone' });
    expect(r.json.refused.hint).toMatch(/nesting limit/);
    expect(r.json.refused.hint).toMatch(/max_user_namespaces/);
    expect(r.json.uts).toEqual({ exit: 0 });
  });
});
