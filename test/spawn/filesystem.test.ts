// Filesystem isolation (docs/filesystem.md): a new root, the mount types,
// readOnlyHost(), and what the program cannot reach through what nsjs leaves
// behind. Observed from inside (the program's view) and from outside (the
// host's files and mount table), at every privilege level the suite runs.
import { spawn as cpSpawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { DEFAULT_NAMESPACES, readOnlyHost, spawnIsolated, type NamespaceError, type SpawnIsolatedOptions } from '../../lib';
import { initExecutablePath } from '../../lib/binding';
import { commandExists, itAtLevels, itIf, itIfSupported, scaled } from '../helpers/env';
import { zombieChildren } from '../helpers/proc';
import { BUSYBOX, busyboxRoot, usrMounts, usrNames } from '../helpers/rootfs';

let dir: string;
const mountinfo = () => fs.readFileSync('/proc/self/mountinfo', 'utf8');
const fds = () => fs.readdirSync('/proc/self/fd').length;
const run = async (cmd: string, options: SpawnIsolatedOptions) => {
  const r = await spawnIsolated('sh', ['-c', cmd], options).result;
  return { ...r, out: r.stdout as string, err: r.stderr as string };
};
const failure = (options: SpawnIsolatedOptions, cmd = 'true') =>
  new Promise<NamespaceError>((resolve, reject) => {
    const c = spawnIsolated('sh', ['-c', cmd], { stdio: 'ignore', ...options });
    c.on('error', (e) => resolve(e as NamespaceError));
    c.on('exit', (code) => reject(new Error(`spawned and exited ${code}`)));
  });
/** The empty 'tmpfs' root with the host's programs in it. */
const usrRoot = (extra: SpawnIsolatedOptions['mounts'] = []): SpawnIsolatedOptions => ({ rootfs: 'tmpfs', mounts: [...usrMounts(), ...extra] });
/** Namespaces with a user namespace of the sandbox's own at every level (root's maps to nobody). */
const WITH_USER = [...DEFAULT_NAMESPACES, 'user'] as SpawnIsolatedOptions['namespaces'];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-fs-'));
  fs.chmodSync(dir, 0o755);
});
/** rm -rf that also removes what overlayfs made unreadable (its work/work is mode 000, nobody's at the rootless level). */
function removeTree(top: string): void {
  const open = (d: string) => {
    fs.chmodSync(d, 0o700);
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) open(path.join(d, e.name));
  };
  try {
    fs.rmSync(top, { recursive: true, force: true });
  } catch {
    open(top);
    fs.rmSync(top, { recursive: true, force: true });
  }
}
afterEach(() => removeTree(dir));

describe("a 'tmpfs' root", () => {
  it('holds only what was mounted: ls / inside shows exactly the entries and /proc', async () => {
    const r = await run('ls -A /; echo "cwd=$(pwd)"', usrRoot());
    expect(r.err).toBe('');
    expect(r.out.trim().split('\n')).toEqual([...new Set([...usrNames(), 'proc'])].sort().concat(['cwd=/']));
  });

  it("cwd is a path in it (default /), and '..' from the root stays inside", async () => {
    const r = await run('readlink /proc/self/cwd /proc/1/cwd /proc/1/root; cd /..; cd ../..; pwd -P; ls -A | tr "\\n" " "; echo; cd /usr && pwd', usrRoot());
    const [self, initCwd, initRoot, root, listing, usr] = r.out.trim().split('\n');
    expect([self, initCwd, initRoot, root]).toEqual(['/', '/', '/', '/']);
    expect(listing.trim()).toBe(`${[...new Set([...usrNames(), 'proc'])].sort().join(' ')}`);
    expect(usr).toBe('/usr');
    expect((await run('pwd', { ...usrRoot(), cwd: '/usr/share' })).out).toBe('/usr/share\n');
  });

  it('dir, symlink and missing targets are made in it, with their modes exactly', async () => {
    const r = await run('stat -c "%a %F" /a/b/c /a /etc/motd /data; readlink /here; cat /etc/motd; touch /new && echo made', usrRoot([
      { type: 'dir', target: '/a/b/c', mode: 0o700 },
      { type: 'symlink', target: '/here', linkTo: '/a/b' },
      { type: 'file', target: '/etc/motd', data: 'hello', mode: 0o640 },
      { type: 'tmpfs', target: '/data', mode: 0o1777 },
    ]));
    expect(r.out).toBe('700 directory\n755 directory\n640 regular file\n1777 directory\n/a/b\nhellomade\n');
  });

  it('with a user namespace of its own, what nsjs makes belongs to the program (uid 0 inside), also for host root', async () => {
    const r = await run('id -u; stat -c "%u %g" / /a /etc/f /t; touch /x /a/x /t/x && echo writable', {
      namespaces: WITH_USER,
      ...usrRoot([{ type: 'dir', target: '/a' }, { type: 'file', target: '/etc/f', data: 'x' }, { type: 'tmpfs', target: '/t' }]),
    });
    expect(r.err).toBe('');
    expect(r.out).toBe('0\n0 0\n0 0\n0 0\n0 0\nwritable\n');
  });

  it('a symlink entry keeps an identical link, and is EEXIST over anything else', async () => {
    const same = await run('readlink /l', usrRoot([{ type: 'symlink', target: '/l', linkTo: 'x' }, { type: 'symlink', target: '/l', linkTo: 'x' }]));
    expect(same.out).toBe('x\n');
    const n = usrMounts().length;
    const other = await failure(usrRoot([{ type: 'symlink', target: '/l', linkTo: 'x' }, { type: 'symlink', target: '/l', linkTo: 'y' }]));
    expect(other).toMatchObject({ code: 'EEXIST', step: 'mounts', op: n + 1, syscall: 'symlinkat', path: '/l' });
    const dir = await failure(usrRoot([{ type: 'dir', target: '/d' }, { type: 'symlink', target: '/d', linkTo: 'y' }]));
    expect(dir).toMatchObject({ code: 'EEXIST', op: n + 1, syscall: 'symlinkat' });
  });

  it('a 1 MiB tmpfs refuses a 2 MiB write (ENOSPC)', async () => {
    const r = await run('head -c 2097152 /dev/zero > /small/big; echo "rc=$?"', usrRoot([{ type: 'dev', target: '/dev' }, { type: 'tmpfs', target: '/small', size: 1 << 20 }]));
    expect(r.err).toMatch(/No space left on device/);
    expect(r.out).toBe('rc=1\n');
  });
});

describe('bind mounts', () => {
  it('a read-only bind refuses writes (EROFS); a writable one writes to the host, as the caller', async () => {
    fs.mkdirSync(`${dir}/src`);
    fs.writeFileSync(`${dir}/src/file`, 'host\n');
    fs.chmodSync(`${dir}/src`, 0o777);
    const r = await run('cat /ro/file; (echo x > /ro/new) || echo ro-refused; echo made > /rw/new && echo rw-written', usrRoot([
      { type: 'bind', source: `${dir}/src`, target: '/ro', readonly: true },
      { type: 'bind', source: `${dir}/src`, target: '/rw' },
    ]));
    expect(r.out).toBe('host\nro-refused\nrw-written\n');
    expect(r.err).toMatch(/Read-only file system/);
    expect(fs.readFileSync(`${dir}/src/new`, 'utf8')).toBe('made\n');
    expect(fs.statSync(`${dir}/src/new`).uid).toBe(process.geteuid!());
  });

  it('a missing source fails with its op index and path, and leaves nothing behind', async () => {
    await run('true', usrRoot()); // warm up: the addon's own fds
    const before = { fds: fds(), mounts: mountinfo() };
    const mounts = usrMounts();
    const err = await failure({ rootfs: 'tmpfs', mounts: [...mounts, { type: 'bind', source: `${dir}/missing`, target: '/m' }] });
    expect(err).toMatchObject({ code: 'ENOENT', step: 'mounts', op: mounts.length, syscall: 'open_tree', path: `${dir}/missing`, dest: '/m' });
    expect(err.message).toContain(`mounts[${mounts.length}]: open_tree ENOENT`);
    expect(zombieChildren()).toEqual([]);
    expect(fds()).toBe(before.fds);
    expect(mountinfo()).toBe(before.mounts);
  });

  it('a missing target on a directory root is not made there: ENOENT with a hint, the directory unchanged', async () => {
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    const err = await failure({ rootfs: root, mountProc: false, mounts: [{ type: 'tmpfs', target: '/nope/deeper' }] });
    expect(err).toMatchObject({ code: 'ENOENT', step: 'mounts', op: 0, syscall: 'openat2', path: '/nope/deeper' });
    expect(err.hint).toMatch(/never on the host's files/);
    expect(fs.readdirSync(root)).toEqual([]);
  });
});

describe('file, dev, mqueue and overlay entries', () => {
  it('file: content from memory (bytes, NULs too), its mode, read-only on request; an existing host file is covered, not written', async () => {
    fs.writeFileSync(`${dir}/hostfile`, 'original\n');
    const bytes = Uint8Array.from([0, 1, 2, 255, 10]);
    const r = await run('od -An -tu1 /bin.dat | tr -s " "; stat -c %a /bin.dat; cat /cover; (echo x >> /cover) 2>/dev/null || echo ro-refused; echo y >> /bin.dat && echo rw-written', usrRoot([
      { type: 'file', target: '/bin.dat', data: bytes, mode: 0o600 },
      { type: 'bind', source: `${dir}/hostfile`, target: '/cover' },
      { type: 'file', target: '/cover', data: 'from memory\n', readonly: true },
    ]));
    expect(r.out).toBe(' 0 1 2 255 10\n600\nfrom memory\nro-refused\nrw-written\n');
    expect(fs.readFileSync(`${dir}/hostfile`, 'utf8')).toBe('original\n');
  });

  it('dev: the minimal set and no disk; null, zero, urandom and a pty work', async () => {
    const r = await run('ls -A /dev | tr "\\n" " "; echo; echo x > /dev/null && head -c 4 /dev/zero | od -An -tu1 | tr -s " "; head -c 8 /dev/urandom | wc -c; readlink /dev/ptmx /dev/fd /dev/stdin; ls /dev/pts', usrRoot([{ type: 'dev', target: '/dev' }]));
    const [listing, zero, random, ...rest] = r.out.trim().split('\n');
    expect(listing.trim().split(' ')).toEqual(['fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
    expect(zero.trim()).toBe('0 0 0 0');
    expect(random.trim()).toBe('8');
    expect(rest.slice(0, 3)).toEqual(['pts/ptmx', '/proc/self/fd', '/proc/self/fd/0']);
    expect(r.err).toBe('');
  });

  it('mqueue: a fresh one of the sandbox', async () => {
    const r = await run('grep " /dev/mqueue " /proc/self/mountinfo | cut -d" " -f9', usrRoot([{ type: 'dev', target: '/dev' }, { type: 'mqueue', target: '/dev/mqueue' }]));
    expect(r.out).toBe('mqueue\n');
  });

  it('overlay: writes stay out of the lower directory (a tmpfs upper, and a host upper)', async () => {
    for (const d of ['lower', 'upper', 'work']) fs.mkdirSync(`${dir}/${d}`);
    fs.writeFileSync(`${dir}/lower/base`, 'lower\n');
    fs.chmodSync(`${dir}/upper`, 0o777);
    const r = await run('cat /t/base; echo new > /t/new; echo changed > /t/base; cat /t/base; echo up > /h/up; rm /h/base; ls /h | tr "\\n" " "', usrRoot([
      { type: 'overlay', target: '/t', lower: [`${dir}/lower`], upper: 'tmpfs' },
      { type: 'overlay', target: '/h', lower: [`${dir}/lower`], upper: `${dir}/upper`, work: `${dir}/work` },
    ]));
    expect(r.err).toBe('');
    expect(r.out).toBe('lower\nchanged\nup ');
    expect(fs.readdirSync(`${dir}/lower`)).toEqual(['base']);
    expect(fs.readFileSync(`${dir}/lower/base`, 'utf8')).toBe('lower\n');
    expect(fs.readFileSync(`${dir}/upper/up`, 'utf8')).toBe('up\n');
    // overlayfs leaves work/work mode 000: let the cleanup in.
    fs.chmodSync(`${dir}/work/work`, 0o700);
  });

  it('overlay without an upper is read-only', async () => {
    for (const d of ['a', 'b']) fs.mkdirSync(`${dir}/${d}`);
    fs.writeFileSync(`${dir}/a/x`, 'a\n');
    fs.writeFileSync(`${dir}/b/y`, 'b\n');
    const r = await run('cat /o/x /o/y; touch /o/z; echo "rc=$?"', usrRoot([{ type: 'overlay', target: '/o', lower: [`${dir}/a`, `${dir}/b`] }]));
    expect(r.out).toBe('a\nb\nrc=1\n');
    expect(r.err).toMatch(/Read-only file system/);
  });
});

describe('readOnlyHost()', () => {
  // Outside /tmp: readOnlyHost() covers /tmp with a fresh tmpfs, which would hide what is tested.
  let hdir: string;
  beforeEach(() => {
    hdir = fs.mkdtempSync('/var/tmp/nsjs-fs-');
    fs.chmodSync(hdir, 0o755);
  });
  afterEach(() => fs.rmSync(hdir, { recursive: true, force: true }));

  it('the host read-only, fresh /dev, /proc and /tmp, writable paths writable, hidden paths empty', async () => {
    fs.mkdirSync(`${hdir}/work`);
    fs.mkdirSync(`${hdir}/secret`);
    fs.writeFileSync(`${hdir}/secret/key`, 'k');
    fs.writeFileSync(`${hdir}/token`, 'sekrit');
    fs.chmodSync(`${hdir}/work`, 0o777);
    const fsOptions = readOnlyHost({ writable: [`${hdir}/work`], hidden: [`${hdir}/secret`, `${hdir}/token`, `${hdir}/not-there`] });
    const r = await run(
      [
        'touch /usr/x /etc/x 2>/dev/null || echo ro',
        `echo w > ${hdir}/work/out && echo rw`,
        `ls -A ${hdir}/secret | wc -l; wc -c < ${hdir}/token; cat ${hdir}/token; echo x > ${hdir}/token || echo hidden-ro`,
        'ls -A /tmp | wc -l; echo t > /tmp/t && echo tmp',
        'ls /dev | grep -c -E "^(sd|vd|nvme|loop|xvd)"',
        'ps -eo pid=,comm= | head -1',
      ].join('; '),
      { ...fsOptions, cwd: `${hdir}/work` },
    );
    expect(r.out.trim().split('\n').map((l) => l.trim())).toEqual(['ro', 'rw', '0', '0', 'hidden-ro', '0', 'tmp', '0', '1 nsjs-init']);
    expect(fs.readFileSync(`${hdir}/work/out`, 'utf8')).toBe('w\n');
    expect(fs.readFileSync(`${hdir}/token`, 'utf8')).toBe('sekrit');
    expect(fs.existsSync('/tmp/t')).toBe(false);
  });

  it('with a user namespace, the kernel locks it: no remount writable, no unmount to reveal', async () => {
    fs.mkdirSync(`${hdir}/secret`);
    fs.writeFileSync(`${hdir}/secret/key`, 'k');
    fs.mkdirSync(`${hdir}/ro`);
    const r = await run(
      [
        `mount -o remount,bind,rw / 2>/dev/null || echo root-locked`,
        `mount -o remount,bind,rw ${hdir}/ro 2>/dev/null || echo bind-locked`,
        `umount ${hdir}/secret 2>/dev/null || umount -l ${hdir}/secret 2>/dev/null || echo hidden-locked`,
        `ls -A ${hdir}/secret | wc -l`,
        'touch /usr/x 2>/dev/null || echo still-ro',
        // One id, and no capability over the namespaces the outer user namespace owns.
        'tr -s " " < /proc/self/uid_map',
        'hostname other 2>/dev/null || echo no-hostname',
      ].join('; '),
      {
        namespaces: WITH_USER,
        // Every capability in its user namespace and no seccomp filter: only the kernel's lock stands in the way.
        capabilities: 'all',
        seccomp: false,
        ...readOnlyHost({ hidden: [`${hdir}/secret`] }),
        mounts: [...readOnlyHost({ hidden: [`${hdir}/secret`] }).mounts, { type: 'bind', source: `${hdir}/ro`, readonly: true }],
      },
    );
    expect(r.out.trim().split('\n').map((l) => l.trim())).toEqual(['root-locked', 'bind-locked', 'hidden-locked', '0', 'still-ro', '0 0 1', 'no-hostname']);
  });

  itAtLevels(['root'])('without a user namespace, root with every capability can remount it (what only the lock prevents)', async () => {
    fs.mkdirSync(`${hdir}/ro`);
    const r = await run(`mount -o remount,bind,rw ${hdir}/ro && touch ${hdir}/ro/x && echo remounted`, {
      capabilities: 'all',
      seccomp: false,
      ...readOnlyHost(),
      mounts: [...readOnlyHost().mounts, { type: 'bind', source: `${hdir}/ro`, readonly: true }],
    });
    expect(r.out).toBe('remounted\n');
  });
});

describe('a directory as the root', () => {
  itIf(BUSYBOX !== undefined, "needs busybox-static (.ci/run installs it)")("a real minimal root (busybox-static): ps ax shows PID 1, and nothing of the host is reachable", async () => {
    const root = busyboxRoot(path.join(dir, 'root'));
    const r = await spawnIsolated('/bin/sh', ['-c', 'ps ax; cat /etc/os-release; ls -A /; wc -l < /proc/self/mountinfo; [ -e /sys ] && echo sys || echo no-sys'], { rootfs: root, env: { PATH: '/bin' } }).result;
    expect(r.stderr).toBe('');
    const lines = (r.stdout as string).trim().split('\n');
    expect(lines[0]).toMatch(/^\s*PID\s+USER\s+COMMAND/);
    expect(lines[1]).toMatch(/^\s*1 \S+\s+nsjs-init\b/);
    expect(lines[2]).toMatch(/^\s*2 \S+\s+\/bin\/sh -c ps ax/);
    expect(lines).toContain('NAME=busybox-root');
    const i = lines.indexOf('NAME=busybox-root');
    expect(lines.slice(i + 1, i + 6)).toEqual(['bin', 'dev', 'etc', 'proc', 'tmp']);
    expect(Number(lines[i + 6])).toBe(2); // the root and its /proc: nothing of the host's table
    expect(lines[i + 7]).toBe('no-sys');
  });

  it('its own files, read-only on request (readonlyRoot), cwd inside it', async () => {
    const root = path.join(dir, 'root');
    for (const d of ['usr', 'proc', 'work']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, 'hello'), 'from the root dir\n');
    const links = usrMounts().filter((m) => m.type === 'symlink');
    for (const l of links) fs.symlinkSync(l.linkTo, path.join(root, l.target));
    for (const m of usrMounts()) if (m.type === 'bind') fs.mkdirSync(path.join(root, m.target ?? m.source), { recursive: true });
    const r = await run('cat /hello; pwd; touch /work/x 2>/dev/null || echo ro', {
      rootfs: root,
      readonlyRoot: true,
      cwd: '/work',
      mounts: usrMounts().filter((m) => m.type === 'bind'),
    });
    expect(r.out).toBe('from the root dir\n/work\nro\n');
  });
});

describe('what the program cannot reach through what nsjs leaves behind', () => {
  it('no fd of a host directory survives to exec, in the program or in nsjs-init; their cwd and root are the new root', async () => {
    const r = await run(
      'for f in /proc/self/fd/* /proc/1/fd/*; do [ -d "$f" ] && echo "dir: $f -> $(readlink $f)"; done; ls /proc/self/fd /proc/1/fd | tr "\\n" " "; echo; readlink /proc/1/cwd /proc/1/root /proc/self/cwd /proc/self/root',
      readOnlyHost(),
    );
    const lines = r.out.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('dir:'))).toEqual([]);
    expect(lines.slice(-4)).toEqual(['/', '/', '/', '/']);
  });

  it("nsjs-init's file cannot be written from inside (a sealed memfd), as root inside too; nor the program's own binary", async () => {
    const init = initExecutablePath()!;
    const before = crypto.createHash('sha256').update(fs.readFileSync(init)).digest('hex');
    for (const options of [{}, readOnlyHost(), { namespaces: WITH_USER, ...readOnlyHost() }] as SpawnIsolatedOptions[]) {
      const r = await run(
        // Subshells: a failed redirection of a special builtin ends dash itself.
        'id -u; readlink /proc/1/exe; (printf x 1<>/proc/1/exe) 2>/dev/null && echo WROTE-INIT; (: > /proc/1/exe) 2>/dev/null && echo TRUNCATED-INIT; (exec 3<>/proc/$$/exe) 2>/dev/null && echo OPENED-OWN-EXE; echo done',
        options,
      );
      expect(r.out).toMatch(/^0\n\/memfd:nsjs-init \(deleted\)\ndone\n$/);
    }
    expect(crypto.createHash('sha256').update(fs.readFileSync(init)).digest('hex')).toBe(before);
  });

  itIfSupported(commandExists('python3'), 'needs python3 (for renameat2)')('a target swapped with a symlink out of the root (RENAME_EXCHANGE) is never mounted outside', async () => {
    const root = path.join(dir, 'root');
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside);
    fs.mkdirSync(path.join(root, 't'), { recursive: true });
    fs.mkdirSync(path.join(root, 'proc'));
    for (const l of usrMounts()) {
      if (l.type === 'symlink') fs.symlinkSync(l.linkTo, path.join(root, l.target));
      if (l.type === 'bind') fs.mkdirSync(path.join(root, l.target ?? l.source), { recursive: true });
    }
    fs.symlinkSync(outside, path.join(root, 'link'));
    const swapper = 'import ctypes,sys\nlibc=ctypes.CDLL(None,use_errno=True)\na,b=sys.argv[1].encode(),sys.argv[2].encode()\nwhile True: libc.renameat2(-100,a,-100,b,2)';
    const swap = cpSpawn('python3', ['-c', swapper, path.join(root, 't'), path.join(root, 'link')], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const outcomes: Record<string, number> = {};
      for (let i = 0; i < scaled(200); i++) {
        let k: string;
        try {
          // A size no other tmpfs has: where it landed shows in the sandbox's mountinfo.
          const r = await run('grep -q "size=12344k" /proc/self/mountinfo && echo inside || echo elsewhere; echo m > /t/m 2>/dev/null; true', {
            rootfs: root,
            mountProc: true,
            mounts: [...usrMounts().filter((m) => m.type === 'bind'), { type: 'tmpfs', target: '/t', size: 12344 * 1024 }],
          });
          k = r.out.trim();
        } catch (e) {
          k = (e as NamespaceError).code;
        }
        outcomes[k] = (outcomes[k] ?? 0) + 1;
      }
      expect(Object.keys(outcomes).every((k) => k === 'inside' || k === 'ENOENT' || k === 'ENOTDIR')).toBe(true);
      expect(outcomes.inside).toBeGreaterThan(0);
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      swap.kill('SIGKILL');
    }
  }, 120000);
});

describe('the host stays as it was', () => {
  it('mountinfo byte-identical after hundreds of spawns, and after failures half-way; no fd, no zombie', async () => {
    await run('true', readOnlyHost());
    const before = { fds: fds(), mounts: mountinfo() };
    const missingRoot = path.join(dir, 'no-such-root');
    const failures: [SpawnIsolatedOptions, string, string][] = [
      // [options, expected code, expected step]
      [{ ...readOnlyHost(), mounts: [...readOnlyHost().mounts, { type: 'bind', source: `${dir}/missing` }] }, 'ENOENT', 'mounts'],
      [{ rootfs: missingRoot }, 'ENOENT', 'new-root'],
      [{ ...readOnlyHost(), cwd: '/no/such/dir' }, 'ENOENT', 'chdir'],
      [{ rootfs: 'tmpfs', mounts: [{ type: 'overlay', target: '/o', lower: [`${dir}/missing`], upper: 'tmpfs' }] }, 'ENOENT', 'mounts'],
    ];
    const n = scaled(200);
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) {
        const [options, code, step] = failures[(i / 2) % failures.length];
        const err = await failure(options);
        expect([err.code, err.step]).toEqual([code, step]);
      } else {
        expect((await run('echo ok > /tmp/x && cat /tmp/x', readOnlyHost())).out).toBe('ok\n');
      }
    }
    expect(mountinfo()).toBe(before.mounts);
    expect(fds()).toBe(before.fds);
    expect(zombieChildren()).toEqual([]);
  }, 180000);
});
