// The `nsjs` command, run as a user runs it: a process, its output and its
// exit status. Flags are bubblewrap's spelling (docs/cli.md).
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { commandExists, itAtLevels, itIf, itOutsideSanitizer, ROOT, underSanitizer } from '../helpers/env';
import { alive, nsInode, waitFor } from '../helpers/proc';

const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

function nsjs(args: string[], opts: { input?: string; stdio?: ('pipe' | 'ignore')[] } = {}): SpawnSyncReturns<string> {
  // A PATH every level can search: execvp says EACCES, not ENOENT, when a PATH directory cannot be.
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30000, stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: '/usr/local/bin:/usr/bin:/bin' } });
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-cli-'));
  fs.chmodSync(dir, 0o755);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('nsjs run', () => {
  itOutsideSanitizer()('--hostname box -- hostname prints box', () => {
    const r = nsjs(['run', '--hostname', 'box', '--', 'hostname']);
    expect([r.stdout, r.status]).toEqual(['box\n', 0]);
  });

  itOutsideSanitizer()("exits with the program's status, 128+N for signal N, 127 not found, 126 not executable, 125 when nsjs fails", () => {
    expect(nsjs(['run', '--', 'sh', '-c', 'exit 3']).status).toBe(3);
    expect(nsjs(['run', '--', 'sh', '-c', 'kill -9 $$']).status).toBe(128 + 9);
    const missing = nsjs(['run', 'nsjs-no-such-program']);
    expect([missing.status, missing.stderr]).toEqual([127, expect.stringContaining('ENOENT')]);
    fs.writeFileSync(`${dir}/not-exec`, 'data');
    expect(nsjs(['run', `${dir}/not-exec`]).status).toBe(126);
    const failed = nsjs(['run', '--bind', `${dir}/missing`, dir, '--', 'true']);
    expect(failed.status).toBe(125);
    expect(failed.stderr).toMatch(/mounts\[0\]: open_tree ENOENT/);
    expect(failed.stderr).toMatch(/step mounts\[0\], syscall open_tree/);
  });

  itOutsideSanitizer()('filesystem flags: --rootfs, --dev, --symlink, --overlay-src with --tmp-overlay, --remount-ro /', () => {
    fs.writeFileSync(`${dir}/layer`, 'lower\n');
    const r = nsjs(['run', '--rootfs', 'tmpfs', '--ro-bind', '/', '/', '--dev', '/dev', '--tmpfs', '/tmp', '--symlink', '/dev/null', '/tmp/void',
      '--overlay-src', dir, '--tmp-overlay', '/mnt', '--', 'sh', '-c', 'ls /dev | wc -l; readlink /tmp/void; echo x > /mnt/layer && cat /mnt/layer; touch /etc/x 2>/dev/null || echo ro']);
    expect([r.stdout, r.status]).toEqual(['13\n/dev/null\nx\nro\n', 0]);
    expect(fs.readFileSync(`${dir}/layer`, 'utf8')).toBe('lower\n');
    expect(nsjs(['run', '--tmp-overlay', '/mnt', '--', 'true'])).toMatchObject({ status: 125, stderr: expect.stringMatching(/needs --overlay-src/) });
    expect(nsjs(['run', '--remount-ro', '/etc', '--', 'true']).status).toBe(125);
    expect(nsjs(['run', '--rootfs', 'tmpfs', '--ro-bind', '/', '/', '--remount-ro', '/', '--', 'sh', '-c', 'touch /x 2>/dev/null || echo ro']).stdout).toBe('ro\n');
  });

  itOutsideSanitizer()('refuses an unknown flag, naming the closest one (125)', () => {
    const r = nsjs(['run', '--hostnme', 'x', 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/unknown option --hostnme \(did you mean --hostname\?\)/);
  });

  itOutsideSanitizer()('stops reading flags at the program: its own flags are its own', () => {
    expect(nsjs(['run', 'sh', '-c', 'echo "$0 $1"', '-x', '--hostname']).stdout).toBe('-x --hostname\n');
  });

  itOutsideSanitizer()('namespace flags: --share-net keeps the host network; --unshare-user, --unshare-cgroup add namespaces', () => {
    const ns = (flags: string[]) => nsjs(['run', ...flags, '--', 'sh', '-c', 'readlink /proc/self/ns/net /proc/self/ns/user /proc/self/ns/cgroup']).stdout.trim().split('\n');
    const inode = (link: string) => Number(/\[(\d+)\]/.exec(link)?.[1]);
    const shared = ns(['--share-net']);
    expect(inode(shared[0])).toBe(nsInode('self', 'net'));
    const added = ns(['--unshare-user', '--unshare-cgroup']);
    expect(inode(added[1])).not.toBe(nsInode('self', 'user'));
    expect(inode(added[2])).not.toBe(nsInode('self', 'cgroup'));
    expect(inode(added[0])).not.toBe(nsInode('self', 'net'));
  });

  itOutsideSanitizer()('mount flags: --tmpfs, --dir, --bind, --ro-bind, --bind-try', () => {
    fs.mkdirSync(`${dir}/src`);
    fs.mkdirSync(`${dir}/rw`);
    fs.mkdirSync(`${dir}/ro`);
    fs.writeFileSync(`${dir}/src/f`, 'hi');
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    const r = nsjs(['run', '--tmpfs', tmp, '--dir', `${tmp}/d`, '--bind', `${dir}/src`, `${dir}/rw`, '--ro-bind', `${dir}/src`, `${dir}/ro`, '--bind-try', `${dir}/none`, `${dir}/rw`, '--',
      'sh', '-c', `ls ${tmp}; cat ${dir}/ro/f; echo w > ${dir}/rw/new; echo x > ${dir}/ro/x`]);
    expect(r.stdout).toBe('d\nhi');
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(fs.readFileSync(`${dir}/src/new`, 'utf8')).toBe('w\n');
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  itOutsideSanitizer()('environment and directory: --clearenv, --setenv, --unsetenv, --chdir', () => {
    const r = nsjs(['run', '--clearenv', '--setenv', 'A', '1', '--setenv', 'B', '2', '--unsetenv', 'B', '--chdir', dir, '--', '/usr/bin/env']);
    expect(r.stdout).toBe('A=1\n');
    expect(nsjs(['run', '--chdir', dir, '--', '/bin/pwd']).stdout).toBe(`${dir}\n`);
  });

  itOutsideSanitizer()('--uid and --gid set the ids inside a user namespace; --no-init makes the program PID 1', () => {
    expect(nsjs(['run', '--unshare-user', '--uid', '1000', '--gid', '100', '--', 'id', '-u']).stdout).toBe('1000\n');
    expect(nsjs(['run', '--no-init', '--', 'sh', '-c', 'echo $$']).stdout).toBe('1\n');
    expect(nsjs(['run', '--', 'sh', '-c', 'echo $$']).stdout).toBe('2\n');
  });

  itOutsideSanitizer()('privilege flags: --cap-drop ALL, --cap-add, --seccomp none', () => {
    const status = (flags: string[]) => nsjs(['run', ...flags, '--', 'grep', '-E', '^(CapBnd|Seccomp):', '/proc/self/status']).stdout;
    expect(status(['--cap-drop', 'ALL'])).toMatch(/CapBnd:\s+0000000000000000/);
    expect(status(['--cap-add', 'sys_admin'])).toMatch(/CapBnd:\s+00000000a82425fb/); // Docker's set and CAP_SYS_ADMIN (21)
    expect(status([])).toMatch(/Seccomp:\s+2/);
    expect(status(['--seccomp', 'none'])).toMatch(/Seccomp:\s+0/);
  });

  itOutsideSanitizer()('--rlimit NAME=N|SOFT:HARD sets each process\'s limits (ulimit reads them inside)', () => {
    expect(nsjs(['run', '--rlimit', 'nofile=64', '--rlimit', 'core=0:unlimited', '--', 'sh', '-c', 'ulimit -Sn; ulimit -Hn; ulimit -Sc; ulimit -Hc']).stdout).toBe('64\n64\n0\nunlimited\n');
    const bad = nsjs(['run', '--rlimit', 'nofile=many', '--', 'true']);
    expect([bad.status, bad.stderr]).toEqual([125, expect.stringContaining('--rlimit takes NAME=N')]);
  });

  (underSanitizer ? itOutsideSanitizer() : itAtLevels(['root', 'userns-root']))('--memory, --pids, --cpus put the sandbox in a cgroup with those limits, removed after', () => {
    const read = 'cg() { grep -E "^[0-9]+:([^:]*,)?$1(,[^:]*)?:" /proc/self/cgroup | cut -d: -f3; }; ' +
      'cat /sys/fs/cgroup/memory$(cg memory)/memory.limit_in_bytes /sys/fs/cgroup/pids$(cg pids)/pids.max /sys/fs/cgroup/cpu$(cg cpu)/cpu.cfs_quota_us /sys/fs/cgroup/cpu$(cg cpu)/cpu.cfs_period_us; echo; cat /proc/self/cgroup';
    const r = nsjs(['run', '--memory', '64M', '--pids', '20', '--cpus', '0.5', '--', 'sh', '-c', read]);
    expect(r.status).toBe(0);
    const [limitsText, cgroups] = r.stdout.split('\n\n');
    expect(limitsText.trim().split('\n')).toEqual([String(64 * 2 ** 20), '20', '50000', '100000']);
    const lines = cgroups.trim().split('\n');
    for (const c of ['memory', 'pids', 'cpu']) {
      const line = lines.find((l) => l.split(':')[1]?.split(',').includes(c));
      expect(line).toMatch(/\/nsjs-\d+-\d+$/);
      const dir = `/sys/fs/cgroup/${line!.split(':')[1]}${line!.split(':')[2]}`;
      expect(fs.existsSync(dir)).toBe(false); // removed when the sandbox ended
    }
  });

  (underSanitizer ? itOutsideSanitizer() : itAtLevels(['root', 'userns-root']))('a limit that ended the program is said on stderr and in --json-status (oomKilled, pidsLimitHit)', () => {
    const oom = nsjs(['run', '--memory', '32M', '--json-status', '1', '--', 'perl', '-e', 'my $s = "x" x (128 * 1024 * 1024)']);
    expect(oom.stderr).toContain('killed by its memory limit (oomKilled)');
    expect(oom.stdout.trim().split('\n').map((l) => JSON.parse(l)).pop()).toMatchObject({ 'exit-code': 137, 'oom-killed': true });
    const bomb = nsjs(['run', '--pids', '5', '--', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait']);
    expect(bomb.stderr).toContain('reached its process limit: a fork failed (pidsLimitHit)');
  });

  (underSanitizer ? itOutsideSanitizer() : itAtLevels(['root']))('--map-users and --map-groups write the given ranges (util-linux unshare\'s --map-users)', () => {
    const r = nsjs(['run', '--map-users', '0:100000:65536', '--map-groups', '0:100000:65536', '--', 'cat', '/proc/self/uid_map', '/proc/self/gid_map']);
    expect(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/))).toEqual([['0', '100000', '65536'], ['0', '100000', '65536']]);
  });

  itOutsideSanitizer()('--timeout MS ends the program (SIGTERM: 128+15)', () => {
    expect(nsjs(['run', '--timeout', '300', '--', 'sleep', '30']).status).toBe(128 + 15);
  });

  itOutsideSanitizer()('--json-status FD writes the spawn, then the exit, as JSON lines', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--json-status', '3', '--', 'sh', '-c', 'exit 4'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const lines = (r.output[3] as string).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ 'child-pid': expect.any(Number), 'ns-pid': 2, 'pid-namespace': expect.any(Number) });
    expect(lines[1]).toEqual({ 'exit-code': 4 });
    expect(r.status).toBe(4);
  });

  (underSanitizer ? itOutsideSanitizer() : itIf(commandExists('unshare'), 'needs util-linux unshare'))('--join TYPE=PATH joins an existing namespace', async () => {
    // A user namespace joined must bring its PID namespace (a new one inside it is not supported).
    const holder = spawn('unshare', ['--user', '--map-root-user', '--net', '--pid', '--fork', '--', 'sleep', '30'], { stdio: 'ignore' });
    try {
      const mine = nsInode('self', 'pid');
      let sleeper = 0;
      expect(await waitFor(() => {
        sleeper = Number(fs.readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
        return sleeper > 0 && alive(sleeper) && nsInode(sleeper, 'pid') !== mine;
      })).toBe(true);
      const ns = (t: string) => `${t}=/proc/${sleeper}/ns/${t}`;
      const r = nsjs(['run', '--join', ns('user'), '--join', ns('net'), '--join', ns('pid'), '--', 'readlink', '/proc/self/ns/net']);
      expect(r.stdout.trim()).toBe(`net:[${nsInode(sleeper, 'net')}]`);
      const refused = nsjs(['run', '--join', ns('user'), '--', 'true']);
      expect([refused.status, refused.stderr]).toEqual([125, expect.stringContaining('ERR_NSJS_UNSUPPORTED')]);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('nsjs exec', () => {
  itOutsideSanitizer()('runs a command in every namespace of a running sandbox, or in the ones picked', async () => {
    const box = spawn(process.execPath, [CLI, 'run', '--hostname', 'inside', '--', 'sleep', '30'], { stdio: 'ignore' });
    try {
      let init = 0;
      expect(await waitFor(() => {
        const kids = fs.readFileSync(`/proc/${box.pid}/task/${box.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
        init = kids.find((k) => fs.readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'nsjs-init') ?? 0;
        return init > 0;
      })).toBe(true);
      expect(nsjs(['exec', String(init), 'hostname']).stdout).toBe('inside\n');
      expect(nsjs(['exec', String(init), '--uts', '--', 'hostname']).stdout).toBe('inside\n');
      const ps = nsjs(['exec', String(init), '--', 'sh', '-c', 'echo $$; cat /proc/1/comm']).stdout.trim().split('\n');
      expect(Number(ps[0])).toBeGreaterThan(2); // in the sandbox's PID namespace
      expect(ps[1]).toBe('nsjs-init');
      expect(nsjs(['exec', String(init), '--net', '--', 'readlink', '/proc/self/ns/net']).stdout.trim()).toBe(`net:[${nsInode(init, 'net')}]`);
    } finally {
      box.kill('SIGTERM');
    }
  });

  (underSanitizer ? itOutsideSanitizer() : itAtLevels(['root']))('runs a command in a network namespace made by ip netns add', () => {
    // In a throwaway mount namespace with its own /run: `ip netns add` makes
    // /run/netns a mount point, which must not be left on the host.
    const name = `nsjs-cli-${process.pid}`;
    const script = `mount -t tmpfs tmpfs /run && ip netns add ${name} && stat -L -c %i /run/netns/${name} && "$@" exec /run/netns/${name} -- readlink /proc/self/ns/net; ip netns del ${name}`;
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', process.execPath, CLI], { encoding: 'utf8', env: { ...process.env, PATH: '/usr/local/sbin:/usr/sbin:/usr/local/bin:/usr/bin:/bin' } });
    const [inode, link] = r.stdout.trim().split('\n');
    expect(link).toBe(`net:[${inode}]`);
    expect(link).not.toBe(fs.readlinkSync('/proc/self/ns/net'));
  });

  itOutsideSanitizer()('says what is wrong with a target', () => {
    const r = nsjs(['exec', '999999999', 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/no process 999999999/);
  });
});

describe('nsjs ls, nsjs ps', () => {
  (underSanitizer ? itOutsideSanitizer() : itIf(commandExists('lsns') && commandExists('ps'), 'needs util-linux lsns and procps ps'))('list a running sandbox as lsns and ps see it: namespaces, host pids and pids inside', async () => {
    const box = spawn(process.execPath, [CLI, 'run', '--hostname', 'listed', '--', 'sh', '-c', 'sleep 30 & sleep 30'], { stdio: 'ignore' });
    try {
      let init = 0;
      expect(await waitFor(() => {
        const kids = fs.readFileSync(`/proc/${box.pid}/task/${box.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
        init = kids.find((k) => fs.readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'nsjs-init') ?? 0;
        return init > 0 && fs.readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim() !== '';
      })).toBe(true);
      expect(await waitFor(() => nsjs(['ps', '--json', String(init)]).stdout.includes('"nsPid": 4'))).toBe(true);
      const listed = (JSON.parse(nsjs(['ls', '--json']).stdout) as { pid: number; kind: string; namespaces: Record<string, number>; command: string }[]).find((b) => b.pid === init);
      expect(listed).toMatchObject({ kind: 'sandbox', command: 'sh -c sleep 30 & sleep 30' });
      // lsns: the same namespaces, with the init as their lowest pid.
      const lsns = JSON.parse(spawnSync('lsns', ['-J', '-o', 'NS,TYPE,PID'], { encoding: 'utf8' }).stdout).namespaces as { ns: number; type: string; pid: number }[];
      for (const [type, inode] of Object.entries(listed!.namespaces)) {
        expect(lsns.find((n) => Number(n.ns) === inode)).toMatchObject({ type: type === 'mount' ? 'mnt' : type, pid: init });
      }
      // ps: every process listed, with its command, and its pid inside from NSpid.
      const [box1] = JSON.parse(nsjs(['ps', '--json', String(init)]).stdout) as { processes: { pid: number; nsPid: number; command: string }[] }[];
      expect(box1.processes.map((p) => p.nsPid)).toEqual([1, 2, 3, 4]);
      for (const p of box1.processes) {
        expect(spawnSync('ps', ['-o', 'args=', '-p', String(p.pid)], { encoding: 'utf8' }).stdout.trim()).toBe(p.command);
        expect(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8')).toMatch(new RegExp(`^NSpid:.*\\s${p.nsPid}$`, 'm'));
      }
      expect(nsjs(['ps', '999999999']).status).toBe(125);
    } finally {
      box.kill('SIGTERM');
    }
  });
});

describe('nsjs --help, --version', () => {
  itOutsideSanitizer()('every subcommand has --help; --version is the package version', () => {
    for (const sub of ['run', 'exec', 'ls', 'ps', 'probe', 'explain']) {
      const r = nsjs([sub, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: nsjs ${sub}`));
    }
    expect(nsjs(['--version']).stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    expect(nsjs(['bogus']).status).toBe(125);
  });
});

describe('nsjs probe', () => {
  itOutsideSanitizer()('says user namespaces work here, and why (exit 0)', () => {
    const r = nsjs(['probe', '--json']);
    expect(r.status).toBe(0);
    const facts = JSON.parse(r.stdout);
    expect(facts.userNamespaces).toMatchObject({ ok: true });
    for (const t of ['pid', 'mount', 'uts', 'ipc', 'net', 'user', 'cgroup', 'time']) expect(facts.namespaces[t].ok).toBe(true);
    expect(facts.landlock).toMatchObject({ ok: true, abi: expect.any(Number) });
    expect(facts.libseccomp.ok).toBe(true);
    expect(facts.binary.path).toMatch(/\.node$/);
    expect(nsjs(['probe']).stdout).toMatch(/^ok {3}user namespaces: /m);
  });

  (underSanitizer ? itOutsideSanitizer() : itIf(commandExists('unshare'), 'needs util-linux unshare'))('says user namespaces are unavailable where max_user_namespaces is 0, and why (exit 1)', () => {
    // A throwaway user namespace whose own limit is 0: nothing outside changes.
    const r = spawnSync('unshare', ['--user', '--map-root-user', '--', 'sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', 'sh', process.execPath, CLI, 'probe', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const facts = JSON.parse(r.stdout);
    expect(facts.userNamespaces.ok).toBe(false);
    expect(facts.userNamespaces.reason).toMatch(/max_user_namespaces is 0/);
    expect(facts.userNamespaces.hint).toMatch(/sysctl -w user.max_user_namespaces=/);
  });
});

describe('nsjs explain', () => {
  /** What a sandbox looks like from inside: hostname, which namespaces differ from ours, links, and a mount's size. */
  const LOOK = `hostname; for t in pid mnt uts ipc net; do readlink /proc/self/ns/$t; done; ip -br link | cut -d' ' -f1; df -k /mnt 2>/dev/null | tail -1 | tr -s ' ' | cut -d' ' -f1,2`;
  const look = (argv: string[]) => {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30000 });
    const [hostname, ...rest] = r.stdout.trim().split('\n');
    const ns = rest.slice(0, 5).map((l) => Number(/\[(\d+)\]/.exec(l)?.[1]) !== nsInode('self', l.split(':')[0]));
    return { hostname, ns, after: rest.slice(5) };
  };
  const cases: [string, string[]][] = [
    ['defaults with a hostname', ['--hostname', 'box']],
    ['host network, a tmpfs on /mnt', ['--share-net', '--tmpfs', '/mnt']],
    ['a read-only host on a root of its own, a fresh /dev and a small /mnt', ['--rootfs', 'tmpfs', '--ro-bind', '/', '/', '--dev', '/dev', '--tmpfs', '/mnt']],
  ];
  for (const [what, flags] of cases) {
    (underSanitizer ? itOutsideSanitizer() : itIf(commandExists('unshare') && commandExists('bwrap'), 'needs util-linux unshare and bubblewrap'))(`${what}: the printed unshare and bwrap lines make the same sandbox as nsjs run`, () => {
      const e = JSON.parse(nsjs(['explain', '--json', ...flags, '--', 'sh', '-c', LOOK]).stdout);
      const mine = look([process.execPath, CLI, 'run', ...flags, '--', 'sh', '-c', LOOK]);
      expect(look(e.bwrap.argv)).toEqual(mine);
      if (e.unshare.cannot.some((c: string) => c.startsWith('mounts'))) expect(flags).toContain('--tmpfs');
      else expect(look(e.unshare.argv)).toEqual(mine);
    });
  }

  itOutsideSanitizer()('prints the plan, and refuses what run refuses', () => {
    const r = nsjs(['explain', '--json', '--hostname', 'x', '--', 'true']);
    expect(JSON.parse(r.stdout).plan).toMatchObject({ hostname: 'x', mountProc: true, argv: ['true'] });
    expect(nsjs(['explain', '--hostnme', 'x', 'true']).status).toBe(125);
  });
});
