/**
 * The util-linux `unshare` line for a sandbox. unshare makes the namespaces
 * and maps; what it has no flag for (hostname, `lo` up, no_new_privs, a new
 * session) is done by a small `sh -c` prefix where a tool for it is standard.
 * @internal
 * @module
 */
import type { NormalizedIsolation } from '../spawn/options';
import { shellLine, type Equivalent } from './quote';

const FLAGS: Record<string, string> = { pid: '--pid', mount: '--mount', uts: '--uts', ipc: '--ipc', net: '--net', user: '--user', cgroup: '--cgroup', time: '--time' };
const PROPAGATION: Record<number, string> = { 0: 'unchanged', [0x4000 | (1 << 18)]: 'private', [0x4000 | (1 << 19)]: 'slave', [0x4000 | (1 << 20)]: 'shared' };

export function unshareLine(n: NormalizedIsolation): Equivalent {
  const created = n.namespaces.created;
  const argv = ['unshare', ...created.map((t) => FLAGS[t])];
  const cannot: string[] = [];
  if (created.includes('pid')) argv.push('--fork', '--kill-child');
  if (n.mounts.mountProc) argv.push('--mount-proc');
  if (created.includes('mount')) argv.push(`--propagation=${PROPAGATION[n.mounts.propagation] ?? 'private'}`);
  if (created.includes('user') && n.identity.uidMap) {
    if (n.identity.mapsByParent) {
      // Host root's unprivileged ids: the parent writes the map, then the program takes its ids.
      const [uin, uout, ucount] = n.identity.uidMap.trim().split(/\s+/);
      const [gin, gout, gcount] = (n.identity.gidMap ?? '').trim().split(/\s+/);
      argv.push(`--map-users=${uout},${uin},${ucount}`, `--map-groups=${gout},${gin},${gcount}`, `--setuid=${n.identity.uid}`, `--setgid=${n.identity.gid}`);
      cannot.push('unshare writes these maps with newuidmap(1)/newgidmap(1) (Debian uidmap), and keeps supplementary groups');
    } else {
      argv.push(`--map-user=${n.identity.uid}`, `--map-group=${n.identity.gid}`);
    }
  }
  if (!n.exec.inheritsEnv) cannot.push('env: unshare passes its own environment (run it under env -i …)');
  if (n.timeOffsets) {
    for (const line of n.timeOffsets.trim().split('\n')) {
      const [clock, sec] = line.split(' ');
      argv.push(`--${clock}=${sec}`);
    }
  }
  if (n.namespaces.joined.length) cannot.push('join: unshare only creates namespaces (nsenter joins them)');
  if (n.mounts.ops.length) cannot.push('mounts: unshare has no mount flags (run mount(8) inside)');
  if (n.mounts.rootfs !== 0 || n.mounts.readonlyRoot) cannot.push('rootfs: unshare has no new root (run pivot_root(8) inside, or use bwrap)');
  if (n.lifecycle.init) cannot.push('init: with --fork the program itself is PID 1 (no reaper, SIGTERM without a handler is ignored)');
  if (n.lifecycle.dieWithParent) cannot.push('dieWithParent: --kill-child ends the program when unshare dies, not when the caller does');
  if (n.privileges.capabilities !== undefined) cannot.push('capabilities: unshare keeps every one (setpriv --bounding-set/--inh-caps/--ambient-caps could cut them)');
  if (n.privileges.seccompFilter !== undefined) cannot.push('seccomp: unshare loads no filter');
  if (n.landlock !== undefined) cannot.push('landlock: unshare applies no Landlock rules');
  if (n.rlimits.length) cannot.push(`rlimits: run it under prlimit ${n.rlimits.map((r) => `--${r.name}=${limitText(r.soft)}:${limitText(r.hard)}`).join(' ')} --`);
  if (n.limits !== undefined) {
    const limited = n.limits.memory !== undefined || n.limits.pids !== undefined || n.limits.cpu !== undefined;
    cannot.push(limited ? 'limits: unshare makes no cgroup (run it under systemd-run --scope -p MemoryMax=… -p TasksMax=… -p CPUQuota=…)' : 'cgroup: unshare makes no cgroup (run it under systemd-run --scope, which gives it one)');
  }
  // What has a standard tool: a prefix that runs before the program.
  const prefix: string[] = [];
  if (n.uts.hostname !== undefined) prefix.push(`hostname ${shellLine([n.uts.hostname])}`);
  if (n.uts.domainname !== undefined) prefix.push(`domainname ${shellLine([n.uts.domainname])}`);
  if (n.loopbackUp) prefix.push('ip link set lo up');
  const tail: string[] = [];
  if (n.lifecycle.newSession) tail.push('setsid');
  if (n.lifecycle.noNewPrivs) tail.push('setpriv', '--no-new-privs');
  if (n.exec.cwd !== undefined) cannot.push(`cwd: run it from ${n.exec.cwd}`);
  argv.push('--');
  if (n.exec.argv[0] !== n.exec.command) cannot.push(`argv0: unshare runs ${n.exec.command} as argv[0]`);
  const program = [...tail, n.exec.command, ...n.exec.args];
  if (prefix.length) argv.push('sh', '-c', `${prefix.join(' && ')} && exec "$@"`, 'sh', ...program);
  else argv.push(...program);
  return { argv, line: shellLine(argv), cannot };
}

/** prlimit(1)'s spelling of one limit: a number, or unlimited. */
function limitText(v: number): string {
  return Number.isFinite(v) && v < 2 ** 63 ? String(v) : 'unlimited';
}
