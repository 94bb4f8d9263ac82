/**
 * The identity family: which ids a sandbox has inside its user namespace, which
 * host ids that is, and the id maps that say so (docs/security.md, "Which host
 * ids a sandbox runs as").
 * @module
 */
import * as fs from 'node:fs';

import type { NativePlan } from '../../binding';
import { outOfRange } from '../../errors';
import { snapshotObject, validateId } from '../../validate';
import { rejectUnknownKeys } from './keys';
import { requireCreated, type NormalizedNamespaces } from './namespaces';

/**
 * The identity the program has inside a user namespace. Which host ids that
 * is depends on the caller (docs/security.md, "Which host ids a sandbox runs
 * as"): an unprivileged caller's own uid and gid; for host root, root's
 * first range in /etc/subuid and /etc/subgid, else 65534 (nobody/nogroup) —
 * never host root.
 */
export interface UserMapping {
  /** The uid inside. @default 0 */
  uid?: number;
  /** The gid inside. @default 0 */
  gid?: number;
}

/** Options of the identity family. */
export interface IdentityOptions {
  /** The ids inside the user namespace. Needs a new or joined `'user'` (automatic when not root). */
  user?: UserMapping;
}

/** The host id a host-root sandbox falls back to: the kernel's overflow id, nobody/nogroup. */
export const NOBODY = 65534;

/** Who is calling: real root, root inside a user namespace, or anyone else. */
export type CallerKind = 'host-root' | 'userns-root' | 'unprivileged';

/**
 * Root in the initial user namespace is the only caller whose uid 0 maps to
 * every host id. Decided on every call, never cached: a process may change
 * its euid (process.seteuid) between two spawns.
 */
export function callerKind(): CallerKind {
  if (process.geteuid?.() !== 0) return 'unprivileged';
  let map = '';
  try {
    map = fs.readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ');
  } catch {
    // Cannot tell: treat as host root, whose sandboxes get the unprivileged ids (fail closed).
  }
  return map === '' || map === '0 0 4294967295' ? 'host-root' : 'userns-root';
}

/** A range of subordinate ids, as /etc/subuid and /etc/subgid list them. */
export interface SubordinateRange {
  /** The first id. */
  start: number;
  /** How many. */
  count: number;
}

/** The first range of `/etc/subuid` (or subgid) for root, by name or by id. */
export function rootSubordinateRange(file: string): SubordinateRange | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner !== 'root' && owner !== '0') continue;
    const s = Number(start);
    const c = Number(count);
    // Never range 0: that would map the sandbox's root to host root again.
    if (Number.isInteger(s) && Number.isInteger(c) && s > 0 && c > 0 && s + c <= 0xffffffff) return { start: s, count: c };
  }
  return undefined;
}

/** @internal */
export type IdentityPlan = Pick<NativePlan, 'uidMap' | 'gidMap' | 'denySetgroups' | 'mapsByParent' | 'setIdentity' | 'clearGroups' | 'uid' | 'gid' | 'uidMapHelper' | 'gidMapHelper'>;

/** No user namespace of its own: the caller's identity, unchanged. */
const UNCHANGED: IdentityPlan = { denySetgroups: false, mapsByParent: false, setIdentity: false, clearGroups: 0, uid: 0, gid: 0 };

/** One id, or a whole range starting at 0, mapped to the given host ids. */
function mapLine(id: number, range: SubordinateRange | undefined, name: string): string {
  if (!range) return `${id} ${NOBODY} 1\n`;
  if (id >= range.count) throw outOfRange(name, `< ${range.count} (the size of root's subordinate range)`, id);
  return `0 ${range.start} ${range.count}\n`;
}

/**
 * The maps and identity of a sandbox, for `user` (`{ uid, gid }` inside,
 * default 0). With a new user namespace:
 * - host root: root's first ranges in /etc/subuid and /etc/subgid, mapped
 *   from 0 inside, else the single id 65534 (nobody/nogroup); the parent writes
 *   the maps, and the program runs as `uid`/`gid` with no supplementary groups;
 * - anyone else: the caller's own uid and gid, mapped to `uid`/`gid` (the
 *   child writes them; setgroups is denied, as an unprivileged caller must).
 */
export function normalizeIdentity(o: Record<string, unknown>, ns: NormalizedNamespaces): IdentityPlan {
  const joinsUser = ns.joined.some((j) => j.type === 'user');
  let user: Record<string, unknown> = Object.create(null);
  if (o.user !== undefined) {
    if (!joinsUser) requireCreated(ns, 'user', 'user');
    user = snapshotObject(o.user, 'options.user');
    rejectUnknownKeys(user, ['uid', 'gid'], 'options.user');
  }
  const uid = user.uid ?? 0;
  const gid = user.gid ?? 0;
  validateId(uid, 'options.user.uid');
  validateId(gid, 'options.user.gid');
  // A joined user namespace has its maps: the program takes `user`'s ids in
  // it, so that host root is not host root there either, and drops its
  // supplementary groups where that namespace allows setgroups.
  if (joinsUser) return { ...UNCHANGED, setIdentity: true, clearGroups: 2, uid, gid };
  if (!ns.created.includes('user')) return UNCHANGED;
  if (callerKind() === 'host-root') {
    return {
      uidMap: mapLine(uid, rootSubordinateRange('/etc/subuid'), 'options.user.uid'),
      gidMap: mapLine(gid, rootSubordinateRange('/etc/subgid'), 'options.user.gid'),
      denySetgroups: false,
      mapsByParent: true,
      setIdentity: true,
      clearGroups: 1,
      uid,
      gid,
    };
  }
  return {
    uidMap: `${uid} ${process.geteuid?.() ?? 0} 1\n`,
    gidMap: `${gid} ${process.getegid?.() ?? 0} 1\n`,
    denySetgroups: true,
    mapsByParent: false,
    setIdentity: false,
    clearGroups: 0,
    uid,
    gid,
  };
}
