/**
 * The bubblewrap line for a sandbox. bwrap always makes a mount namespace
 * and builds its root on a tmpfs: nsjs's default root, the host's tree, is
 * bound whole (`--dev-bind / /`); a `'tmpfs'` root is bwrap's own; a
 * directory root is bound on `/`.
 * @internal
 * @module
 */
import { CAPABILITY_NAMES } from '../spawn/options/capabilities';
import type { NormalizedIsolation } from '../spawn/options';
import { shellLine, type Equivalent } from './quote';

export function bwrapLine(n: NormalizedIsolation): Equivalent {
  const created = n.namespaces.created;
  const argv = ['bwrap'];
  const cannot: string[] = [];
  for (const t of ['user', 'pid', 'uts', 'ipc', 'net', 'cgroup'] as const) if (created.includes(t)) argv.push(`--unshare-${t}`);
  if (!created.includes('mount')) cannot.push('no mount namespace: bwrap always makes one');
  if (created.includes('time')) cannot.push('time namespace: bwrap has none');
  // bwrap's own root is always an empty tmpfs: nsjs's 'tmpfs' root is that; the host's tree or a directory is bound on it.
  const m = n.mounts;
  if (m.rootfs === 0) argv.push('--dev-bind', '/', '/');
  else if (m.rootfs === 2) argv.push('--bind', m.rootfsPath as string, '/');
  if (m.mountProc) argv.push('--proc', '/proc');
  if (m.propagation !== 0x4000 + (1 << 18)) cannot.push("propagation: bwrap makes the mounts it copies slaves of the host's, always");
  let layers: string[] = [];
  for (const op of m.ops) {
    const param = (key: string) => op.params.find(([k]) => k === key)?.[1] ?? undefined;
    switch (op.kind) {
      case 'tmpfs': {
        const size = param('size');
        const mode = param('mode');
        if (size) argv.push('--size', size);
        if (mode && mode !== '755') argv.push('--perms', mode.padStart(4, '0'));
        argv.push('--tmpfs', op.target);
        break;
      }
      case 'dir':
        argv.push('--perms', op.mode.toString(8).padStart(4, '0'), '--dir', op.target);
        break;
      case 'bind':
        argv.push(`--${op.readonly ? 'ro-' : ''}bind${op.optional ? '-try' : ''}`, op.source as string, op.target);
        break;
      case 'proc':
      case 'mqueue':
      case 'dev':
        argv.push(`--${op.kind}`, op.target);
        break;
      case 'symlink':
        argv.push('--symlink', op.source as string, op.target);
        break;
      case 'file':
        cannot.push(`file ${op.target}: bwrap reads content from an fd (--file FD DEST, --ro-bind-data FD DEST)`);
        break;
      case 'overlay': {
        layers = (param('lowerdir') ?? '').split(/(?<!\\):/).map((l) => l.replace(/\\(.)/g, '$1'));
        // bwrap lists layers bottom first; overlayfs's lowerdir is top first.
        for (const l of [...layers].reverse()) argv.push('--overlay-src', l);
        if (op.tmpUpper) argv.push('--tmp-overlay', op.target);
        else if (param('upperdir') === undefined) argv.push('--ro-overlay', op.target);
        else argv.push('--overlay', param('upperdir') as string, param('workdir') as string, op.target);
        break;
      }
    }
  }
  if (m.readonlyRoot) argv.push('--remount-ro', '/');
  if (n.uts.hostname !== undefined) argv.push('--hostname', n.uts.hostname);
  if (n.uts.domainname !== undefined) cannot.push('domainname: bwrap has no flag for it');
  if (n.identity.setIdentity || (created.includes('user') && n.identity.uidMap)) argv.push('--uid', String(n.identity.uid), '--gid', String(n.identity.gid));
  if (n.identity.mapsByParent) cannot.push("host root's unprivileged ids: bwrap, run as root, maps root to root (use it unprivileged, or --userns)");
  if (n.rlimits.length) cannot.push(`rlimits: run it under prlimit ${n.rlimits.map((r) => `--${r.name}=${limitText(r.soft)}:${limitText(r.hard)}`).join(' ')} --`);
  if (n.limits !== undefined) {
    const limited = n.limits.memory !== undefined || n.limits.pids !== undefined || n.limits.cpu !== undefined;
    cannot.push(limited ? 'limits: bwrap makes no cgroup (run it under systemd-run --scope -p MemoryMax=… -p TasksMax=… -p CPUQuota=…)' : 'cgroup: bwrap makes no cgroup (run it under systemd-run --scope, which gives it one)');
  }
  if (n.namespaces.joined.length) cannot.push(`join: bwrap joins only user and PID namespaces (--userns FD, --pidns FD); asked: ${n.namespaces.joined.map((j) => j.type).join(', ')}`);
  if (n.lifecycle.dieWithParent) argv.push('--die-with-parent');
  if (n.lifecycle.newSession) argv.push('--new-session');
  if (!n.lifecycle.noNewPrivs) cannot.push('noNewPrivileges: false: bwrap always sets no_new_privs');
  const caps = n.privileges.capabilities;
  if (caps !== undefined) argv.push('--cap-drop', 'ALL', ...caps.flatMap((c) => ['--cap-add', `CAP_${CAPABILITY_NAMES[c]}`]));
  if (n.privileges.seccompFilter !== undefined) cannot.push('seccomp: bwrap loads a compiled filter from an fd (--seccomp FD), which a command line cannot hold');
  if (n.landlock !== undefined) cannot.push('landlock: bwrap applies no Landlock rules');
  if (!n.loopbackUp && created.includes('net')) cannot.push('loopback: false: bwrap always brings lo up');
  if (!n.lifecycle.init && created.includes('pid')) argv.push('--as-pid-1');
  if (n.exec.cwd !== undefined) argv.push('--chdir', n.exec.cwd);
  if (!n.exec.inheritsEnv) {
    argv.push('--clearenv');
    for (const kv of n.exec.envp) {
      const i = kv.indexOf('=');
      argv.push('--setenv', kv.slice(0, i), kv.slice(i + 1));
    }
  }
  if (n.exec.argv[0] !== n.exec.command) argv.push('--argv0', n.exec.argv[0]);
  argv.push('--', n.exec.command, ...n.exec.args);
  return { argv, line: shellLine(argv), cannot };
}

/** prlimit(1)'s spelling of one limit: a number, or unlimited. */
function limitText(v: number): string {
  return Number.isFinite(v) && v < 2 ** 63 ? String(v) : 'unlimited';
}
