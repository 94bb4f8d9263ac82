// Faults half-way: make each setup syscall fail in turn (strace fault
// injection, attached to a running Node so that Node's own start-up is not
// hit; strace counts calls per process, so `when=N` lands in the clone child).
// Each must reject with the right step and code, report no exit, and leave no
// process or fd behind.
import { spawn } from 'node:child_process';

import { commandExists, DIST, isHostRoot, isUsernsRoot, itIf } from '../helpers/env';

const test = itIf((isHostRoot || isUsernsRoot) && commandExists('strace'), 'needs root (ptrace of the fixture) and strace');

const fixture = (options: string) => `
const nsjs = require(${JSON.stringify(DIST)});
const fs = require('fs');
const count = () => fs.readdirSync('/proc/self/fd').length;
const children = () => fs.readdirSync('/proc/self/task').map((t) => fs.readFileSync('/proc/self/task/' + t + '/children', 'utf8').trim()).join('');
process.stdin.once('data', () => {
  const before = count();
  const events = [];
  const c = nsjs.spawnIsolated('/bin/true', [], { stdio: 'inherit', hostname: 'faulty', ...${options} });
  c.on('exit', (code, signal) => events.push(['exit', code, signal]));
  c.on('error', (e) => events.push(['error', e.code, e.step, e.syscall, e.errno]));
  setTimeout(() => { process.stdout.write(JSON.stringify({ events, fdsBefore: before, fdsAfter: count(), children: children() }) + '\\n'); process.exit(0); }, 300);
});
// Warm up first: the addon opens a pidfd of this process once, on the first spawn.
nsjs.spawnIsolated('/bin/true', [], { stdio: 'ignore' }).on('exit', () => process.stdout.write('ready\\n'));`;

/** Runs the fixture with strace attached once it is ready, then lets it spawn. */
function withFault(inject: string, options = '{}'): Promise<any> {
  return new Promise((resolve, reject) => {
    const node = spawn(process.execPath, ['-e', fixture(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let strace: ReturnType<typeof spawn> | undefined;
    node.stdout.on('data', (d) => {
      out += d;
      if (out === 'ready\n' && !strace) {
        // The id-map files are opened with openat, as is everything Node opens:
        // -P confines tracing, and so injection, to those paths.
        const paths = inject.startsWith('openat') ? ['/proc/self/uid_map', '/proc/self/setgroups', '/proc/self/gid_map'].flatMap((p) => ['-P', p]) : [];
        strace = spawn('strace', ['-qq', '-f', '-p', String(node.pid), ...paths, '-o', '/dev/null', '-e', `inject=${inject}`], { stdio: 'ignore' });
        setTimeout(() => node.stdin.write('go\n'), 400);
      }
    });
    node.on('exit', () => {
      strace?.kill();
      try {
        resolve(JSON.parse(out.split('\n').filter(Boolean).pop()!));
      } catch (e) {
        reject(new Error(`fixture said: ${out} (${e})`));
      }
    });
  });
}

const cases: [string, string, string, string, string][] = [
  // [inject, spawn options, expected code, step, syscall]
  ['clone:error=EAGAIN', '{}', 'EAGAIN', 'clone', 'clone'],
  ['prctl:error=EPERM:when=1', '{}', 'EPERM', 'die-with-parent', 'prctl'],
  ['openat:error=EPERM:when=1', "{ namespaces: ['user', 'uts'] }", 'ERR_NSJS_USERNS_UNAVAILABLE', 'uid-map', 'open'],
  ['openat:error=EPERM:when=2', "{ namespaces: ['user', 'uts'] }", 'ERR_NSJS_USERNS_UNAVAILABLE', 'setgroups', 'open'],
  ['openat:error=EPERM:when=3', "{ namespaces: ['user', 'uts'] }", 'ERR_NSJS_USERNS_UNAVAILABLE', 'gid-map', 'open'],
  ['mount:error=EPERM:when=1', '{}', 'EPERM', 'set-propagation', 'mount'],
  ['mount:error=EPERM:when=2', '{}', 'EPERM', 'mount-proc', 'mount'],
  ['sethostname:error=EPERM', '{}', 'EPERM', 'sethostname', 'sethostname'],
  ['ioctl:error=EPERM:when=2', '{}', 'EPERM', 'loopback-up', 'ioctl'],
  ['setsid:error=EPERM', '{}', 'EPERM', 'setsid', 'setsid'],
  ['prctl:error=EPERM:when=2', '{}', 'EPERM', 'no-new-privs', 'prctl'],
  ['chdir:error=EACCES', "{ cwd: '/tmp' }", 'EACCES', 'chdir', 'chdir'],
  ['dup3:error=EMFILE:when=1', '{}', 'EMFILE', 'stdio', 'dup3'],
  ['close_range:error=EINVAL', '{}', 'EINVAL', 'close-fds', 'close_range'],
  ['execve:error=EACCES:when=1', '{ init: false }', 'EACCES', 'exec', 'spawn /bin/true'],
  ['execve:error=ENOEXEC:when=1', '{}', 'ENOEXEC', 'exec-init', 'execve'],
];

describe('a setup syscall that fails half-way', () => {
  for (const [inject, options, code, step, syscall] of cases) {
    test(`${inject} → step ${step}, ${code}, nothing left behind`, async () => {
      const r = await withFault(inject, options);
      expect(r.events).toEqual([['error', code, step, syscall, expect.any(Number)]]);
      expect(r.fdsAfter).toBe(r.fdsBefore);
      expect(r.children).toBe('');
    });
  }
});
