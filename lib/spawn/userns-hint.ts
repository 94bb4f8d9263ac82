/**
 * Why the host refused a user namespace, and what to change: read from the
 * sysctls that can forbid it (see docs/rootless.md).
 * @internal
 * @module
 */
import * as fs from 'node:fs';

export function userNamespaceHint(): string {
  const read = (p: string) => {
    try {
      return fs.readFileSync(p, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  if (read('/proc/sys/user/max_user_namespaces') === '0') {
    return 'user namespaces are disabled: user.max_user_namespaces is 0 (sysctl -w user.max_user_namespaces=15000)';
  }
  if (read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return 'AppArmor restricts unprivileged user namespaces (sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile that allows userns for node)';
  }
  if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
    return 'unprivileged user namespaces are disabled (sysctl -w kernel.unprivileged_userns_clone=1)';
  }
  return 'the host refused to create a user namespace (check user.max_user_namespaces, AppArmor or seccomp policy, and nesting depth)';
}
