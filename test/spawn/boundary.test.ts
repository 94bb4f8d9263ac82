// What a caller's objects can and cannot do to a sandbox: options are read
// from their own data properties, once; inherited values (a polluted
// Object.prototype) are never read; and the program cannot reach the
// channel nsjs-init reports on.
import { spawnIsolated } from '../../lib';
import { expectClean, runNode } from '../helpers/run-node';

describe('the options boundary', () => {
  it('a polluted Object.prototype changes nothing: not the plan, not the host guard', async () => {
    const r = await runNode(`
      for (const [k, v] of Object.entries({ mountProc: false, hostname: 'polluted', propagation: 'shared', cwd: '/etc', initPath: '/bin/echo',
        namespaces: [], allowHostNamespace: true, uidMap: '0 0 1\\n', loopback: false, mounts: [{ type: 'tmpfs', target: '/tmp' }] })) Object.prototype[k] = v;
      const r = await nsjs.spawnIsolated('sh', ['-c', 'cat /proc/1/comm; hostname; pwd; ip -br link | grep -c UP; findmnt -n -o PROPAGATION /'], { init: true }).result;
      const r2 = await nsjs.spawnIsolated('sh', ['-c', 'echo $$'], { init: false }).result;
      let guard; try { nsjs.mountProc('/proc'); } catch (e) { guard = e.code; }
      report({ out: r.stdout.trim().split('\\n'), noInit: r2.stdout.trim(), guard, host: require('os').hostname() });`);
    expectClean(r);
    expect(r.json.out[0]).toBe('nsjs-init');
    expect(r.json.out[1]).toBe(r.json.host); // not 'polluted'
    expect(r.json.out[2]).toBe(process.cwd());
    expect(r.json.host).not.toBe('polluted');
    expect(r.json.out[3]).toBe('1'); // lo is up
    expect(r.json.out[4]).toBe('private');
    expect(r.json.noInit).toBe('1'); // the program itself, not /bin/echo as init
    expect(r.json.guard).toBe('ERR_NSJS_HOST_NAMESPACE');
  });

  it('inherited keys are ignored (Object.create({ namespaces: [] }) keeps the default namespaces)', async () => {
    const options = Object.create({ namespaces: [], hostnme: 'typo' }) as object;
    const r = await spawnIsolated('readlink', ['/proc/self/ns/net'], options).result;
    expect(r.stdout).not.toBe(`${require('node:fs').readlinkSync('/proc/self/ns/net')}\n`);
  });

  it('a getter is refused, and arrays are read by index, once', async () => {
    let reads = 0;
    const withGetter = { get mounts() { return ++reads > 1 ? [{ type: 'tmpfs', target: '/tmp' }] : []; }, propagation: 'shared' as const };
    expect(() => spawnIsolated('true', withGetter as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/options\.mounts.*data property/) }));
    class Sneaky extends Array<string> {
      override forEach(): void {}
      override [Symbol.iterator](): ArrayIterator<string> {
        return [][Symbol.iterator]();
      }
    }
    const namespaces = Sneaky.from(['pid', 'net', 'bogus']) as unknown as ('pid' | 'net')[];
    expect(() => spawnIsolated('true', { namespaces })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' })); // 'bogus' is seen
    const r = await spawnIsolated('readlink', ['/proc/self/ns/net'], { namespaces: Sneaky.from(['pid', 'net']) as unknown as ('pid' | 'net')[] }).result;
    expect(r.stdout).not.toBe(`${require('node:fs').readlinkSync('/proc/self/ns/net')}\n`);
  });
});

describe("nsjs-init's status channel", () => {
  it('cannot be opened by the program through /proc/1/fd (a socket: ENXIO); the exit reported is the real one', async () => {
    // fds 0-2 of init are the program's stdio until init puts /dev/null there, a moment after the exec: not the channel.
    const r = await spawnIsolated('sh', ['-c', 'for f in /proc/1/fd/*; do case $f in */[012]) continue;; esac; case "$(readlink $f)" in socket:*) (printf x > $f) 2>&1 && echo OPENED;; esac; done; exit 3']).result;
    expect(r.stdout).not.toMatch(/OPENED/);
    expect(r.stdout).toMatch(/No such device or address/);
    expect(r.exitCode).toBe(3);
  });
});
