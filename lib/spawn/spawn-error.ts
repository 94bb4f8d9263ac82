/**
 * A failed native spawn, as the error the user sees: Node's shape for a
 * program that cannot be exec'd, the step and op for a setup failure, and a
 * hint where the cause is known.
 * @internal
 * @module
 */
import { ErrorCodes, isNativeError, libraryError, systemError } from '../errors';
import type { NormalizedIsolation } from './options';
import { userNamespaceHint } from './userns-hint';

const ENOSYS = 38;
const ENOENT = 2;

/** The first kernel with each syscall the filesystem steps make (docs/filesystem.md, "Kernel minimums"). */
export const KERNEL_MINIMUMS: Readonly<Record<string, string>> = Object.freeze({
  open_tree: '5.2',
  move_mount: '5.2',
  fsopen: '5.2',
  fsconfig: '5.2',
  fsmount: '5.2',
  openat2: '5.6',
  statx: '5.8 (its mount id)',
  mount_setattr: '5.12',
});

function unsupportedHint(syscall: string | undefined): string {
  const version = syscall !== undefined ? KERNEL_MINIMUMS[syscall] : undefined;
  return `this kernel lacks ${syscall ?? 'a system call nsjs needs'}${version ? ` (Linux ${version})` : ''}; nsjs never makes a weaker mount instead`;
}

/** A failed setup op: its index, and its paths from the plan (no guessing from the step). */
function opError(errno: number, syscall: string | undefined, index: number, n: NormalizedIsolation) {
  const m = n.mounts;
  // The new root's /proc, added after the user's entries, is the mount-proc step to the user.
  if (index >= m.userOps) {
    const fields = { syscall, step: 'mount-proc', path: '/proc' };
    if (errno === ENOSYS) return systemError(errno, { ...fields, code: ErrorCodes.UNSUPPORTED, hint: unsupportedHint(syscall) });
    return systemError(errno, fields);
  }
  const paths = m.opPaths[index];
  const fields = { syscall, step: 'mounts', op: index, path: paths?.path, dest: paths?.dest };
  if (errno === ENOSYS) return systemError(errno, { ...fields, code: ErrorCodes.UNSUPPORTED, hint: unsupportedHint(syscall) });
  if (errno === ENOENT && syscall === 'openat2') {
    return systemError(errno, { ...fields, hint: "a missing target is made only on a tmpfs nsjs mounted (a 'tmpfs' root, a tmpfs, dev or tmpfs-upper overlay entry), never on the host's files: make it there first" });
  }
  return systemError(errno, fields);
}

/** A limit that could not be set: which one, and (EPERM) why. */
function rlimitError(errno: number, syscall: string | undefined, step: string, index: number, n: NormalizedIsolation) {
  const lim = n.rlimits[index];
  const what = `rlimits.${lim?.name} (soft ${lim?.soft}, hard ${lim?.hard})`;
  return systemError(errno, {
    syscall,
    step,
    hint: errno === EPERM ? `${what}: raising a hard limit needs CAP_SYS_RESOURCE on the host, and nofile may not exceed fs.nr_open` : what,
  });
}

const EPERM = 1;
const EACCES = 13;
const EAGAIN = 11;
const INIT_FORK_HINT = "the user's process limit (RLIMIT_NPROC) or the cgroup's pids.max was reached";
// ENOSPC covers both nesting depth and user.max_user_namespaces (EUSERS before Linux 4.9, older than nsjs needs).
const USERNS_REFUSALS = new Set([1 /* EPERM */, 13 /* EACCES */, 28 /* ENOSPC */]);
const STEP_PATHS: Record<string, string> = {
  'set-propagation': '/',
  'mount-proc': '/proc',
  'uid-map': '/proc/self/uid_map',
  setgroups: '/proc/self/setgroups',
  'gid-map': '/proc/self/gid_map',
  'time-offsets': '/proc/self/timens_offsets',
  'readonly-root': '/',
  'lock-mounts': '/proc/self/uid_map',
};
const FS_STEPS = new Set(['new-root', 'readonly-root', 'pivot-root', 'lock-mounts']);

/** @internal Turns a failed native spawn into the error the user sees. */
export function spawnError(e: unknown, n: NormalizedIsolation, initPath: string | undefined): unknown {
  if (!isNativeError(e)) return e;
  const step = e.nativeStep;
  const errno = e.nativeErrno;
  if (step === 'exec') {
    // Exactly as child_process reports a missing or non-executable program.
    const err = systemError(errno, { syscall: `spawn ${n.exec.command}`, path: n.exec.command, spawnargs: n.exec.args, step });
    err.message = `spawn ${n.exec.command} ${err.code}`;
    return err;
  }
  if (step === 'init' && errno === 0) {
    return libraryError(ErrorCodes.INIT_FAILED, 'nsjs-init ended before it could start the program', { step });
  }
  if (step === 'mounts' && e.nativeOp !== undefined) return opError(e.nativeErrno, e.nativeSyscall, e.nativeOp, n);
  if ((step === 'rlimits' || step === 'set-rlimits') && e.nativeOp !== undefined) return rlimitError(e.nativeErrno, e.nativeSyscall, step, e.nativeOp, n);
  const fields = {
    syscall: e.nativeSyscall,
    step,
    path:
      step === 'chdir' ? n.exec.cwd
      : step === 'exec-init' ? initPath
      : step === 'new-root' ? n.mounts.rootfsPath
      : step ? STEP_PATHS[step] : undefined,
    // nsjs-init's fork of the program hit a process limit (fork says EAGAIN for those).
    hint: step === 'init' && errno === EAGAIN ? INIT_FORK_HINT : undefined,
  };
  // newuidmap/newgidmap refused a map: /etc/subuid or /etc/subgid is what to change.
  if ((step === 'uid-map' || step === 'gid-map') && n.identity.uidMapHelper !== undefined) {
    const file = step === 'uid-map' ? '/etc/subuid' : '/etc/subgid';
    const map = step === 'uid-map' ? 'uidMap' : 'gidMap';
    return systemError(errno, { syscall: e.nativeSyscall, step, path: file, code: ErrorCodes.USERNS_UNAVAILABLE, hint: `${e.nativeSyscall} refused the map: ${file} must give this user (uid ${process.geteuid?.()}) every outside range of ${map} except its own id` });
  }
  // clone3 into the sandbox's cgroup v2: the kernel moves a process only where the caller may write the
  // cgroup.procs of both cgroups' common ancestor (for a user: inside its delegated subtree).
  if (e.nativeSyscall === 'clone3' && (errno === EACCES || errno === EPERM)) {
    return systemError(errno, {
      ...fields,
      code: ErrorCodes.UNSUPPORTED,
      hint: `the kernel refused to start the sandbox inside its cgroup${n.limits?.parent !== undefined ? ` under ${n.limits.parent}` : ''}: a process may be moved only within a subtree whose top cgroup.procs the caller may write (for a user, the cgroup systemd delegated to it, which Node must run in)`,
    });
  }
  const userns = n.namespaces.created.includes('user');
  const refused =
    (step === 'clone' && userns && USERNS_REFUSALS.has(errno)) ||
    ((step === 'uid-map' || step === 'setgroups' || step === 'gid-map') && errno === EPERM);
  if (refused) return systemError(errno, { ...fields, code: ErrorCodes.USERNS_UNAVAILABLE, hint: userNamespaceHint(errno) });
  if (errno === ENOSYS && FS_STEPS.has(step ?? '')) return systemError(errno, { ...fields, code: ErrorCodes.UNSUPPORTED, hint: unsupportedHint(fields.syscall) });
  return systemError(errno, fields);
}

