/**
 * Which host ids a sandbox with a new user namespace runs as, and the id maps
 * that say so. See docs/security.md ("Which host ids a sandbox runs as").
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import type { NativePlan } from '../binding';
import { outOfRange } from '../errors';
import { validateId } from '../validate';

/** The host id a host-root sandbox falls back to: the kernel's overflow id, nobody/nogroup. */
export const NOBODY = 65534;

/** Who is calling: real root, root inside a user namespace, or anyone else. */
export type CallerKind = 'host-root' | 'userns-root' | 'unprivileged';

let kind: CallerKind | undefined;

/** Root in the initial user namespace is the only caller whose uid 0 maps to every host id. */
export function callerKind(): CallerKind {
  if (kind === undefined) {
    if (process.geteuid?.() !== 0) kind = 'unprivileged';
    else {
      let map = '';
      try {
        map = fs.readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ');
      } catch {
        // Cannot tell: treat as host root, whose sandboxes get the unprivileged ids (fail closed).
      }
      kind = map === '' || map === '0 0 4294967295' ? 'host-root' : 'userns-root';
    }
  }
  return kind;
}

/** A range of subordinate ids, as /etc/subuid and /etc/subgid list them. */
export interface SubordinateRange {
  start: number;
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

type IdentityPlan = Pick<NativePlan, 'uidMap' | 'gidMap' | 'denySetgroups' | 'mapsByParent' | 'setIdentity' | 'uid' | 'gid'>;

/** One id, or a whole range starting at 0, mapped to the given host ids. */
function mapLine(id: number, range: SubordinateRange | undefined, name: string): string {
  if (!range) return `${id} ${NOBODY} 1\n`;
  if (id >= range.count) throw outOfRange(name, `< ${range.count} (the size of root's subordinate range)`, id);
  return `0 ${range.start} ${range.count}\n`;
}

/**
 * The maps and identity of a sandbox with a new user namespace, for `user`
 * (`{ uid, gid }` inside, default 0):
 * - host root: root's first ranges in /etc/subuid and /etc/subgid, mapped
 *   from 0 inside, else the single id 65534 (nobody/nogroup); the parent writes
 *   the maps, and the program runs as `uid`/`gid` with no supplementary groups;
 * - anyone else: the caller's own uid and gid, mapped to `uid`/`gid` (the
 *   child writes them; setgroups is denied, as an unprivileged caller must).
 */
export function identityPlan(user: Record<string, unknown>): IdentityPlan {
  const uid = user.uid ?? 0;
  const gid = user.gid ?? 0;
  validateId(uid, 'options.user.uid');
  validateId(gid, 'options.user.gid');
  if (callerKind() === 'host-root') {
    return {
      uidMap: mapLine(uid, rootSubordinateRange('/etc/subuid'), 'options.user.uid'),
      gidMap: mapLine(gid, rootSubordinateRange('/etc/subgid'), 'options.user.gid'),
      denySetgroups: false,
      mapsByParent: true,
      setIdentity: true,
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
    uid,
    gid,
  };
}
