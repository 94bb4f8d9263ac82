/**
 * Explicit id maps (`uidMap`, `gidMap`, `mapAuto`): several ranges, written
 * by the parent while the child waits — directly by root, through Debian's
 * `newuidmap`/`newgidmap` (package `uidmap`) for anyone else, as util-linux
 * `unshare --map-users` does (docs/security.md, "Which host ids a sandbox runs as").
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ErrorCodes, invalidArgType, invalidArgValue, libraryError, outOfRange } from '../../errors';
import { callerKind, type IdentityPlan } from './identity';
import { rejectUnknownKeys } from './keys';
import { requireCreated, type NormalizedNamespaces } from './namespaces';

/** One range of an id map: `count` ids from `inside` map to `outside` on the host. */
export interface IdMapEntry {
  /** The first id inside the user namespace. */
  inside: number;
  /** The host id it is. */
  outside: number;
  /** How many ids, from both. */
  count: number;
}

/** Options of the id-map family. */
export interface MapOptions {
  /** The uid map of the new user namespace, one entry per range (with `gidMap`). Needs `'user'`. */
  uidMap?: IdMapEntry[];
  /** The gid map (with `uidMap`). */
  gidMap?: IdMapEntry[];
  /** Map the caller's first range of /etc/subuid and /etc/subgid from 0 inside (util-linux `--map-auto`). */
  mapAuto?: boolean;
}

const MAX_ID = 0xffffffff;

function entries(value: unknown, name: string): IdMapEntry[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidArgType(name, 'a non-empty array of { inside, outside, count }', value);
  return value.map((e: unknown, i) => {
    const at = `${name}[${i}]`;
    if (typeof e !== 'object' || e === null) throw invalidArgType(at, '{ inside, outside, count }', e);
    rejectUnknownKeys(e, ['inside', 'outside', 'count'], at);
    const { inside, outside, count } = e as Record<string, unknown>;
    for (const [k, v] of [['inside', inside], ['outside', outside], ['count', count]] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < (k === 'count' ? 1 : 0) || v >= MAX_ID) throw outOfRange(`${at}.${k}`, `an integer >= ${k === 'count' ? 1 : 0} && < 4294967295`, v);
    }
    const entry = { inside, outside, count } as IdMapEntry;
    if (entry.inside + entry.count > MAX_ID || entry.outside + entry.count > MAX_ID) throw outOfRange(`${at}.count`, 'such that no id passes 4294967294', entry.count);
    return entry;
  });
}

/** The caller's first range in /etc/subuid or /etc/subgid, by name or by id. */
function ownRange(file: string, id: number): IdMapEntry {
  const names = new Set([String(id)]);
  try {
    names.add(os.userInfo().username);
  } catch {
    // No passwd entry: only the id can match.
  }
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // Missing: no range, refused below.
  }
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (names.has(owner) && Number(count) > 0) return { inside: 0, outside: Number(start), count: Number(count) };
  }
  throw libraryError(ErrorCodes.USERNS_UNAVAILABLE, `mapAuto: ${file} gives ${[...names].join(' / ')} no range`, { path: file, hint: `add a line "${[...names].pop()}:<start>:<count>" to ${file}` });
}

function mapped(map: readonly IdMapEntry[], id: number): boolean {
  return map.some((e) => id >= e.inside && id < e.inside + e.count);
}

/** newuidmap/newgidmap, for a caller who is not root. */
function helper(name: string): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw libraryError(ErrorCodes.UNSUPPORTED, `${name} was not found: a caller who is not root maps ranges through it`, { hint: "install it (Debian/Ubuntu: apt-get install uidmap; Fedora: shadow-utils)" });
}

const lines = (map: readonly IdMapEntry[]) => map.map((e) => `${e.inside} ${e.outside} ${e.count}\n`).join('');

/** The identity plan with the explicit maps in place of the default ones; unchanged without them. */
export function normalizeMaps(o: Record<string, unknown>, ns: NormalizedNamespaces, identity: IdentityPlan): IdentityPlan {
  if (o.uidMap === undefined && o.gidMap === undefined && (o.mapAuto === undefined || o.mapAuto === false)) return identity;
  if (o.mapAuto !== undefined && typeof o.mapAuto !== 'boolean') throw invalidArgType('options.mapAuto', 'a boolean', o.mapAuto);
  requireCreated(ns, 'user', o.mapAuto ? 'mapAuto' : 'uidMap');
  let uidMap: IdMapEntry[];
  let gidMap: IdMapEntry[];
  if (o.mapAuto) {
    if (o.uidMap !== undefined || o.gidMap !== undefined) throw invalidArgValue('options.mapAuto', true, 'cannot be used with uidMap or gidMap');
    uidMap = [ownRange('/etc/subuid', process.geteuid?.() ?? 0)];
    gidMap = [ownRange('/etc/subgid', process.getegid?.() ?? 0)];
  } else {
    if (o.uidMap === undefined || o.gidMap === undefined) throw invalidArgValue(o.uidMap === undefined ? 'options.uidMap' : 'options.gidMap', undefined, 'must be given with the other map');
    uidMap = entries(o.uidMap, 'options.uidMap');
    gidMap = entries(o.gidMap, 'options.gidMap');
  }
  if (!mapped(uidMap, identity.uid)) throw outOfRange('options.user.uid', 'an id that uidMap maps', identity.uid);
  if (!mapped(gidMap, identity.gid)) throw outOfRange('options.user.gid', 'an id that gidMap maps', identity.gid);
  const root = callerKind() !== 'unprivileged';
  return {
    uidMap: lines(uidMap),
    gidMap: lines(gidMap),
    denySetgroups: false,
    mapsByParent: true,
    setIdentity: true,
    clearGroups: 1,
    uid: identity.uid,
    gid: identity.gid,
    ...(root ? {} : { uidMapHelper: helper('newuidmap'), gidMapHelper: helper('newgidmap') }),
  };
}
