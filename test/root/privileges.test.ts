// Capabilities and seccomp where only root can look: what host root's
// default sandbox may not do, and a host without libseccomp (docs/security.md).
import { execFileSync } from 'node:child_process';

import { spawnIsolated } from '../../lib';
import { itAtLevels, itIf } from '../helpers/env';
import { buildProbe, canBuildProbe, errnoNames, type Probe } from '../helpers/syscall-probe';
import { expectClean, runNode } from '../helpers/run-node';

describe('host root with the defaults', () => {
  let probe: Probe | undefined;
  beforeAll(() => {
    if (canBuildProbe) probe = buildProbe();
  });
  afterAll(() => probe?.remove());

  itIf(canBuildProbe, 'needs gcc to build the probe')(
    'mount(8), a module load and open_by_handle_at fail with EPERM; /etc/shadow is still root\'s to read',
    async () => {
      const cmd = `mount -t tmpfs none /mnt 2>&1; echo mount=$?; for c in finit_module open_by_handle_at mount; do ${probe!.path} $c; done; head -c0 /etc/shadow && echo shadow-ok`;
      const r = await spawnIsolated('sh', ['-c', cmd]).result;
      const lines = r.stdout!.trim().split('\n');
      expect(lines).toContain('mount=32');
      expect(errnoNames(lines.slice(-4, -1).join('\n'))).toEqual(['EPERM', 'EPERM', 'EPERM']);
      expect(lines.at(-1)).toBe('shadow-ok');
    },
  );
});

/** Where the dynamic loader finds libseccomp.so.2, if anywhere. */
function libseccompPath(): string | undefined {
  const line = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).split('\n').find((l) => l.includes('libseccomp.so.2 ') && l.includes('x86-64') === (process.arch === 'x64'));
  return line?.split('=> ')[1]?.trim();
}

describe('a host without libseccomp', () => {
  const lib = libseccompPath();
  // The library is hidden by /dev/null bound over it, in the fixture's own mount namespace.
  itAtLevels(['root', 'userns-root'])("a filter is ERR_NSJS_UNSUPPORTED naming Debian's libseccomp2; seccomp: false still spawns", async () => {
    expect(lib).toBeDefined();
    const r = await runNode(
      `let refused;
      try { nsjs.spawnIsolated('true', []); } catch (e) { refused = { code: e.code, message: e.message, hint: e.hint }; }
      const r = await nsjs.spawnIsolated('sh', ['-c', 'grep Seccomp: /proc/self/status'], { seccomp: false }).result;
      report({ refused, status: r.stdout });`,
      { wrap: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', `mount --bind /dev/null "$(readlink -f ${lib})" && exec "$@"`, 'sh'] },
    );
    expectClean(r);
    expect(r.json.refused).toMatchObject({ code: 'ERR_NSJS_UNSUPPORTED', message: expect.stringContaining('libseccomp'), hint: expect.stringContaining('libseccomp2') });
    expect(r.json.status).toBe('Seccomp:\t0\n');
  });
});
