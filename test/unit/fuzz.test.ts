// Property-based fuzzing of every public entry point that reaches native code
// (fast-check), in a throwaway node inside throwaway namespaces: whatever the
// input, the result is a value or a TypeError/RangeError/NamespaceError, and
// the process never crashes. CI runs NSJS_FUZZ_RUNS (default 300) inputs per
// entry point; `NSJS_FUZZ_RUNS=100000 npx jest test/unit/fuzz` runs more.
import { commandExists, isRootless } from '../helpers/env';
import { expectClean, runNode } from '../helpers/run-node';

const RUNS = Number(process.env.NSJS_FUZZ_RUNS ?? 300);
// A new seed each run, printed in the test's name and in any failure:
// NSJS_FUZZ_SEED=<seed> (with the same NSJS_FUZZ_RUNS) replays the run.
const SEED = process.env.NSJS_FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.NSJS_FUZZ_SEED);
if (!Number.isSafeInteger(SEED)) throw new Error(`NSJS_FUZZ_SEED must be an integer, not ${process.env.NSJS_FUZZ_SEED}`);
const REPLAY = `replay: NSJS_FUZZ_SEED=${SEED} NSJS_FUZZ_RUNS=${RUNS}`;

// Namespaces of its own first, so a call that happens to succeed changes
// nothing of the host (rootless: the kernel refuses such calls anyway).
const wrap = !isRootless && commandExists('unshare')
  ? ['unshare', '--uts', '--ipc', '--net', '--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--', 'sh', '-c', '"$@"; exit $?', 'sh']
  : [];

describe('fuzzing', () => {
  it(`${RUNS} random inputs per entry point: no crash, only Node-style errors (${REPLAY})`, async () => {
    const run = await runNode(`
      const fc = require(${JSON.stringify(require.resolve('fast-check'))});
      const ok = (e) => e instanceof TypeError || e instanceof RangeError || e instanceof nsjs.NamespaceError;
      const bad = [];
      const children = [];
      const value = fc.oneof(
        fc.anything({ withBigInt: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true }),
        fc.constantFrom(NaN, Infinity, -Infinity, -1, 0, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 31), 4294967295, 10n, '\\0', 'a\\0b', '/proc/self/ns/net', 'net', 'pid', 'user', 'mount', 'é'.repeat(40)),
        fc.array(fc.constantFrom('pid', 'mount', 'uts', 'ipc', 'net', 'user', 'cgroup', 'time', 'x', 1, null)),
        fc.integer(), fc.double(), fc.string(),
      );
      // Commands come from a fixed set: a random string must never name a real program.
      const command = fc.constantFrom('/bin/true', 'true', '/nonexistent/x', '', 'a\\0b', 1, null);
      const options = fc.oneof(value, fc.record({
        namespaces: value, hostname: value, domainname: value, user: value, mountProc: value, loopback: value,
        propagation: value, timeOffsets: value, init: value, dieWithParent: value, newSession: value,
        noNewPrivileges: value, cwd: value, env: value, argv0: value, stdio: value, timeout: value,
        killSignal: value, cloneStrategy: value, encoding: value, maxBuffer: value,
      }, { requiredKeys: [] }));
      const targets = {
        unshare: fc.tuple(value, value).map(([a, b]) => () => nsjs.unshare(a, b)),
        setns: fc.tuple(value, value, value).map(([a, b, c]) => () => nsjs.setns(a, b, c)),
        sethostname: fc.tuple(value, value).map(([a, b]) => () => nsjs.sethostname(a, b)),
        setdomainname: fc.tuple(value, value).map(([a, b]) => () => nsjs.setdomainname(a, b)),
        mountProc: fc.tuple(value, value).map(([a, b]) => () => nsjs.mountProc(typeof a === 'string' ? '/nonexistent/' + a : a, b)),
        namespaceIds: value.map((a) => () => nsjs.namespaceIds(a)),
        nsPids: value.map((a) => () => nsjs.nsPids(a)),
        spawnIsolated: fc.tuple(command, value, options).map(([c, a, o]) => () => children.push(nsjs.spawnIsolated(c, a, o))),
        clone: fc.tuple(command, options).map(([c, o]) => () => children.push(nsjs.clone(o && typeof o === 'object' ? { ...o, command: c } : o))),
      };
      for (const [name, arb] of Object.entries(targets)) {
        fc.assert(fc.property(arb, (call) => {
          try { call(); } catch (e) { if (!ok(e)) bad.push({ name, error: String(e && e.stack || e) }); }
          return true;
        }), { numRuns: ${RUNS}, seed: ${SEED} });
      }
      for (const c of children) { c.on?.('error', () => {}); c.kill?.('SIGKILL'); }
      report({ bad: bad.slice(0, 5), count: bad.length, spawned: children.length });`, { wrap, timeoutMs: 120000 });
    try {
      expectClean(run);
      expect(run.json.bad).toEqual([]);
    } catch (e) {
      (e as Error).message = `${REPLAY}\n${(e as Error).message}`;
      throw e;
    }
  }, 180000);
});
