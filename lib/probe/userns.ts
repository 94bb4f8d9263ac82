/**
 * Can this caller create user namespaces, and if not, which setting forbids it.
 * @internal
 * @module
 */
import { readTrimmed, type ProbeFact } from './fact';

/** The sysctls and LSM state that decide user namespaces, as read. */
export interface UserNamespaceSettings {
  /** user.max_user_namespaces (0 forbids them for everyone). */
  maxUserNamespaces?: number;
  /** Debian/Ubuntu's kernel.unprivileged_userns_clone (absent on other kernels). */
  unprivilegedUsernsClone?: number;
  /** Ubuntu's kernel.apparmor_restrict_unprivileged_userns (absent elsewhere). */
  apparmorRestrictUnprivilegedUserns?: number;
  /** The AppArmor label of this process ("unconfined", or a profile that may allow userns). */
  apparmorLabel?: string;
}

function num(path: string): number | undefined {
  const v = readTrimmed(path);
  return v === undefined || v === '' ? undefined : Number(v);
}

export function userNamespaceSettings(): UserNamespaceSettings {
  return {
    maxUserNamespaces: num('/proc/sys/user/max_user_namespaces'),
    unprivilegedUsernsClone: num('/proc/sys/kernel/unprivileged_userns_clone'),
    apparmorRestrictUnprivilegedUserns: num('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    apparmorLabel: readTrimmed('/proc/self/attr/apparmor/current') ?? readTrimmed('/proc/self/attr/current'),
  };
}

/** Why the settings would refuse a user namespace to this caller, or undefined. */
export function userNamespaceRefusal(s: UserNamespaceSettings, root: boolean): { reason: string; hint: string } | undefined {
  if (s.maxUserNamespaces === 0) {
    return { reason: 'user.max_user_namespaces is 0', hint: 'sysctl -w user.max_user_namespaces=15000' };
  }
  if (!root && s.unprivilegedUsernsClone === 0) {
    return { reason: 'kernel.unprivileged_userns_clone is 0', hint: 'sysctl -w kernel.unprivileged_userns_clone=1' };
  }
  if (!root && s.apparmorRestrictUnprivilegedUserns === 1 && (s.apparmorLabel ?? 'unconfined').startsWith('unconfined')) {
    return {
      reason: 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1) and this node runs unconfined',
      hint: 'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for node with "userns,"',
    };
  }
  return undefined;
}

/** The fact, from what was tried (`tried`: undefined = it worked, else the error) and the settings. */
export function userNamespaceFact(tried: { code?: string; message?: string; hint?: string } | undefined, s: UserNamespaceSettings, root: boolean): ProbeFact {
  if (tried === undefined) return { ok: true, reason: 'a throwaway child was cloned into a new user namespace' };
  const refusal = userNamespaceRefusal(s, root);
  return {
    ok: false,
    reason: `a throwaway child could not get a user namespace (${tried.code ?? 'error'})${refusal ? `: ${refusal.reason}` : ''}`,
    hint: refusal?.hint ?? tried.hint,
  };
}
