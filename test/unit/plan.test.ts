// Options in, native plan out: the pure part of a spawn, without the kernel.
// Also the boundaries around it: unknown option keys, and the glue's refusal
// of a plan with a missing, mistyped or unknown key.
import { CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS, ErrorCodes, readOnlyHost } from '../../lib';
import { binding } from '../../lib/binding';
import { normalizeIsolation } from '../../lib/spawn/options';
import { buildPlan } from '../../lib/spawn/plan';

const rootless = process.geteuid?.() !== 0;
const plan = (options: Record<string, unknown>, joins = [] as { fd: number; nstype: number }[]) =>
  buildPlan(normalizeIsolation('true', [], options, []), joins);
const MS_REC = 0x4000;
const MS_PRIVATE = 1 << 18;

describe('buildPlan', () => {
  it('defaults: pid, mount, uts, ipc, net by clone; private /; /proc; lo; session; no_new_privs; die with parent', () => {
    const p = plan({});
    const user = rootless ? CLONE_NEWUSER : 0;
    expect(p).toMatchObject({
      cloneFlags: CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | user,
      unshareFlags: 0,
      joins: [],
      propagation: MS_REC | MS_PRIVATE,
      ops: [],
      mountProc: true,
      loopbackUp: true,
      newSession: true,
      noNewPrivs: true,
      dieWithParent: true,
      useVm: true,
      execPaths: expect.arrayContaining(['/usr/bin/true']),
      argv: ['true'],
    });
    expect(p).not.toHaveProperty('hostname');
    expect(p).not.toHaveProperty('timeOffsets');
  });

  it('namespaces: [] creates none and adds no user namespace, for any caller', () => {
    expect(plan({ namespaces: [], init: false })).toMatchObject({ cloneFlags: 0, unshareFlags: 0, mountProc: false, loopbackUp: false, setIdentity: false });
  });

  it('mounts become ops in order, with their paths and flags', () => {
    const p = plan({
      mounts: [
        { type: 'tmpfs', target: '/b', size: 1048576 },
        { type: 'dir', target: '/b/a', mode: 0o700 },
        { type: 'bind', source: '/etc', readonly: true },
        { type: 'bind', source: '/x', target: '/y', optional: true },
      ],
    });
    const flags = { readonly: false, optional: false, tmpUpper: false };
    expect(p.ops).toEqual([
      { ...flags, kind: 'tmpfs', target: '/b', params: [['mode', '755'], ['size', '1048576']], mode: 0 },
      { ...flags, kind: 'dir', target: '/b/a', params: [], mode: 0o700 },
      { ...flags, kind: 'bind', source: '/etc', target: '/etc', params: [], mode: 0, readonly: true },
      { ...flags, kind: 'bind', source: '/x', target: '/y', params: [], mode: 0, optional: true },
    ]);
    expect(p).toMatchObject({ rootfs: 0, staging: false, readonlyRoot: false });
  });

  it('a new root: the rootfs, /proc as one more op after the others, cwd /, and a staging tmpfs for file contents', () => {
    const p = plan({ rootfs: 'tmpfs', mounts: [{ type: 'file', target: '/etc/motd', data: 'hi', mode: 0o600 }] });
    expect(p).toMatchObject({ rootfs: 1, staging: true, mountProc: false, cwd: '/' });
    expect(p.ops.map((op) => [op.kind, op.target])).toEqual([['file', '/etc/motd'], ['proc', '/proc']]);
    expect(p.ops[0]).toMatchObject({ source: 'file-0', data: Buffer.from('hi'), mode: 0o600 });
    expect(plan({ rootfs: '/srv/root', cwd: '/x', mounts: [{ type: 'proc', target: '/proc' }] })).toMatchObject({ rootfs: 2, rootfsPath: '/srv/root', cwd: '/x', ops: [{ kind: 'proc' }] });
    expect(plan({ rootfs: '/srv/root', mountProc: false })).toMatchObject({ rootfs: 2, ops: [], mountProc: false });
  });

  it('overlay parameters: layers escaped, a tmpfs upper named in the staging tmpfs, userxattr with a user namespace', () => {
    const p = plan({ namespaces: ['mount', 'user'], mounts: [{ type: 'overlay', target: '/o', lower: ['/a:b', '/c'], upper: 'tmpfs' }, { type: 'overlay', target: '/p', lower: ['/l'], upper: '/u', work: '/w' }] });
    expect(p.ops[0]).toMatchObject({ tmpUpper: true, readonly: false, params: [['lowerdir', '/a\\:b:/c'], ['upperdir', 'upper-0'], ['workdir', 'work-0'], ['userxattr', null]] });
    expect(p.ops[1]).toMatchObject({ tmpUpper: false, params: [['lowerdir', '/l'], ['upperdir', '/u'], ['workdir', '/w'], ['userxattr', null]] });
    expect(p).toMatchObject({ staging: true, lockUidMap: '0 0 1\n', lockGidMap: '0 0 1\n' });
  });

  it('lock-mounts: with a user namespace and anything mounted, never without either', () => {
    expect(plan({ namespaces: ['mount', 'user'], user: { uid: 5, gid: 6 }, readonlyRoot: true })).toMatchObject({ lockUidMap: '5 5 1\n', lockGidMap: '6 6 1\n' });
    expect(plan({ namespaces: ['mount', 'user'] }).lockUidMap).toBeUndefined();
    if (!rootless) expect(plan({ namespaces: ['mount'], readonlyRoot: true }).lockUidMap).toBeUndefined();
  });

  it('joins go first in the plan; what is created is cloned unless a user namespace is joined', () => {
    const net = plan({ namespaces: ['uts'], join: { net: 7 } }, [{ fd: 7, nstype: CLONE_NEWNET }]);
    expect(net).toMatchObject({ cloneFlags: CLONE_NEWUTS | (rootless ? CLONE_NEWUSER : 0), unshareFlags: 0, joins: [{ fd: 7, nstype: CLONE_NEWNET }] });
    const user = plan({ namespaces: ['uts', 'mount'], join: { user: 5, net: 6 } }, [{ fd: 5, nstype: CLONE_NEWUSER }, { fd: 6, nstype: CLONE_NEWNET }]);
    expect(user).toMatchObject({ cloneFlags: 0, unshareFlags: CLONE_NEWUTS | CLONE_NEWNS, setIdentity: true, uid: 0, gid: 0 });
  });

  it('joins in the order user, cgroup, ipc, uts, net, pid, time, mount, whatever the order given', () => {
    const n = normalizeIsolation('true', [], { namespaces: [], join: { mount: 1, net: 2, user: 3, pid: 4 } }, []);
    expect(n.namespaces.joined.map((j) => j.type)).toEqual(['user', 'net', 'pid', 'mount']);
    expect(n.lifecycle.init).toBe(true); // a joined PID namespace runs the program under init
  });
});

describe('privileges in the plan', () => {
  it("default: Docker's capability numbers and a compiled BPF filter; 'all' and false leave both out", () => {
    const p = plan({});
    expect(p.capabilities).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31]);
    expect(p.seccompFilter).toBeInstanceOf(Uint8Array);
    expect(p.seccompFilter!.length % 8).toBe(0);
    expect(plan({}).seccompFilter).toBe(p.seccompFilter); // compiled once per process
    const open = plan({ capabilities: 'all', seccomp: false });
    expect(open).not.toHaveProperty('capabilities');
    expect(open).not.toHaveProperty('seccompFilter');
    expect(plan({ capabilities: 'none' }).capabilities).toEqual([]);
  });
});

describe('what normalization refuses', () => {
  const refuse = (options: Record<string, unknown>) => {
    try {
      normalizeIsolation('true', [], options, ['stdio']);
    } catch (e) {
      return e as Error & { code: string };
    }
    throw new Error('accepted');
  };

  it('an unknown key, naming the closest known one', () => {
    const e = refuse({ hostnme: 'x' });
    expect(e).toBeInstanceOf(TypeError);
    expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(e.message).toMatch(/options\.hostnme.*did you mean 'hostname'/);
    expect(refuse({ mounts: [{ type: 'bind', source: '/x', readOnly: true }] }).message).toMatch(/readOnly.*did you mean 'readonly'/);
    expect(refuse({ namespaces: ['user'], user: { uid: 1, gidd: 2 } }).message).toMatch(/options\.user\.gidd.*'gid'/);
    expect(refuse({ namespaces: ['time'], timeOffsets: { monotonik: 1 } }).message).toMatch(/'monotonic'/);
    expect(refuse({ join: { network: '/x' } }).message).toMatch(/options\.join\.network.*'net'/);
    expect(refuse({ zzzzzzzzzz: 1 }).message).not.toMatch(/did you mean/);
  });

  it('a namespace both created and joined', () => {
    expect(refuse({ namespaces: ['net'], join: { net: '/proc/1/ns/net' } }).code).toBe('ERR_INVALID_ARG_VALUE');
  });

  it('a new PID namespace in a joined user namespace is ERR_NSJS_UNSUPPORTED', () => {
    expect(refuse({ namespaces: ['pid'], join: { user: 3 } }).code).toBe(ErrorCodes.UNSUPPORTED);
  });

  it('mounts with a propagation that could carry them out, or without a new mount namespace', () => {
    expect(refuse({ propagation: 'shared', mounts: [{ type: 'tmpfs', target: '/x' }] }).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(refuse({ mounts: [{ type: 'dir', target: '/x' }] }).message).toMatch(/never makes anything on the host's files/);
    // No way around it: '..' out of the tmpfs, or a bind of host files over it.
    expect(refuse({ mounts: [{ type: 'tmpfs', target: '/t' }, { type: 'dir', target: '/t/../victim' }] }).message).toMatch(/normalized path/);
    expect(refuse({ mounts: [{ type: 'tmpfs', target: '/t' }, { type: 'bind', source: '/home', target: '/t' }, { type: 'dir', target: '/t/x' }] }).message).toMatch(/never makes anything on the host's files/);
    expect(refuse({ mounts: [{ type: 'tmpfs', target: '/t' }, { type: 'bind', source: '/home', target: '/t/h' }, { type: 'dir', target: '/t/h/x' }] }).message).toMatch(/never makes anything on the host's files/);
    expect(refuse({ mounts: [{ type: 'bind', source: '/a/./b', target: '/c' }] }).message).toMatch(/normalized path/);
    expect(refuse({ namespaces: ['pid'], init: false, mounts: [] }).code).toBe(ErrorCodes.REQUIRES_NAMESPACE);
    expect(refuse({ mounts: [{ type: 'bind', source: 'relative' }] }).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(refuse({ mounts: [{ type: 'sysfs', target: '/x' }] }).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(refuse({ propagation: 'shared', rootfs: 'tmpfs' }).message).toMatch(/with a new root/);
    expect(refuse({ namespaces: ['pid'], init: false, rootfs: 'tmpfs' }).code).toBe(ErrorCodes.REQUIRES_NAMESPACE);
  });

  it('filesystem entries that could touch the host or cannot work', () => {
    // dir and symlink only on a tmpfs of nsjs's: the deepest earlier mount decides.
    expect(refuse({ rootfs: 'tmpfs', mounts: [{ type: 'bind', source: '/usr' }, { type: 'dir', target: '/usr/x' }] }).message).toMatch(/host's files/);
    expect(refuse({ mounts: [{ type: 'tmpfs', target: '/t' }, { type: 'bind', source: '/usr', target: '/t/u' }, { type: 'symlink', target: '/t/u/l', linkTo: '/' }] }).message).toMatch(/host's files/);
    expect(() => normalizeIsolation('true', [], { rootfs: 'tmpfs', mounts: [{ type: 'dir', target: '/a/b' }, { type: 'symlink', target: '/a/l', linkTo: 'b' }] }, [])).not.toThrow();
    expect(refuse({ mounts: [{ type: 'tmpfs', target: '/' }] }).message).toMatch(/only with a new root/);
    expect(refuse({ rootfs: 'tmpfs', mounts: [{ type: 'tmpfs', target: '/a/../etc' }] }).message).toMatch(/normalized path/);
    expect(refuse({ rootfs: 'tmpfs', mounts: [{ type: 'tmpfs', target: '/data/' }] }).message).toMatch(/normalized path/);
    expect(refuse({ rootfs: 'relative/dir' }).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(refuse({ rootfs: 7 }).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(refuse({ mounts: [{ type: 'overlay', target: '/x' }] }).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(refuse({ mounts: [{ type: 'overlay', target: '/x', lower: ['/a'], upper: '/u' }] }).message).toMatch(/work/);
    expect(refuse({ mounts: [{ type: 'overlay', target: '/x', lower: ['/a'] }] }).message).toMatch(/at least two directories without `upper`/);
    expect(refuse({ mounts: [{ type: 'overlay', target: '/x', lower: ['/a'], upper: 'tmpfs', work: '/w' }] }).message).toMatch(/work/);
    expect(refuse({ mounts: [{ type: 'file', target: '/x', data: 5 }] }).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(refuse({ mounts: [{ type: 'symlink', target: '/x' }] }).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(refuse({ mounts: [{ type: 'bind', source: '/x', readOnly: true }] }).message).toMatch(/did you mean 'readonly'/);
    expect(refuse({ readOnlyRoot: true }).message).toMatch(/did you mean 'readonlyRoot'/);
  });
});

describe('the glue refuses a plan that does not match NativePlan', () => {
  const good = () => ({ ...plan({ namespaces: [], init: false }), stdio: [0, 1, 2], cgroupProcs: [] }) as Record<string, unknown>;
  const refused = (p: Record<string, unknown>) => {
    try {
      binding().spawn(p as never);
    } catch (e) {
      return e as Error;
    }
    throw new Error('the glue accepted it');
  };

  it('a missing boolean (it must never read as false)', () => {
    const p = good();
    delete p.newSession;
    const e = refused(p);
    expect(e.name).toBe('TypeError'); // the addon's realm, not jest's: no instanceof
    expect(e.message).toMatch(/plan\.newSession must be a boolean/);
  });

  it('a mistyped field, and an unknown key', () => {
    expect(refused({ ...good(), dieWithParent: 1 }).message).toMatch(/dieWithParent must be a boolean/);
    expect(refused({ ...good(), noNewPriv: true }).message).toMatch(/unknown key: noNewPriv/);
    const op = { kind: 'bind', target: '/x', params: [], mode: 0, readonly: false, optional: false, tmpUpper: false };
    const mountNs = { cloneFlags: binding().constants.CLONE_NEWNS };
    expect(refused({ ...good(), ...mountNs, ops: [op] }).message).toMatch(/source/);
    expect(refused({ ...good(), ...mountNs, ops: [{ ...op, source: '/y', target: 'relative' }] }).message).toMatch(/absolute target/);
    expect(refused({ ...good(), ...mountNs, ops: [{ ...op, kind: 'file', source: 'f', data: Buffer.from('') }] }).message).toMatch(/staging/);
    expect(refused({ ...good(), ops: [{ ...op, source: '/y' }] }).message).toMatch(/new mount namespace/);
    expect(refused({ ...good(), rootfs: 2 }).message).toMatch(/rootfsPath/);
  });

  it('capability numbers above 63, and a seccompFilter that is no whole BPF program', () => {
    expect(refused({ ...good(), capabilities: [64] }).message).toMatch(/capabilities must be/);
    expect(refused({ ...good(), seccompFilter: new Uint8Array(7) }).message).toMatch(/seccompFilter must be a BPF program/);
    expect(refused({ ...good(), seccompFilter: [1, 2] }).message).toMatch(/seccompFilter must be a Uint8Array/);
  });
});

describe('readOnlyHost()', () => {
  it('the host read-only on a tmpfs root, fresh /dev, /proc, /tmp, then writable binds, then what hides each hidden path', () => {
    const fsOpts = readOnlyHost({ writable: ['/w'], hidden: ['/usr', '/etc/hostname', '/no/such/path'] });
    expect(fsOpts).toEqual({
      rootfs: 'tmpfs',
      mounts: [
        { type: 'bind', source: '/', target: '/', readonly: true },
        { type: 'dev', target: '/dev' },
        { type: 'proc', target: '/proc' },
        { type: 'tmpfs', target: '/tmp', mode: 0o1777 },
        { type: 'bind', source: '/w', target: '/w' },
        { type: 'tmpfs', target: '/usr', mode: 0o755 },
        { type: 'file', target: '/etc/hostname', data: '', mode: 0o444, readonly: true },
      ],
    });
    // What it returns is valid options as they are.
    expect(plan({ ...fsOpts }).ops.map((op) => op.kind)).toEqual(['bind', 'dev', 'proc', 'tmpfs', 'bind', 'tmpfs', 'file']);
  });

  it('refuses bad input before anything', () => {
    expect(() => readOnlyHost({ writable: '/x' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => readOnlyHost({ hidden: ['relative'] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => readOnlyHost({ hidden: ['/a\0b'] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => readOnlyHost({ writeable: ['/x'] } as never)).toThrow(/did you mean 'writable'/);
  });

});
