/**
 * Is the calling thread still in the host's namespace of a type? "Host" means
 * the namespace PID 1 (as this /proc shows it) is in. A guard built on this
 * fails closed: when no signal can tell, the answer is "maybe", and maybe is
 * refused.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import { ErrorCodes, libraryError } from './errors';
import { NAMESPACES, type NamespaceName } from './namespaces';
import { optionsObject, validateBoolean } from './validate';

/** The fixed inode numbers of the initial namespaces (PROC_*_INIT_INO, include/linux/proc_ns.h). */
const INITIAL_INODES: Partial<Record<NamespaceName, number>> = {
  ipc: 0xefffffff,
  uts: 0xeffffffe,
  user: 0xeffffffd,
  pid: 0xeffffffc,
  cgroup: 0xeffffffb,
  time: 0xeffffffa,
};

/** Namespaces that unshare() made in this process ("type:inode"): PID 1 cannot be in one. */
const madeHere = new Set<string>();

/** @internal Remembers the namespaces the calling thread now has of these types, after unshare() made them. */
export function rememberMadeHere(types: readonly NamespaceName[]): void {
  for (const type of types) {
    const inode = inodeOf(`/proc/thread-self/ns/${NAMESPACES[type].procName}`);
    if (inode !== undefined) madeHere.add(`${type}:${inode}`);
  }
}

function inodeOf(link: string): number | undefined {
  try {
    const m = /\[(\d+)\]$/.exec(fs.readlinkSync(link));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The mount ids in a mountinfo file. Ids are unique among live mounts, and a new mount namespace copies every mount under a new id. */
function mountIds(file: string): Set<string> | undefined {
  try {
    const ids = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ', 1)[0]);
    return ids.length > 0 ? new Set(ids) : undefined;
  } catch {
    return undefined;
  }
}

/** What the guard knows: true (the host's), false (not), undefined (cannot tell), and why. */
export interface HostVerdict {
  inHost: boolean | undefined;
  reason: string;
}

/** Decides with every reliable signal there is, in order (docs/in-process.md): the initial namespace's fixed inode, namespaces made here, PID 1's link, mount ids. */
export function hostNamespaceVerdict(type: NamespaceName): HostVerdict {
  const proc = NAMESPACES[type].procName;
  const mine = inodeOf(`/proc/thread-self/ns/${proc}`);
  if (mine === undefined) return { inHost: undefined, reason: `/proc/thread-self/ns/${proc} is not readable` };
  // The initial namespace is the host's whatever PID 1 of this /proc is in.
  if (INITIAL_INODES[type] === mine) return { inHost: true, reason: `it is the initial ${type} namespace` };
  // Before PID 1's link: when this very process is PID 1 (node as a
  // container's init), its main thread is PID 1 and would match itself.
  if (madeHere.has(`${type}:${mine}`)) return { inHost: false, reason: 'unshare() made it in this process' };
  let pid1Problem: string;
  try {
    const m = /\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/1/ns/${proc}`));
    if (m) return { inHost: Number(m[1]) === mine, reason: `compared with /proc/1/ns/${proc}` };
    pid1Problem = `/proc/1/ns/${proc} has no inode`;
  } catch (e) {
    pid1Problem = `/proc/1/ns/${proc} is not readable (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (type === 'mount') {
    const pid1 = mountIds('/proc/1/mountinfo');
    const own = mountIds('/proc/thread-self/mountinfo');
    if (pid1 && own) {
      const shared = [...own].some((id) => pid1.has(id));
      return { inHost: shared, reason: 'compared the mount ids of /proc/1/mountinfo' };
    }
  }
  return { inHost: undefined, reason: `${pid1Problem}, and nothing else tells` };
}

/** @internal true, false, or undefined when it cannot be told. */
export function inHostNamespace(type: NamespaceName): boolean | undefined {
  return hostNamespaceVerdict(type).inHost;
}

/**
 * Throws ERR_NSJS_HOST_NAMESPACE unless `options.allowHostNamespace` is set,
 * when the thread is in the host's namespace of `type`, and also when that
 * cannot be told (fail closed; the error's `hint` says why).
 * @param action what would be done, e.g. "set the hostname"
 */
export function refuseInHostNamespace(
  type: NamespaceName,
  options: unknown,
  action: string,
  fields: { syscall: string; path?: string },
): void {
  const allow = optionsObject(options).allowHostNamespace ?? false;
  validateBoolean(allow, 'options.allowHostNamespace');
  if (allow) return;
  const verdict = hostNamespaceVerdict(type);
  if (verdict.inHost === false) return;
  const label = type === 'uts' ? 'UTS' : type;
  if (verdict.inHost === true) {
    throw libraryError(
      ErrorCodes.HOST_NAMESPACE,
      `Refusing to ${action}: the calling thread is in the host's ${label} namespace. Call unshare('${type}') first, or pass { allowHostNamespace: true } to do it anyway.`,
      fields,
    );
  }
  throw libraryError(
    ErrorCodes.HOST_NAMESPACE,
    `Refusing to ${action}: nsjs cannot tell whether the calling thread is in the host's ${label} namespace (${verdict.reason}). Call unshare('${type}') first, or pass { allowHostNamespace: true } if you know it is not the host's.`,
    { ...fields, hint: `${verdict.reason}; unshare('${type}') in this process, or { allowHostNamespace: true }, settles it` },
  );
}
