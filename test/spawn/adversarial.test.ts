// Adversarial cases from ../shared/research/reliability.md, seen from inside
// and outside the sandbox. Numbers refer to that list (see docs/security.md).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { spawnIsolated } from '../../lib';
import { commandExists, isHostRoot, isRootless, itAtLevels, itIf, itIfSupported, scaled } from '../helpers/env';
import { alive, waitFor, zombieChildren } from '../helpers/proc';
import { expectClean, runNode } from '../helpers/run-node';

const sh = (cmd: string, options = {}) => spawnIsolated('sh', ['-c', cmd], options).result;

describe('#7 a program that cannot be exec\'d', () => {
  // Made and removed by hooks, which do not run when a filter skips this block.
  const plain = path.join(os.tmpdir(), `nsjs-noexec-${process.pid}`, 'file');
  beforeAll(() => {
    fs.mkdirSync(path.dirname(plain), { mode: 0o755 });
    fs.writeFileSync(plain, 'not a program\n', { mode: 0o644 });
    fs.chmodSync(path.dirname(plain), 0o755);
  });
  afterAll(() => fs.rmSync(path.dirname(plain), { recursive: true, force: true }));
  const cases: [string, string, string][] = [
    ['a directory', '/', 'EACCES'],
    ['a file without +x', plain, 'EACCES'],
    ['a missing program', '/nonexistent/program', 'ENOENT'],
    ['a name not on PATH', 'nsjs-no-such-program', 'ENOENT'],
  ];
  for (const [what, command, code] of cases) {
    for (const init of [true, false]) {
      it(`${what} (init: ${init}): exactly one 'error', no 'exit', nothing left`, async () => {
        // A PATH the caller can search: execvp reports EACCES if any entry was not searchable.
        const child = spawnIsolated(command, ['x'], { init, env: { PATH: '/usr/bin:/bin' } });
        const events: string[] = [];
        child.on('exit', () => events.push('exit'));
        child.on('close', () => events.push('close'));
        const err = await new Promise<NodeJS.ErrnoException>((r) => child.on('error', (e) => { events.push('error'); r(e); }));
        await new Promise((r) => setTimeout(r, 50));
        expect(events).toEqual(['error']);
        expect(err).toMatchObject({ code, syscall: `spawn ${command}`, path: command, spawnargs: ['x'], step: 'exec' });
        expect(err.message).toBe(`spawn ${command} ${code}`);
        expect(child.pid).toBeUndefined();
        expect(zombieChildren()).toEqual([]);
      });
    }
  }

  it('a script whose interpreter is missing is ENOENT', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-script-'));
    try {
      const script = path.join(dir, 'run.sh');
      fs.writeFileSync(script, '#!/mmnnttbb\n', { mode: 0o755 });
      fs.chmodSync(dir, 0o755);
      await expect(spawnIsolated(script).result).rejects.toMatchObject({ code: 'ENOENT', step: 'exec' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('#26 host processes', () => {
  it('are invisible and unkillable from inside; /proc is the sandbox\'s', async () => {
    const r = await sh(`readlink /proc/self; ls /proc | grep -c '^[0-9]'; kill -0 ${process.pid} 2>/dev/null && echo reached || echo ESRCH`);
    const [self, count, kill] = r.stdout!.trim().split('\n');
    expect(Number(self)).toBeLessThan(10);
    expect(Number(count)).toBeLessThan(6);
    expect(kill).toBe('ESRCH');
  });
});

describe('#30 the network', () => {
  it('keeps a host abstract UNIX socket out of reach; a pathname socket is reachable (not filesystem isolation)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-sock-'));
    const serve = () => net.createServer((s) => s.on('error', () => undefined).end('x'));
    const servers = [serve(), serve()];
    try {
      fs.chmodSync(dir, 0o777);
      const abstract = `\0nsjs-test-${process.pid}`;
      const pathname = path.join(dir, 'sock');
      await new Promise<void>((r) => servers[0].listen(abstract, r));
      await new Promise<void>((r) => servers[1].listen(pathname, r));
      fs.chmodSync(pathname, 0o777);
      const probe = (target: string) => `require('net').connect(${JSON.stringify(target)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); })`;
      const a = await spawnIsolated(process.execPath, ['-e', probe(abstract)]).result;
      const p = await spawnIsolated(process.execPath, ['-e', probe(pathname)]).result;
      expect(a.stdout!.trim()).toBe('ECONNREFUSED');
      expect(p.stdout!.trim()).toBe('connected');
    } finally {
      servers.forEach((s) => s.close());
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('#31 IPC', () => {
  itIf(commandExists('ipcmk') && commandExists('ipcs'), 'needs util-linux ipcmk/ipcs')('host SysV shm, queues and semaphores are invisible inside', async () => {
    const ids = ['-M 4096', '-Q', '-S 1'].map((a) => /(\d+)\s*$/.exec(execFileSync('sh', ['-c', `ipcmk ${a}`], { encoding: 'utf8' }))![1]);
    try {
      const r = await sh('cat /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem | grep -vc key || true');
      expect(r.stdout!.trim()).toBe('0');
      const hostSees = execFileSync('sh', ['-c', 'cat /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem'], { encoding: 'utf8' });
      for (const id of ids) expect(hostSees).toMatch(new RegExp(`\\b${id}\\b`));
    } finally {
      execFileSync('ipcrm', ['-m', ids[0], '-q', ids[1], '-s', ids[2]]);
    }
  });
});

describe('#31 POSIX message queues', () => {
  itIf(commandExists('python3'), 'needs python3 (ctypes mq_open)')('a host queue is invisible inside', async () => {
    const name = `/nsjs-test-${process.pid}`;
    const mq = (flags: string, then: string) =>
      `import ctypes,os\nrt=ctypes.CDLL('librt.so.1',use_errno=True)\nfd=rt.mq_open(b'${name}',${flags},0o600,None)\n${then}`;
    execFileSync('python3', ['-c', mq('os.O_CREAT|os.O_RDWR', 'assert fd >= 0, ctypes.get_errno()')]);
    try {
      const open = mq('os.O_RDONLY', "print('visible' if fd >= 0 else ctypes.get_errno())");
      expect(execFileSync('python3', ['-c', open], { encoding: 'utf8' }).trim()).toBe('visible');
      const r = await spawnIsolated('python3', ['-c', open]).result;
      expect(r.stdout!.trim()).toBe('2'); // ENOENT: another IPC namespace
    } finally {
      execFileSync('python3', ['-c', `import ctypes\nctypes.CDLL('librt.so.1').mq_unlink(b'${name}')`]);
    }
  });
});

describe('#32 terminal injection', () => {
  const legacy = (() => { try { return fs.readFileSync('/proc/sys/dev/tty/legacy_tiocsti', 'utf8').trim() === '1'; } catch { return false; } })();
  // Root in the initial user namespace keeps CAP_SYS_ADMIN, which lets TIOCSTI
  // reach any tty whatever the session: that is why a user namespace matters.
  // Which helper says why it cannot run here: the level, the kernel, or a tool.
  (isHostRoot
    ? itAtLevels(['rootless', 'userns-root'])
    : !legacy
      ? itIfSupported(false, 'needs TIOCSTI (dev.tty.legacy_tiocsti=1)')
      : itIf(commandExists('script') && commandExists('python3'), 'needs script(1) and python3'))('TIOCSTI on the inherited terminal fails with EPERM (new session)', async () => {
    const py = "import fcntl,termios\\ntry:\\n fcntl.ioctl(0, termios.TIOCSTI, b'x'); print('INJECTED')\\nexcept OSError as e: print('errno', e.errno)";
    const fixture = `require(${JSON.stringify(require.resolve('../../dist/index.js'))}).spawnIsolated('python3', ['-c', "${py}"], { stdio: 'inherit' })`;
    const out = execFileSync('script', ['-qec', `${process.execPath} -e '${fixture.replace(/'/g, "'\\''")}'`, '/dev/null'], { encoding: 'utf8' });
    expect(out).toMatch(/errno 1\b/);
    expect(out).not.toMatch(/INJECTED/);
  });
});

describe('#36 privileges', () => {
  it('no_new_privs is set, and a rootless sandbox has no capability on the host', async () => {
    const r = await sh('grep -E "NoNewPrivs|CapEff" /proc/self/status; cat /etc/shadow >/dev/null 2>&1 && echo read-shadow || echo no-shadow');
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    if (isRootless) expect(r.stdout).toMatch(/no-shadow/);
  });
});

describe('#37 ownership', () => {
  itIf(commandExists('lsns'), 'needs util-linux lsns')('every namespace created with a user namespace is owned by it', async () => {
    const child = spawnIsolated('sleep', ['5'], { namespaces: ['user', 'pid', 'mount', 'uts', 'ipc', 'net', 'cgroup'] });
    await new Promise((r) => child.once('spawn', r));
    const userns = Number(/\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${child.pid}/ns/user`))![1]);
    const rows = execFileSync('lsns', ['-n', '-o', 'NS,TYPE,ONS', '-p', String(child.pid)], { encoding: 'utf8' }).trim().split('\n').map((l) => l.trim().split(/\s+/));
    const created = rows.filter(([, t]) => ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup'].includes(t));
    expect(created).toHaveLength(6);
    for (const [, , owner] of created) expect(Number(owner)).toBe(userns);
    child.kill('SIGKILL');
    await child.result;
  });

  it('#38 nested user namespaces are refused inside (EPERM), unless allowNestedUserNamespaces (documented policy)', async () => {
    const denied = await sh('unshare -Ur cat /proc/self/uid_map 2>&1; echo rc=$?', { namespaces: ['user', 'pid', 'mount'] });
    expect(denied.stdout).toMatch(/Operation not permitted[\s\S]*rc=1/);
    const r = await sh('unshare -Ur cat /proc/self/uid_map', { namespaces: ['user', 'pid', 'mount'], allowNestedUserNamespaces: true });
    expect(r.stdout!.trim().split(/\s+/)).toEqual(['0', '0', '1']);
  });
});

describe('#17 signals aimed at a child during setup', () => {
  it('never run the parent\'s handlers, and every spawn settles', async () => {
    // spawnIsolated blocks this thread until exec, so the storm comes from
    // another process: it signals every child of the fixture as fast as it can.
    const r = await runNode(`
      let spy = 0;
      process.on('SIGUSR2', () => spy++);
      const env = {}; for (let i = 0; i < 3000; i++) env['V' + i] = 'x'.repeat(50);
      const storm = require('child_process').spawn(process.execPath, ['-e', \`
        const fs = require('fs'); const dir = '/proc/' + process.argv[1] + '/task';
        for (;;) {
          let tasks; try { tasks = fs.readdirSync(dir); } catch { process.exit(0); }
          for (const t of tasks) {
            let kids = ''; try { kids = fs.readFileSync(dir + '/' + t + '/children', 'utf8'); } catch {}
            for (const p of kids.trim().split(' ')) if (p && Number(p) !== process.pid) try { process.kill(Number(p), 'SIGUSR2'); } catch {}
          }
        }\`, String(process.pid)], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 300));
      let settled = 0, killedByStorm = 0;
      await Promise.all(Array.from({ length: ${scaled(200)} }, () => new Promise((resolve) => {
        const c = nsjs.spawnIsolated('/bin/sleep', ['0.01'], { env, stdio: 'ignore', namespaces: ['uts', 'net'], init: false });
        c.on('error', () => { settled++; resolve(); });
        c.on('exit', (code, signal) => { settled++; if (signal === 'SIGUSR2') killedByStorm++; resolve(); });
      })));
      storm.kill('SIGKILL');
      report({ spy, settled, killedByStorm });`, { timeoutMs: 60000 });
    expectClean(r);
    expect(r.json).toMatchObject({ spy: 0, settled: scaled(200) });
    expect(r.json.killedByStorm).toBeGreaterThan(0); // the storm did reach the children
  }, 90000);
});

describe('#16 async-signal safety', () => {
  const spawns = scaled(300);
  it(`${spawns} spawns while 4 Workers hammer malloc and the threadpool does fs I/O: every child reaches exec`, async () => {
    const r = await runNode(`
      const { Worker } = require('worker_threads');
      // The hammer yields between batches: a Worker that never does cannot be
      // terminated on a loaded machine (Node hangs in terminate()/exit()).
      const hammer = 'const big = JSON.stringify(Array.from({ length: 20000 }, (_, i) => ({ i, s: "x".repeat(20) }))); const go = () => { for (let i = 0; i < 20; i++) JSON.parse(big); setImmediate(go); }; go();';
      const workers = Array.from({ length: 4 }, () => new Worker(hammer, { eval: true }));
      const io = setInterval(() => require('fs').readFile('/etc/passwd', () => {}), 1);
      let ok = 0;
      await Promise.all(Array.from({ length: ${spawns} }, () => nsjs.spawnIsolated('/bin/true', [], { stdio: 'ignore', timeout: 20000, namespaces: ['uts'] }).result.then((r) => { if (r.exitCode === 0) ok++; })));
      clearInterval(io);
      await Promise.all(workers.map((w) => w.terminate()));
      report({ ok });`, { timeoutMs: 60000 });
    expectClean(r);
    expect(r.json.ok).toBe(spawns);
  }, 90000);
});

describe('#25 a signal storm over hundreds of sandboxes', () => {
  const count = scaled(300);
  it(`every result of ${count} settles exactly once; no zombie, no fd left`, async () => {
    const r = await runNode(`
      const fs = require('fs');
      const count = () => fs.readdirSync('/proc/self/fd').length;
      // Warm-up with a pipe: libuv opens one reserve fd (/dev/null, its EMFILE trick) on first use.
      await nsjs.spawnIsolated('/bin/true', [], { stdio: 'pipe' }).result;
      const before = count();
      const signals = ['SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGCONT', 'SIGINT', 'SIGHUP'];
      let settled = 0, twice = 0;
      const jobs = [];
      for (let i = 0; i < ${count}; i++) {
        const c = nsjs.spawnIsolated('sh', ['-c', 'sleep 0.$((RANDOM % 5))'], { stdio: i % 3 ? 'ignore' : 'pipe', timeout: 3000, killSignal: 'SIGKILL' });
        let n = 0;
        jobs.push(new Promise((resolve) => {
          const done = () => { if (++n === 1) settled++; else twice++; resolve(); };
          c.on('close', done); c.on('error', done);
        }));
        const storm = () => { c.kill(signals[Math.floor(Math.random() * signals.length)]); };
        setTimeout(storm, Math.random() * 20); setTimeout(storm, Math.random() * 200);
        setTimeout(() => c.kill('SIGCONT'), 250);
      }
      await Promise.all(jobs);
      await new Promise((r) => setTimeout(r, 100));
      const zombies = fs.readdirSync('/proc/self/task').map((t) => fs.readFileSync('/proc/self/task/' + t + '/children', 'utf8').trim()).join('');
      report({ settled, twice, leaked: count() - before, zombies });`, { timeoutMs: 60000 });
    expectClean(r);
    expect(r.json).toEqual({ settled: count, twice: 0, leaked: 0, zombies: '' });
  }, 90000);
});

describe('#45 many descendants', () => {
  it('200 background processes die with the sandbox', async () => {
    const child = spawnIsolated('sh', ['-c', 'i=0; while [ $i -lt 200 ]; do sleep 1000 & i=$((i+1)); done; echo ready; wait']);
    try {
      await new Promise((r) => child.stdout!.once('data', r));
      const kids = (pid: number) => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
      const [shell] = kids(child.pid!);
      const sleepers = kids(shell);
      expect(sleepers).toHaveLength(200);
      child.kill('SIGKILL');
      await child.result;
      expect(await waitFor(() => sleepers.every((p) => !alive(p)))).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('#5 maps', () => {
  itAtLevels(['root', 'userns-root'])('as root, `user` without a user namespace is refused before clone', () => {
    expect(() => spawnIsolated('true', [], { namespaces: ['uts'], user: { uid: 1 } })).toThrow(expect.objectContaining({ code: 'ERR_NSJS_REQUIRES_NAMESPACE' }));
  });
});
