// Bad input at every public entry point: a clear TypeError/RangeError (or a
// library refusal) before any syscall, and never a crash. Each batch runs in
// a throwaway node so that a crash would show as a signal, not take jest down.
import { execFileSync } from 'node:child_process';

import { commandExists } from '../helpers/env';
import { expectClean, runNode } from '../helpers/run-node';

interface Outcome {
  name: string;
  threw: boolean;
  ctor?: string;
  code?: string;
  message?: string;
}

// Cases: [label, expression, expected constructor, expected code]
const cases: [string, string, string, string][] = [
  ['unshare string', "nsjs.unshare('x')", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['unshare -1', 'nsjs.unshare(-1)', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['unshare 1.5', 'nsjs.unshare(1.5)', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['unshare NaN', 'nsjs.unshare(NaN)', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['unshare 2**53', 'nsjs.unshare(2**53)', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['unshare 1<<31', 'nsjs.unshare(1<<31)', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['unshare bigint', 'nsjs.unshare(10n)', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['unshare CLONE_NEWUTS|2', 'nsjs.unshare(nsjs.CLONE_NEWUTS | 2)', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['unshare CLONE_VM', 'nsjs.unshare(0x100)', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['unshare []', 'nsjs.unshare([])', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['unshare null', 'nsjs.unshare(null)', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['unshare user', "nsjs.unshare('user')", 'NamespaceError', 'ERR_NSJS_USERNS_IN_PROCESS'],
  ['unshare pid', "nsjs.unshare(['pid'])", 'NamespaceError', 'ERR_NSJS_PIDNS_IN_PROCESS'],
  ['unshare bad propagation', "nsjs.unshare('mount', { propagation: 'sideways' })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['unshare propagation 1', "nsjs.unshare('mount', { propagation: 1 })", 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['spawnIsolated bad propagation', "nsjs.spawnIsolated('ls', [], { propagation: 'sideways' })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['unshare options string', "nsjs.unshare('uts', 'x')", 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['setns {}', 'nsjs.setns({})', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['setns -1', 'nsjs.setns(-1)', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['setns NUL path', "nsjs.setns('/proc/self/ns/net\\0x')", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['setns bad type name', "nsjs.setns('/proc/self/ns/net', 'network')", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['setns user by name', "nsjs.setns('/proc/self/ns/user', 'user')", 'NamespaceError', 'ERR_NSJS_USERNS_IN_PROCESS'],
  ['setns user by fd', "nsjs.setns(require('fs').openSync('/proc/self/ns/user', 'r'))", 'NamespaceError', 'ERR_NSJS_USERNS_IN_PROCESS'],
  ['setns pid by name', "nsjs.setns({ pid: process.pid, namespace: 'pid' })", 'NamespaceError', 'ERR_NSJS_PIDNS_IN_PROCESS'],
  ['setns missing path', "nsjs.setns('/proc/999999999/ns/net', 'net')", 'NamespaceError', 'ENOENT'],
  ['setns regular file', "nsjs.setns('/etc/passwd')", 'NamespaceError', 'EINVAL'],
  ['setns directory', "nsjs.setns('/proc')", 'NamespaceError', 'EINVAL'],
  ['setns FIFO (refused before it is opened: no hang)', "const p = require('os').tmpdir() + '/nsjs-fifo-' + process.pid; require('child_process').execFileSync('mkfifo', [p]); try { nsjs.setns(p, 'net'); } finally { require('fs').unlinkSync(p); }", 'NamespaceError', 'EINVAL'],
  ['join FIFO (refused before it is opened: no hang)', "const p = require('os').tmpdir() + '/nsjs-fifo-j' + process.pid; require('child_process').execFileSync('mkfifo', [p]); try { nsjs.clone({ command: 'true', namespaces: [], join: { net: p } }); } finally { require('fs').unlinkSync(p); }", 'NamespaceError', 'EINVAL'],
  ['setns closed fd', 'nsjs.setns(987654)', 'NamespaceError', 'EBADF'],
  ['setns pid NaN', "nsjs.setns({ pid: NaN, namespace: 'net' })", 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['sethostname 123', 'nsjs.sethostname(123)', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['sethostname 65 bytes', "nsjs.sethostname('a'.repeat(65))", 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['sethostname 40 chars, 80 bytes', "nsjs.sethostname('é'.repeat(40))", 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['sethostname NUL', "nsjs.sethostname('a\\0b')", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['setdomainname {}', 'nsjs.setdomainname({})', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['mountProc NUL', "nsjs.mountProc('/proc\\0')", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['mountProc 1', 'nsjs.mountProc(1)', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['namespaceIds -1', 'nsjs.namespaceIds(-1)', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['nsPids string', "nsjs.nsPids('1')", 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['spawnIsolated null', 'nsjs.spawnIsolated(null)', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['spawnIsolated empty', "nsjs.spawnIsolated('')", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated NUL command', "nsjs.spawnIsolated('ls\\0-la')", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated args string', "nsjs.spawnIsolated('ls', 'notArray')", 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['spawnIsolated args [1, {}]', "nsjs.spawnIsolated('ls', [1, {}])", 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['spawnIsolated NUL arg', "nsjs.spawnIsolated('ls', ['a\\0b'])", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated NUL env key', "nsjs.spawnIsolated('ls', [], { env: { 'A\\0': 'x' } })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated NUL env value', "nsjs.spawnIsolated('ls', [], { env: { A: 'x\\0y' } })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated NUL cwd', "nsjs.spawnIsolated('ls', [], { cwd: '/tmp\\0' })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated NUL argv0', "nsjs.spawnIsolated('ls', [], { argv0: 'a\\0' })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated NUL hostname', "nsjs.spawnIsolated('ls', [], { hostname: 'a\\0b' })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated long hostname', "nsjs.spawnIsolated('ls', [], { hostname: 'x'.repeat(65) })", 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['spawnIsolated hostname without uts', "nsjs.spawnIsolated('ls', [], { hostname: 'x', namespaces: ['net'] })", 'NamespaceError', 'ERR_NSJS_REQUIRES_NAMESPACE'],
  ['spawnIsolated mountProc without mount', "nsjs.spawnIsolated('ls', [], { mountProc: true, namespaces: ['pid'] })", 'NamespaceError', 'ERR_NSJS_REQUIRES_NAMESPACE'],
  ['spawnIsolated loopback without net', "nsjs.spawnIsolated('ls', [], { loopback: true, namespaces: ['uts'] })", 'NamespaceError', 'ERR_NSJS_REQUIRES_NAMESPACE'],
  ['spawnIsolated init without pid', "nsjs.spawnIsolated('ls', [], { init: true, namespaces: ['uts'] })", 'NamespaceError', 'ERR_NSJS_REQUIRES_NAMESPACE'],
  ['spawnIsolated offsets without time', "nsjs.spawnIsolated('ls', [], { timeOffsets: { boottime: 1 } })", 'NamespaceError', 'ERR_NSJS_REQUIRES_NAMESPACE'],
  ['spawnIsolated offsets NaN', "nsjs.spawnIsolated('ls', [], { namespaces: ['time'], timeOffsets: { boottime: NaN } })", 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['spawnIsolated unknown namespace', "nsjs.spawnIsolated('ls', [], { namespaces: ['network'] })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated uid -1', "nsjs.spawnIsolated('ls', [], { namespaces: ['user'], user: { uid: -1 } })", 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['spawnIsolated uid (uid_t)-1', "nsjs.spawnIsolated('ls', [], { namespaces: ['user'], user: { uid: 4294967295 } })", 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['spawnIsolated uid 2**32', "nsjs.spawnIsolated('ls', [], { namespaces: ['user'], user: { uid: 2**32 } })", 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['spawnIsolated uid Infinity', "nsjs.spawnIsolated('ls', [], { namespaces: ['user'], user: { gid: Infinity } })", 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['spawnIsolated user x', "nsjs.spawnIsolated('ls', [], { namespaces: ['user'], user: 'x' })", 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['spawnIsolated stdio ipc', "nsjs.spawnIsolated('ls', [], { stdio: ['ipc'] })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated stdio -1', "nsjs.spawnIsolated('ls', [], { stdio: [-1] })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated stdio object', "nsjs.spawnIsolated('ls', [], { stdio: [{}] })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['spawnIsolated timeout -1', "nsjs.spawnIsolated('ls', [], { timeout: -1 })", 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['spawnIsolated killSignal', "nsjs.spawnIsolated('ls', [], { killSignal: 'SIGNOPE' })", 'TypeError', 'ERR_UNKNOWN_SIGNAL'],
  ['spawnIsolated signal', "nsjs.spawnIsolated('ls', [], { signal: {} })", 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['spawnIsolated cloneStrategy', "nsjs.spawnIsolated('ls', [], { cloneStrategy: 'spoon' })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
  ['clone no options', 'nsjs.clone()', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['clone stdio NaN', "nsjs.clone({ command: 'ls', stdio: [NaN] })", 'TypeError', 'ERR_INVALID_ARG_VALUE'],
];

const fixture = (list: typeof cases) => `
  const results = [];
  for (const [name, expr] of ${JSON.stringify(list.map(([n, e]) => [n, e]))}) {
    try {
      const out = eval(expr);
      if (out && typeof out.on === 'function') out.on('error', () => {});
      results.push({ name, threw: false });
    } catch (e) {
      results.push({ name, threw: true, ctor: e.constructor.name, code: e.code, message: e.message });
    }
  }
  report(results);`;

describe('bad input', () => {
  it('every case throws the right class and code, and the process ends normally', async () => {
    const run = await runNode(fixture(cases));
    expectClean(run);
    const byName = new Map((run.json as Outcome[]).map((o) => [o.name, o]));
    for (const [name, , ctor, code] of cases) {
      expect({ name, ...byName.get(name) }).toMatchObject({ name, threw: true, ctor, code });
    }
  });

  it('makes no namespace syscall for any of them (strace)', async () => {
    if (!commandExists('strace')) throw new Error('strace is needed (installed by .ci/run)');
    const refusals = cases.filter(([, , , code]) => !['ENOENT', 'EINVAL', 'EBADF'].includes(code));
    const run = await runNode(fixture(refusals), {
      wrap: ['strace', '-f', '-qq', '-e', 'trace=unshare,setns,sethostname,setdomainname,mount', '--'],
    });
    expectClean(run);
    expect(run.stderr.split('\n').filter((l) => /\b(unshare|setns|sethostname|setdomainname|mount)\(/.test(l))).toEqual([]);
  });

  it('1,000 failing setns calls leave the fd count unchanged', async () => {
    const run = await runNode(`
      const count = () => require('fs').readdirSync('/proc/self/fd').length;
      const before = count();
      for (let i = 0; i < 1000; i++) {
        for (const t of ['/etc/passwd', '/proc/999999999/ns/net', '/proc']) { try { nsjs.setns(t); } catch {} }
      }
      report({ before, after: count() });`);
    expectClean(run);
    expect(run.json.after).toBe(run.json.before);
  });

  it('error messages say what was wrong', () => {
    const out = execFileSync(process.execPath, ['-e', `
      const nsjs = require(${JSON.stringify(require.resolve('../../dist/index.js'))});
      for (const f of [() => nsjs.unshare('user'), () => nsjs.sethostname('é'.repeat(40)), () => nsjs.spawnIsolated('ls', [], { hostname: 'x', namespaces: ['net'] })]) {
        try { f(); } catch (e) { console.log(e.message); }
      }`], { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: process.env.NSJS_SANITIZER_PRELOAD ?? '' } });
    expect(out).toMatch(/spawnIsolated/);
    expect(out).toMatch(/at most 64 bytes/);
    expect(out).toMatch(/needs a new 'uts' namespace/);
  });
});
