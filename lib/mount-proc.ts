/**
 * In-process mount of a fresh procfs.
 * @module
 */
import * as fs from 'node:fs';

import { binding } from './binding';
import { callNative, ErrorCodes, fromFsError, libraryError } from './errors';
import { refuseInHostNamespace } from './host-namespace';
import { containingMount } from './mountinfo';
import type { HostNamespaceOptions } from './hostname';
import { validateString } from './validate';

/**
 * Mounts a fresh procfs on `target` (nosuid, nodev, noexec), as
 * `unshare --mount-proc` does: after joining or creating a PID namespace, it
 * makes /proc show that namespace's processes.
 *
 * Refused while the calling thread is in the host's mount namespace, or when
 * nsjs cannot tell (unless `allowHostNamespace`), and when `target` is a
 * symbolic link. The new proc never propagates out of the namespace: a
 * target that is a mount point is made private first (as util-linux
 * `unshare --mount-proc` does); a target inside a shared mount is refused
 * (`ERR_NSJS_SHARED_MOUNT`). The target is
 * opened once and mounted through that fd, so it cannot be swapped for a
 * symlink between the check and the mount.
 */
export function mountProc(target = '/proc', options?: HostNamespaceOptions): void {
  validateString(target, 'target');
  refuseInHostNamespace('mount', options, `mount proc on '${target}'`, {
    syscall: 'mount',
    path: target,
  });
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(target);
  } catch (e) {
    throw fromFsError(e);
  }
  if (stat.isSymbolicLink()) {
    throw libraryError(ErrorCodes.SYMLINK_TARGET, `Refusing to mount proc on '${target}': it is a symbolic link.`, {
      syscall: 'mount',
      path: target,
    });
  }
  const native = binding();
  // A mount point is made private first; only a plain directory needs the mountinfo check.
  if (callNative(() => native.mountProc(target, true), { path: target })) return;
  refuseSharedParent(target);
  callNative(() => native.mountProc(target, false), { path: target });
}

/**
 * A proc mounted on a plain directory joins the mount that directory lies
 * in: refused when that mount is shared, whose new mounts propagate to its
 * peers (possibly the host's), or when nsjs cannot tell (fail closed).
 */
function refuseSharedParent(target: string): void {
  let real: string;
  try {
    real = fs.realpathSync(target);
  } catch (e) {
    throw fromFsError(e);
  }
  const where = containingMount(real);
  if (where === undefined) {
    throw libraryError(ErrorCodes.SHARED_MOUNT, `Refusing to mount proc on '${target}': /proc/thread-self/mountinfo is not readable, so nsjs cannot tell whether the mount would propagate out of this namespace.`, {
      syscall: 'mount',
      path: target,
    });
  }
  if (where.shared) {
    throw libraryError(
      ErrorCodes.SHARED_MOUNT,
      `Refusing to mount proc on '${target}': it lies in the shared mount '${where.mountPoint}', whose new mounts propagate to its peers, possibly in the host's namespace. Make it private first (unshare('mount') does, with its default propagation 'private').`,
      { syscall: 'mount', path: target },
    );
  }
}
