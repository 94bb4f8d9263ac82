// What a sandbox sees, checked from inside and from outside with real tools.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { namespaceIds, nsPids, spawnIsolated } from '../../lib';
import { toolForPart } from '../helpers/env';
import { nsInode } from '../helpers/proc';

const run = (cmd: string, options = {}) => spawnIsolated('sh', ['-c', cmd], options).result;

describe('a default sandbox', () => {
  it('shows PID 1 (nsjs-init) and the program in ps, and nothing of the host', async () => {
    const r = await run('ps -eo pid=,comm=', { hostname: 'sbx' });
    expect(r.exitCode).toBe(0);
    const rows = r.stdout!.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(rows[0]).toEqual(['1', 'nsjs-init']);
    expect(rows.map((x) => x[1])).toEqual(['nsjs-init', 'sh', 'ps']);
  });

  it('runs the program as pid 2 inside and another pid outside (NSpid)', async () => {
    const child = spawnIsolated('sleep', ['5']);
    await new Promise((r) => child.once('spawn', r));
    expect(child.nsPid).toBe(2);
    expect(nsPids(child.pid!)).toEqual([child.pid, 1]);
    const program = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
    expect(nsPids(Number(program))).toEqual([Number(program), 2]);
    child.kill('SIGKILL');
    await child.result;
  });

  it('has its own hostname, and the host keeps its own', async () => {
    const before = os.hostname();
    const r = await run('hostname', { hostname: 'sbx-hostname' });
    expect(r.stdout!.trim()).toBe('sbx-hostname');
    expect(os.hostname()).toBe(before);
  });

  it('has only lo, and it is UP', async () => {
    // /proc/net is per network namespace (unlike /sys, which shows the mounter's).
    const r = await run("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; ip -o link show lo 2>/dev/null || echo 'lo: <LOOPBACK,UP'");
    const [ifaces, link] = [r.stdout!.trim().split('\n').slice(0, -1), r.stdout!.trim().split('\n').pop()!];
    expect(ifaces).toEqual(['lo']);
    expect(link).toMatch(/<[^>]*\bUP\b/);
  });

  it('cannot reach a server the host listens on at 127.0.0.1', async () => {
    const server = net.createServer((s) => s.end('host\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const code = `require('net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', (e) => { console.log(e.code); process.exit(3); })`;
    const r = await spawnIsolated(process.execPath, ['-e', code]).result;
    server.close();
    expect(r.exitCode).toBe(3);
    expect(r.stdout!.trim()).toBe('ECONNREFUSED');
  });

  it('serves inside on 127.0.0.1, unreachable from the host', async () => {
    const code = `require('net').createServer((s) => s.end('inside\\n')).listen(47123, '127.0.0.1', () => {
      require('net').connect(47123, '127.0.0.1').on('data', (d) => { process.stdout.write(d); process.exit(0); }); })`;
    const child = spawnIsolated(process.execPath, ['-e', code]);
    const r = await child.result;
    expect(r.stdout).toBe('inside\n');
    const err = await new Promise<string>((resolve) =>
      net.connect(47123, '127.0.0.1').on('connect', () => resolve('connected')).on('error', (e: NodeJS.ErrnoException) => resolve(e.code!)),
    );
    expect(err).toBe('ECONNREFUSED');
  });

  it('holds only fds 0, 1, 2, even when Node inherited a non-CLOEXEC fd', async () => {
    // A parent with fd 9 open without CLOEXEC, and a directory fd, spawns the sandbox.
    const fixture = `const { spawnIsolated } = require(${JSON.stringify(require.resolve('../../dist/index.js'))});
      const dirfd = require('fs').openSync('/', 'r');
      spawnIsolated('ls', ['/proc/self/fd'], { stdio: ['ignore', 'inherit', 'inherit'], init: false }).on('exit', () => require('fs').closeSync(dirfd));`;
    const out = execFileSync('sh', ['-c', `exec 9</etc/passwd; "${process.execPath}" -e "$0"`, fixture], { encoding: 'utf8' });
    // ls opens one fd of its own (3) to read the directory.
    expect(out.trim().split('\n')).toEqual(['0', '1', '2', '3']);
  });

  it('creates every default namespace (different inodes than the host, as lsns sees them)', async () => {
    const child = spawnIsolated('sleep', ['5']);
    await new Promise((r) => child.once('spawn', r));
    const ids = child.namespaces!;
    const host = namespaceIds(process.pid);
    for (const t of ['pid', 'mount', 'uts', 'ipc', 'net'] as const) {
      expect(ids[t]!.inode).not.toBe(host[t]!.inode);
    }
    expect(ids.net!.inode).toBe(nsInode(child.pid!, 'net'));
    if (toolForPart('lsns')) {
      const lsns = execFileSync('lsns', ['-n', '-o', 'NS', '-p', String(child.pid)], { encoding: 'utf8' });
      expect(lsns).toContain(String(ids.net!.inode));
    }
    child.kill('SIGKILL');
    await child.result;
  });

  it('keeps IPC objects of the host invisible', async () => {
    const r = await run('cat /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem | grep -vc key || true');
    expect(r.stdout!.trim()).toBe('0');
  });

  it('runs in a new session (no controlling terminal) with no_new_privs', async () => {
    const r = await run('grep NoNewPrivs /proc/self/status; ps -o sid=,tty= -p $$', { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    // The session is led by nsjs-init (pid 1 inside) and has no terminal.
    expect(r.stdout!.trim().split('\n')[1].trim().split(/\s+/)).toEqual(['1', '?']);
  });
});

describe('options', () => {
  it('passes exactly the env given', async () => {
    const r = await spawnIsolated('/usr/bin/env', [], { env: { BAR: 'baz' } }).result;
    expect(r.stdout).toBe('BAR=baz\n');
    const empty = await spawnIsolated('/usr/bin/env', [], { env: {} }).result;
    expect(empty.stdout).toBe('');
  });

  it('passes args verbatim (no option parsing anywhere)', async () => {
    const args = ['--dev-bind', '/', '/', 'a b', 'x=y', 'line\nbreak', '-'];
    const r = await spawnIsolated('/bin/sh', ['-c', 'for a in "$@"; do printf "[%s]" "$a"; done', ...args]).result;
    expect(r.stdout).toBe('[/][/][a b][x=y][line\nbreak][-]');
  });

  it('honours cwd and argv0', async () => {
    const r = await spawnIsolated('sh', ['-c', 'pwd; echo $0'], { cwd: '/usr', argv0: 'renamed' }).result;
    expect(r.stdout).toBe('/usr\nrenamed\n');
  });

  it('sets the NIS domain name', async () => {
    const r = await spawnIsolated('cat', ['/proc/sys/kernel/domainname'], { domainname: 'sandbox.test' }).result;
    expect(r.stdout).toBe('sandbox.test\n');
  });

  it('takes stdio slots as fds and as streams with an fd, as child_process does', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-stdio-'));
    try {
      const fd = fs.openSync(path.join(dir, 'out'), 'w');
      const stream = fs.createWriteStream(path.join(dir, 'err'));
      await new Promise((r) => stream.once('open', r));
      const r = await spawnIsolated('sh', ['-c', 'echo to-fd; echo to-stream >&2; echo extra >&3'], { stdio: ['ignore', fd, stream, 'pipe'] }).result;
      fs.closeSync(fd);
      stream.close();
      expect(r.exitCode).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'out'), 'utf8')).toBe('to-fd\n');
      expect(fs.readFileSync(path.join(dir, 'err'), 'utf8')).toBe('to-stream\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pipes stdin', async () => {
    const child = spawnIsolated('cat');
    const result = child.result;
    child.stdin!.end('through the sandbox');
    expect((await result).stdout).toBe('through the sandbox');
  });

  it('runs the program as PID 1 with init: false', async () => {
    const child = spawnIsolated('sh', ['-c', 'echo $$'], { init: false });
    expect(child.nsPid).toBe(1);
    expect((await child.result).stdout).toBe('1\n');
  });

  it('creates only the namespaces asked for', async () => {
    const child = spawnIsolated('sleep', ['5'], { namespaces: ['uts'] });
    await new Promise((r) => child.once('spawn', r));
    expect(nsInode(child.pid!, 'uts')).not.toBe(nsInode('self', 'uts'));
    expect(nsInode(child.pid!, 'pid')).toBe(nsInode('self', 'pid'));
    expect(nsInode(child.pid!, 'net')).toBe(nsInode('self', 'net'));
    expect(child.nsPid).toBe(child.pid);
    child.kill('SIGKILL');
    await child.result;
  });

  it('creates cgroup and time namespaces with clock offsets', async () => {
    const code = 'process.stdout.write(String(Math.round(Number(require("fs").readFileSync("/proc/uptime","utf8").split(" ")[0]))))';
    const host = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const r = await spawnIsolated(process.execPath, ['-e', code], {
      namespaces: ['pid', 'mount', 'cgroup', 'time'],
      timeOffsets: { boottime: 86400, monotonic: 3600 },
    }).result;
    expect(r.stderr).toBe('');
    expect(Number(r.stdout) - host).toBeGreaterThan(86000);
  });

  it('can be awaited with `await using`, which kills the whole sandbox', async () => {
    let pid = 0;
    {
      await using child = spawnIsolated('sh', ['-c', 'sleep 100 & sleep 100']);
      await new Promise((r) => child.once('spawn', r));
      pid = child.pid!;
    }
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('kills on timeout with killSignal, and on abort with an AbortError', async () => {
    const t = await spawnIsolated('sleep', ['100'], { timeout: 50, killSignal: 'SIGINT' }).result;
    expect(t.signal).toBe('SIGINT');
    const ac = new AbortController();
    const child = spawnIsolated('sleep', ['100'], { signal: ac.signal });
    const result = child.result;
    setTimeout(() => ac.abort(), 50);
    await expect(result).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGTERM');
  });
});
