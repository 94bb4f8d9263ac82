// Setup ops (the `mounts` option): each entry runs in the sandbox's private
// mount namespace, in order; a failing one is named by its index and paths.
// Observed from outside (the host's files and mount table) and inside.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { spawnIsolated, type NamespaceError } from '../../lib';
import { zombieChildren } from '../helpers/proc';

let dir: string;
const mountinfo = () => fs.readFileSync('/proc/self/mountinfo', 'utf8');
const fds = () => fs.readdirSync('/proc/self/fd').length;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-mounts-'));
  fs.chmodSync(dir, 0o755);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('mounts', () => {
  it('a 1 MiB tmpfs refuses a 2 MiB write (ENOSPC); nothing of it is seen outside', async () => {
    const before = mountinfo();
    const r = await spawnIsolated('sh', ['-c', `head -c 2097152 /dev/zero > ${dir}/big; echo "rc=$?"; df -k ${dir} | tail -1`], {
      mounts: [{ type: 'tmpfs', target: dir, size: 1 << 20 }],
    }).result;
    expect(r.stderr).toMatch(/No space left on device/);
    expect(r.stdout).toMatch(/rc=1/);
    expect(r.stdout).toMatch(/^tmpfs\s+1024\s/m);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(mountinfo()).toBe(before);
  });

  it('a read-only bind refuses writes (EROFS); a writable one writes to the host, as the caller', async () => {
    fs.mkdirSync(`${dir}/ro`);
    fs.mkdirSync(`${dir}/rw`);
    fs.mkdirSync(`${dir}/src`);
    fs.writeFileSync(`${dir}/src/file`, 'host\n');
    const r = await spawnIsolated('sh', ['-c', `cat ${dir}/ro/file; echo x > ${dir}/ro/new; echo made > ${dir}/rw/new`], {
      mounts: [
        { type: 'bind', source: `${dir}/src`, target: `${dir}/ro`, readonly: true },
        { type: 'bind', source: `${dir}/src`, target: `${dir}/rw` },
      ],
    }).result;
    expect(r.stdout).toBe('host\n');
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(fs.readFileSync(`${dir}/src/new`, 'utf8')).toBe('made\n');
    expect(fs.statSync(`${dir}/src/new`).uid).toBe(process.geteuid!());
    expect(fs.readdirSync(`${dir}/ro`)).toEqual([]); // the host's mount point stayed empty
  });

  it('dir makes a directory; an optional bind of a missing source is skipped', async () => {
    const r = await spawnIsolated('sh', ['-c', `stat -c %a ${dir}/made`], {
      mounts: [
        { type: 'tmpfs', target: dir },
        { type: 'dir', target: `${dir}/made`, mode: 0o700 },
        { type: 'bind', source: `${dir}/missing`, target: `${dir}/made`, optional: true },
      ],
    }).result;
    expect(r.stdout).toBe('700\n');
    expect(r.exitCode).toBe(0);
  });

  it('a failing entry names its index, path and dest; nothing is left behind', async () => {
    await spawnIsolated('true', [], { stdio: 'ignore' }).result; // warm up: the addon's own fds
    const before = { fds: fds(), mounts: mountinfo() };
    const child = spawnIsolated('true', [], {
      stdio: 'ignore',
      mounts: [{ type: 'tmpfs', target: dir }, { type: 'dir', target: `${dir}/a` }, { type: 'bind', source: `${dir}/missing`, target: `${dir}/a` }],
    });
    const events: string[] = [];
    child.on('spawn', () => events.push('spawn'));
    child.on('exit', () => events.push('exit'));
    const err = await new Promise<NamespaceError>((resolve) => child.on('error', resolve));
    expect(err).toMatchObject({ code: 'ENOENT', step: 'mounts', op: 2, syscall: 'open_tree', path: `${dir}/missing`, dest: `${dir}/a` });
    expect(err.message).toContain(`mounts[2]: open_tree ENOENT`);
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual([]);
    expect(zombieChildren()).toEqual([]);
    expect(fds()).toBe(before.fds);
    expect(mountinfo()).toBe(before.mounts);
    expect(fs.readdirSync(dir)).toEqual([]); // `a` was made in the sandbox's tmpfs, not here
  });
});
