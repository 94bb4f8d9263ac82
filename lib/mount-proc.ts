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
 * `unshare --mount-proc` does: after joining or creating a PID namespace, it
 * makes /proc show that namespace's processes.
 *
 * Refused while the calling thread is in the host's mount namespace (unless
 * `allowHostNamespace`), and when `target` is a symbolic link. The target is
 * opened once and mounted through that fd, so it cannot be swapped for a
 * symlink between the check and the mount.
 */
export function mountProc(target = '/proc', options?: HostNamespaceOptions): void {
  validateString(target, 'target');
  refuseInHostNamespace('mount', options, "Refusing to mount proc: the calling thread is in the host's mount namespace. Call unshare('mount') first.", {
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
  callNative(() => native.mountProc(target), { path: target });
}
