// The package's shape: exports, constants, errors, inspection. Nothing here changes a namespace.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as nsjs from '../../lib';
import { binding, initExecutablePath } from '../../lib/binding';
import { describeErrno, systemError } from '../../lib/errors';
import { ROOT } from '../helpers/env';

describe('the package', () => {
  it('exports the same API through require and import', () => {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `
        import * as esm from ${JSON.stringify(path.join(ROOT, 'dist', 'index.mjs'))};
        import { createRequire } from 'node:module';
        const cjs = createRequire(import.meta.url)(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
        console.log(JSON.stringify({ esm: Object.keys(esm).sort(), cjs: Object.keys(cjs).sort(), same: esm.spawnIsolated === cjs.spawnIsolated }));`],
      { encoding: 'utf8' },
    );
    const { esm, cjs, same } = JSON.parse(out);
    expect(esm).toEqual(cjs);
    expect(same).toBe(true);
    for (const name of ['spawnIsolated', 'clone', 'unshare', 'setns', 'sethostname', 'setdomainname', 'mountProc', 'namespaceIds', 'nsPids', 'NamespaceError', 'CLONE_NEWPID']) {
      expect(esm).toContain(name);
    }
  });

  it('exports CLONE_NEW* equal to the kernel headers the addon was built with', () => {
    const c = binding().constants;
    expect([nsjs.CLONE_NEWNS, nsjs.CLONE_NEWUTS, nsjs.CLONE_NEWIPC, nsjs.CLONE_NEWUSER, nsjs.CLONE_NEWPID, nsjs.CLONE_NEWNET, nsjs.CLONE_NEWCGROUP, nsjs.CLONE_NEWTIME]).toEqual(
      [c.CLONE_NEWNS, c.CLONE_NEWUTS, c.CLONE_NEWIPC, c.CLONE_NEWUSER, c.CLONE_NEWPID, c.CLONE_NEWNET, c.CLONE_NEWCGROUP, c.CLONE_NEWTIME],
    );
  });

  it('ships a static nsjs-init beside the addon, under 1 MiB', () => {
    const init = initExecutablePath()!;
    expect(fs.statSync(init).size).toBeLessThan(1024 * 1024);
    const file = execFileSync('file', ['-b', init], { encoding: 'utf8' });
    expect(file).toMatch(/statically linked/);
  });
});

describe('NamespaceError', () => {
  it('has Node SystemError fields and a message that names them', () => {
    const e = systemError(1, { syscall: 'mount', path: '/proc', step: 'mount-proc' });
    expect(e).toBeInstanceOf(nsjs.NamespaceError);
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'NamespaceError', code: 'EPERM', errno: -1, syscall: 'mount', path: '/proc', step: 'mount-proc' });
    expect(e.message).toBe("mount-proc: mount EPERM: operation not permitted '/proc'");
    expect(describeErrno(2)).toEqual({ code: 'ENOENT', text: 'no such file or directory' });
  });

  it('lists stable ERR_NSJS_ codes', () => {
    // Written out, not derived from ErrorCodes: callers catch by these
    // strings, so renaming or dropping one must fail here.
    const stable = {
      USERNS_IN_PROCESS: 'ERR_NSJS_USERNS_IN_PROCESS',
      PIDNS_IN_PROCESS: 'ERR_NSJS_PIDNS_IN_PROCESS',
      HOST_NAMESPACE: 'ERR_NSJS_HOST_NAMESPACE',
      REQUIRES_NAMESPACE: 'ERR_NSJS_REQUIRES_NAMESPACE',
      SHARED_MOUNT: 'ERR_NSJS_SHARED_MOUNT',
      UNSUPPORTED: 'ERR_NSJS_UNSUPPORTED',
      SYMLINK_TARGET: 'ERR_NSJS_SYMLINK_TARGET',
      NO_BINARY: 'ERR_NSJS_NO_BINARY',
      SET_CLOSED: 'ERR_NSJS_SET_CLOSED',
      USERNS_UNAVAILABLE: 'ERR_NSJS_USERNS_UNAVAILABLE',
      INIT_NOT_FOUND: 'ERR_NSJS_INIT_NOT_FOUND',
      INIT_FAILED: 'ERR_NSJS_INIT_FAILED',
      ABORTED: 'ABORT_ERR',
    };
    expect(nsjs.ErrorCodes).toEqual(stable);
    // docs/errors.md's table of library codes names exactly these.
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Library codes'), doc.indexOf('\n## ', doc.indexOf('## Library codes') + 1));
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(stable).sort());
  });
});

describe('inspection', () => {
  it('namespaceIds() matches readlink of /proc/thread-self/ns', () => {
    const ids = nsjs.namespaceIds();
    expect(ids.net).toEqual({ type: 'net', inode: Number(/\[(\d+)\]/.exec(fs.readlinkSync('/proc/thread-self/ns/net'))![1]), path: '/proc/thread-self/ns/net' });
    expect(Object.keys(ids)).toEqual(expect.arrayContaining(['pid', 'mount', 'uts', 'ipc', 'net', 'user', 'cgroup']));
  });

  it('nsPids() of this process ends with its pid in its own namespace', () => {
    expect(nsjs.nsPids(process.pid).slice(-1)[0]).toBeGreaterThan(0);
    expect(nsjs.nsPids(process.pid)[0]).toBe(process.pid);
  });

  it('reports a missing process as ENOENT', () => {
    expect(() => nsjs.nsPids(999999999)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'open' }));
  });
});
