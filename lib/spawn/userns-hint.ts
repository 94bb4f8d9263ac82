/**
 * Why the host refused a user namespace, and what to change: read from the
 * sysctls that can forbid it (see docs/rootless.md).
 * @internal
 * @module
 */
import * as fs from 'node:fs';

const ENOSPC = 28;
/** The inode of the initial user namespace: fixed by the kernel (PROC_USER_INIT_INO). */
const INITIAL_USER_NS = 'user:[4026531837]';

function read(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function inInitialUserNamespace(): boolean {
  try {
    return fs.readlinkSync('/proc/self/ns/user') === INITIAL_USER_NS;
  } catch {
    return false;
  }
}

/**
 * ENOSPC is the kernel's answer for two limits: nesting (a user namespace can
 * be created at most 33 levels below the host's) and the count
 * `user.max_user_namespaces` (of this namespace or any above it). From inside
 * a user namespace the kernel does not say how deep it is (NS_GET_PARENT
 * stops at the caller's own namespace), so the hint names the limit only when
 * one of the two is ruled out.
 */
function noSpaceHint(): string {
  const max = read('/proc/sys/user/max_user_namespaces');
  if (max === '0') {
    return 'user namespaces are disabled: user.max_user_namespaces is 0 (sysctl -w user.max_user_namespaces=15000)';
  }
  if (inInitialUserNamespace()) {
    return `user.max_user_namespaces (${max ?? 'unknown'}) is reached: too many user namespaces exist (raise it with sysctl -w user.max_user_namespaces=N)`;
  }
  return (
    'either the nesting limit (a user namespace can be created at most 33 levels below the host\'s; this caller is already inside one, ' +
    `and the kernel does not say how deep) or user.max_user_namespaces (${max ?? 'unknown'} here, or a parent namespace's) is reached: ` +
    'start from a shallower namespace, or raise the limit'
  );
}

export function userNamespaceHint(errno: number): string {
  if (errno === ENOSPC) return noSpaceHint();
  if (read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return 'AppArmor restricts unprivileged user namespaces (sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile that allows userns for node)';
  }
  if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
    return 'unprivileged user namespaces are disabled (sysctl -w kernel.unprivileged_userns_clone=1)';
  }
  return 'the host refused to create a user namespace (check AppArmor or seccomp policy, and kernel.unprivileged_userns_clone)';
}
