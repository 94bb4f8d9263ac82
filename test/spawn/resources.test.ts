// Resources (#11): rlimits, usage, and killing a whole sandbox without a PID namespace.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

import { spawnIsolated } from '../../lib';
import { itIf, level } from '../helpers/env';
import { alive, namedSleepers, waitFor } from '../helpers/proc';


// perl is in every Debian (perl-base): opens until one fails, prints the fd that failed.
const OPEN_UNTIL_FAIL = 'my @h; for my $i (1..64) { open(my $h, "<", "/dev/null") or do { print scalar(@h) + 3, " $!\\n"; exit 0 }; push @h, $h } print "none\\n"';


// Sleeps under names of their own, killed (they are ours) and removed after each case.
const sleeper = namedSleepers();

describe('rlimits', () => {
  it.each([
    ['with a PID namespace (under nsjs-init)', {}],
    ['without one', { namespaces: ['uts'] as const }],
  ])('nofile 16: fds 0..15 open, the next open fails with EMFILE (%s)', async (_, extra) => {
    const r = await spawnIsolated('perl', ['-e', OPEN_UNTIL_FAIL], { ...extra, rlimits: { nofile: 16 } }).result;
    expect(r.stdout).toBe('16 Too many open files\n');
  });

  it('soft and hard apart, Infinity as unlimited, and the limits apply only to the sandbox', async () => {
    const r = await spawnIsolated('sh', ['-c', 'ulimit -Sn; ulimit -Hn; ulimit -c'], { rlimits: { nofile: { soft: 20, hard: 40 }, core: Infinity } }).result;
    expect(r.stdout).toBe('20\n40\nunlimited\n');
    // Node's own are untouched.
    expect(execFileSync('sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' })).not.toBe('20\n');
  });

  it('cpu: a busy loop ends with SIGXCPU at the soft limit (SIGKILL at the hard one)', async () => {
    const r = await spawnIsolated('sh', ['-c', 'while :; do :; done'], { namespaces: ['uts'], rlimits: { cpu: { soft: 1, hard: 2 } }, timeout: 30000 }).result;
    expect(r.signal).toBe('SIGXCPU');
    expect(r.timedOut).toBe(false);
    expect(r.usage.cpuUserMs + r.usage.cpuSystemMs).toBeGreaterThan(500); // tick-based accounting: about 1000
  });

  it('a hard limit the caller may not raise: step rlimits, EPERM, the error names the limit', async () => {
    // Host root may raise anything up to fs.nr_open; nobody may go above it.
    const child = spawnIsolated('true', [], { rlimits: { nofile: Infinity } });
    const err = await child.result.then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'EPERM', step: 'rlimits', syscall: 'prlimit64' });
    expect((err as Error).message).toContain('rlimits.nofile');
  });

  // CAP_SYS_RESOURCE in the host's user namespace: this VM's root lacks it; CI's has it.
  const capSysResource = (BigInt(`0x${/CapEff:\s*(\w+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 24n) & 1n;
  const canRaise = level === 'root' && capSysResource === 1n;
  const raise = (extra: object) => {
    const hard = Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }));
    const child = spawnIsolated('sh', ['-c', 'ulimit -Hn'], { ...extra, rlimits: { nofile: hard + 1 } });
    return child.result.then((x) => [hard, x.stdout], (e: { code: string; step: string }) => [hard, `${e.code} ${e.step}`]);
  };
  const userns = [
    ['a new user namespace (the parent raises it)', { namespaces: ['user', 'uts'] }],
    ['no user namespace (the child raises it)', { namespaces: ['uts'] }],
  ] as const;

  for (const [how, extra] of userns) {
    it(`raising a hard limit takes CAP_SYS_RESOURCE on the host: raised with it, EPERM at step rlimits without: ${how}`, async () => {
      const [hard, out] = await raise(extra);
      expect(out).toBe(canRaise ? `${Number(hard) + 1}\n` : 'EPERM rlimits');
    });
  }

  it('refuses unknown names, soft above hard and bad values before anything is done', () => {
    expect(() => spawnIsolated('true', [], { rlimits: { nofiles: 1 } as never })).toThrow(/did you mean 'nofile'/);
    expect(() => spawnIsolated('true', [], { rlimits: { nofile: { soft: 2, hard: 1 } } })).toThrow(/soft limit above its hard limit/);
    expect(() => spawnIsolated('true', [], { rlimits: { nofile: -1 } })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { rlimits: { nofile: { soft: 1 } } as never })).toThrow(TypeError);
  });
});

describe('killing a whole sandbox without a PID namespace', () => {
  it("namespaces: ['net'], timeout: 1000: the three background sleepers die with the shell", async () => {
    const markerSleep = sleeper();
    const marker = `${markerSleep.path} 1000`;
    const script = `for i in 1 2 3; do ${marker} & done; wait`;
    const child = spawnIsolated('sh', ['-c', script], { namespaces: ['net'], timeout: 1000 });
    await new Promise((r) => child.once('spawn', r));
    expect(await waitFor(() => markerSleep.pids().length === 3)).toBe(true);
    const r = await child.result;
    expect(r).toMatchObject({ signal: 'SIGTERM', timedOut: true });
    expect(await waitFor(() => markerSleep.pids().length === 0)).toBe(true);
  });

  it('reaches a process that left the group (setsid) while it is below the program', async () => {
    const markerSleep = sleeper();
    const marker = `${markerSleep.path} 1000`;
    const child = spawnIsolated('sh', ['-c', `setsid ${marker} & ${marker} & wait`], { namespaces: ['uts'] });
    expect(await waitFor(() => markerSleep.pids().length === 2)).toBe(true);
    child.kill('SIGKILL');
    expect((await child.result).signal).toBe('SIGKILL');
    expect(await waitFor(() => markerSleep.pids().length === 0)).toBe(true);
  });

  it('newSession: false: the walk alone reaches the children, and Node’s own process group is left alone', async () => {
    const markerSleep = sleeper();
    const marker = `${markerSleep.path} 1000`;
    const child = spawnIsolated('sh', ['-c', `${marker} & ${marker} & wait`], { namespaces: ['uts'], newSession: false });
    expect(await waitFor(() => markerSleep.pids().length === 2)).toBe(true);
    child.kill('SIGTERM');
    expect((await child.result).signal).toBe('SIGTERM');
    expect(await waitFor(() => markerSleep.pids().length === 0)).toBe(true);
    expect(alive(process.pid)).toBe(true);
  });

  it('escapes: a daemon (new session, parent gone) is out of reach, and so is what outlives the program', async () => {
    const markerSleep = sleeper();
    const marker = `${markerSleep.path} 1000`;
    // setsid forks when it is a group leader: the daemon's parent is gone at once.
    const child = spawnIsolated('sh', ['-c', `(setsid ${marker} &) ; sleep 1000`], { namespaces: ['uts'], stdio: 'ignore' });
    try {
      expect(await waitFor(() => markerSleep.pids().length === 1)).toBe(true);
      const [daemon] = markerSleep.pids();
      child.kill('SIGKILL');
      await child.result;
      expect(alive(daemon)).toBe(true);
      // A background child the program leaves behind when it exits.
      const leftSleep = sleeper();
      const left = `${leftSleep.path} 1000`;
      await spawnIsolated('sh', ['-c', `${left} &`], { namespaces: ['uts'], stdio: 'ignore' }).result;
      // (it may not have exec'd its name yet when the shell is reaped)
      expect(await waitFor(() => leftSleep.pids().length === 1)).toBe(true);
    } finally {
      child.kill('SIGKILL'); // the escaped sleeps are killed by afterEach
    }
  });
});

describe('forceKillAfterDelay', () => {
  it('SIGKILL to the whole sandbox when killSignal did not end it within the delay', async () => {
    const markerSleep = sleeper();
    const marker = `${markerSleep.path} 1000`;
    const child = spawnIsolated('sh', ['-c', `trap "" TERM; ${marker} & wait; wait`], { namespaces: ['uts'], timeout: 300, forceKillAfterDelay: 300 });
    const r = await child.result;
    expect(r).toMatchObject({ signal: 'SIGKILL', timedOut: true });
    expect(await waitFor(() => markerSleep.pids().length === 0)).toBe(true);
  });

  it('false: only killSignal', async () => {
    const child = spawnIsolated('sh', ['-c', 'trap "" TERM; sleep 2'], { namespaces: ['uts'], timeout: 200, forceKillAfterDelay: false });
    const r = await child.result;
    expect(r).toMatchObject({ exitCode: 0, signal: null, timedOut: true });
  });

  it('refuses a bad value as a RangeError', () => {
    expect(() => spawnIsolated('true', [], { forceKillAfterDelay: -1 })).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], { forceKillAfterDelay: true as never })).toThrow(RangeError);
  });
});

describe('usage', () => {
  const ALLOC = 'my $s = "x" x (160 * 1024 * 1024); my $t = time; 1 while time - $t < 1; print length($s), "\\n"';

  // /usr/bin/time: Debian's `time` package (.ci/run installs it).
  itIf(fs.existsSync('/usr/bin/time'), 'needs /usr/bin/time (the time package)')('is plausible against /usr/bin/time -v for the same program', async () => {
    const out = execFileSync('sh', ['-c', `/usr/bin/time -v perl -e '${ALLOC}' 2>&1 >/dev/null`], { encoding: 'utf8' });
    const field = (name: string) => Number(new RegExp(`${name}: ([\\d.]+)`).exec(out)?.[1]);
    const refRss = field('Maximum resident set size \\(kbytes\\)') * 1024;
    const refCpuMs = (field('User time \\(seconds\\)') + field('System time \\(seconds\\)')) * 1000;
    const child = spawnIsolated('perl', ['-e', ALLOC], { namespaces: ['uts'] });
    expect(child.usage).toBeUndefined();
    const r = await child.result;
    expect(r.stdout).toBe(`${160 * 1024 * 1024}\n`);
    expect(child.usage).toEqual(r.usage);
    expect(r.usage.maxRssBytes).toBeGreaterThan(refRss * 0.8);
    // The vfork child runs on Node's memory until exec: Node's RSS is a floor (docs/resources.md).
    // ru_maxrss is the shared memory's high-water mark, so Node's own peak (not its current RSS) is the bound.
    expect(r.usage.maxRssBytes).toBeLessThan(Math.max(refRss, process.resourceUsage().maxRSS * 1024) * 1.25);
    const cpu = r.usage.cpuUserMs + r.usage.cpuSystemMs;
    expect(cpu).toBeGreaterThan(Math.min(refCpuMs, 1000) * 0.5);
    expect(r.usage.memoryPeakBytes).toBeUndefined();
  });
});
