// Capabilities and seccomp, seen from inside, at every privilege level
// (docs/security.md, "Capabilities" and "Seccomp").
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { spawnIsolated, type IsolationOptions } from '../../lib';
import { commandExists, isHostRoot, itAtLevels, itIf } from '../helpers/env';
import { buildProbe, canBuildProbe, errnoNames, type Probe } from '../helpers/syscall-probe';

const sh = (cmd: string, options: IsolationOptions = {}) => spawnIsolated('sh', ['-c', cmd], options).result;
const status = async (options: IsolationOptions = {}) => {
  const r = await sh('grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|Seccomp):" /proc/self/status', options);
  return Object.fromEntries(r.stdout!.trim().split('\n').map((l) => l.split(/:\s+/)));
};
const DOCKER_SET = '00000000a80425fb';
const NONE = '0000000000000000';

describe('capabilities', () => {
  it("default: every set is Docker's, none is ambient for uid 0, and the seccomp filter is on", async () => {
    expect(await status()).toEqual({ CapInh: DOCKER_SET, CapPrm: DOCKER_SET, CapEff: DOCKER_SET, CapBnd: DOCKER_SET, CapAmb: NONE, Seccomp: '2' });
  });

  it("a list of names, with or without CAP_, in any case; 'none' keeps nothing", async () => {
    const some = await status({ capabilities: ['cap_net_raw', 'CHOWN', 'CAP_SYS_ADMIN'] });
    expect(some).toMatchObject({ CapEff: '0000000000202001', CapBnd: '0000000000202001', CapPrm: '0000000000202001' });
    expect(await status({ capabilities: 'none' })).toMatchObject({ CapInh: NONE, CapPrm: NONE, CapEff: NONE, CapBnd: NONE, CapAmb: NONE });
  });

  it('another uid inside keeps the set across exec in the ambient set', async () => {
    const options: IsolationOptions = { namespaces: ['user', 'pid', 'mount'], user: { uid: 1000, gid: 1000 } };
    expect(await status(options)).toMatchObject({ CapEff: DOCKER_SET, CapPrm: DOCKER_SET, CapAmb: DOCKER_SET, CapBnd: DOCKER_SET });
    expect(await status({ ...options, capabilities: 'none' })).toMatchObject({ CapEff: NONE, CapAmb: NONE, CapBnd: NONE });
  });

  itAtLevels(['rootless'])("namespaces: [] as a non-root caller: no capability, before and after; the bounding set is the caller's", async () => {
    const own = fs.readFileSync('/proc/self/status', 'utf8').match(/CapBnd:\s+(\w+)/)![1];
    expect(await status({ namespaces: [] })).toMatchObject({ CapEff: NONE, CapPrm: NONE, CapAmb: NONE, CapBnd: own, Seccomp: '2' });
  });

  it('an unknown name is refused before clone', () => {
    expect(() => spawnIsolated('true', [], { capabilities: ['CAP_FLY'] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('options.capabilities[0]') }));
    expect(() => spawnIsolated('true', [], { capabilities: 'most' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => spawnIsolated('true', [], { capabilities: [7] as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('the default seccomp filter', () => {
  let probe: Probe | undefined;
  beforeAll(() => {
    if (canBuildProbe) probe = buildProbe();
  });
  afterAll(() => probe?.remove());

  const calls = ['mount', 'finit_module', 'open_by_handle_at', 'perf_event_open', 'io_uring_setup', 'tiocsti', 'tiocsti-high', 'clone3'];
  const abis = process.arch === 'x64' ? ['perf_event_open:i386', 'perf_event_open:x32'] : [];
  const run = async (options: IsolationOptions) => {
    const r = await sh(calls.concat(abis).map((c) => `${probe!.path} ${c}`).join('; '), options);
    return Object.fromEntries(calls.concat(abis).map((c, i) => [c, errnoNames(r.stdout!)[i]]));
  };

  itIf(canBuildProbe, 'needs gcc to build the probe')(
    'denies with EPERM, whatever the capabilities, through every ABI (int 0x80, x32); clone3 is ENOSYS; without it each call reaches the kernel',
    async () => {
      const filtered = await run({ capabilities: 'all' });
      expect(filtered).toEqual({ ...Object.fromEntries(calls.concat(abis).map((c) => [c, 'EPERM'])), clone3: 'ENOSYS' });
      const open = await run({ capabilities: 'all', seccomp: false });
      // Harmless arguments: each call fails in the kernel for its own reason.
      expect(open).toMatchObject({ mount: 'ENOENT', perf_event_open: 'EFAULT', io_uring_setup: 'EFAULT', tiocsti: 'ENOTTY', 'tiocsti-high': 'ENOTTY', clone3: 'EINVAL' });
      // Host root passes the capability checks: EBADF/EFAULT, or ENOSYS from a kernel without modules.
      if (isHostRoot) for (const c of ['finit_module', 'open_by_handle_at']) expect(open[c]).not.toBe('EPERM');
      if (process.arch === 'x64') {
        expect(open['perf_event_open:i386']).toBe('EFAULT');
        // This kernel may lack the x32 ABI (CONFIG_X86_X32_ABI): the filter denies it all the same.
        expect(['EFAULT', 'ENOSYS']).toContain(open['perf_event_open:x32']);
      }
    },
  );

  itIf(commandExists('unshare'), 'needs unshare(1)')('unshare -U fails inside, unless allowNestedUserNamespaces', async () => {
    const denied = await sh('unshare -U true 2>&1; echo rc=$?');
    expect(denied.stdout).toMatch(/Operation not permitted[\s\S]*rc=1/);
    const allowed = await sh('unshare -U true; echo rc=$?', { allowNestedUserNamespaces: true });
    expect(allowed.stdout).toBe('rc=0\n');
  });

  it('a shell and node run under it (node starts threads: glibc falls back from clone3 to clone)', async () => {
    const node = `const { Worker } = require('worker_threads'); new Worker('require("worker_threads").parentPort.postMessage(6 * 7)', { eval: true }).on('message', (m) => { console.log(m); process.exit(0); });`;
    const r = await spawnIsolated(process.execPath, ['-e', node]).result;
    expect(r.stdout).toBe('42\n');
    expect((await sh('echo $((6 * 7))')).stdout).toBe('42\n');
  });

  it('allowNestedUserNamespaces applies only to the default filter', () => {
    expect(() => spawnIsolated('true', [], { seccomp: false, allowNestedUserNamespaces: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('a seccomp profile in the OCI/Docker format', () => {
  // Made in beforeAll, not while jest collects: a run that filters or skips every case would never remove it.
  let dir = '';
  let file = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-seccomp-'));
    fs.chmodSync(dir, 0o755);
    file = path.join(dir, 'profile.json');
    // Docker's shape: archMap, names lists, errnoRet, includes/excludes by capability, arch and kernel.
    fs.writeFileSync(file, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [
        { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
        { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
      ],
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, comment: 'no directories' },
        { names: ['symlink', 'symlinkat'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['link', 'linkat'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_SYS_ADMIN'] }, includes: { minKernel: '4.8' } },
        { names: ['fchmodat'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0o777, op: 'SCMP_CMP_EQ' }] },
      ],
    }));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is accepted from a file and enforced', async () => {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
    // The work directory is the test's own (mkdir is what the profile denies); the test removes it.
    const work = path.join(dir, 'work');
    fs.mkdirSync(work, { mode: 0o777 });
    fs.chmodSync(work, 0o777);
    const cmd = 'touch f; mkdir d 2>&1; ln -s f s && echo symlink-ok; ln f h 2>&1; chmod 644 f && echo chmod-ok; chmod 777 f 2>&1';
    const r = await spawnIsolated('sh', ['-c', cmd], { seccomp: profile, cwd: work }).result;
    expect(r.stdout).toMatch(/mkdir: .*Permission denied/);
    expect(r.stdout).toMatch(/symlink-ok/); // includes CAP_SYS_ADMIN: the default set lacks it
    expect(r.stdout).toMatch(/ln: .*Operation not permitted/);
    expect(r.stdout).toMatch(/chmod-ok\n.*Operation not permitted/);
  });

  it('an unknown syscall, action, op or key is refused before clone', () => {
    const bad = (p: object) => () => spawnIsolated('true', [], { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', ...p } as never });
    expect(bad({ syscalls: [{ names: ['fly'], action: 'SCMP_ACT_ERRNO' }] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('libseccomp') }));
    expect(bad({ syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_FLY' }] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(bad({ syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }] }] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(bad({ syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] })).toThrow(RangeError);
    expect(bad({ sycalls: [] })).toThrow(expect.objectContaining({ message: expect.stringContaining("did you mean 'syscalls'") }));
    expect(bad({ listenerPath: '/run/x' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => spawnIsolated('true', [], { seccomp: 'strict' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
