/**
 * In-process mount of a fresh procfs.
 * @module
 */
import * as fs from 'node:fs';

import { binding } from './binding';
import { callNative, ErrorCodes, fromFsError, libraryError } from './errors';
import { refuseInHostNamespace } from './host-namespace';
import type { HostNamespaceOptions } from './hostname';
import { validateString } from './validate';

/**
 * Mounts a fresh procfs on `target` (nosuid, nodev, noexec), as
 * `unshare --mount-proc` does. A procfs shows the PID namespace the calling
 * thread is in itself; an in-process `unshare('pid')` or `setns` into one
 * changes only where children go, so this /proc still shows the caller's
 * (a child started afterwards, which is in the new one, would mount its own).
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
  if (callNative(() => native.mountProc(target), { path: target })) return;
  throw libraryError(
    ErrorCodes.SHARED_MOUNT,
    `Refusing to mount proc on '${target}': it is no mount point, and the mount it lies in is shared (its new mounts propagate to peers, possibly the host's), or nsjs cannot tell. Make it private first (unshare('mount') does, with its default propagation 'private'), or mount on a mount point.`,
    { syscall: 'mount', path: target },
  );
}
