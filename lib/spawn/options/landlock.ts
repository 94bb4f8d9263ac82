/**
 * The Landlock family: filesystem and TCP rules the kernel enforces on the
 * program, with no privilege and no namespace needed (docs/security.md,
 * "Landlock"). The ruleset is made in the parent; the child only restricts
 * itself to it.
 * @module
 */
import * as path from 'node:path';

import { binding, type NativeLandlockSpec } from '../../binding';
import { ErrorCodes, invalidArgType, invalidArgValue, libraryError, outOfRange } from '../../errors';
import { validateObject } from '../../validate';
import { rejectUnknownKeys } from './keys';

/** Landlock rules: which paths and TCP ports the program may use. */
export interface LandlockRules {
  /** Paths (and what is below them) the program may read: read files, list directories. */
  read?: string[];
  /** Paths it may read and change: create, write, truncate, remove, rename within. */
  write?: string[];
  /** Paths it may read and execute. */
  execute?: string[];
  /** When given, the only TCP ports it may connect to (Landlock ABI 4). */
  connectTcp?: number[];
  /** When given, the only TCP ports it may bind (Landlock ABI 4). */
  bindTcp?: number[];
  /** No signals to, and no abstract UNIX sockets of, processes outside (Landlock ABI 6). */
  scoped?: boolean;
  /** `'best-effort'` leaves out what this kernel lacks and says so in `child.landlock`; `'hard'` refuses with ERR_NSJS_UNSUPPORTED. @default 'best-effort' */
  compatibility?: 'best-effort' | 'hard';
}

/** Options of the Landlock family. */
export interface LandlockOptions {
  /**
   * Landlock rules, applied in the child before exec: the program may reach
   * only the paths listed. Needs no privilege and no namespace.
   */
  landlock?: LandlockRules;
}

/** What Landlock enforces on a sandbox: the kernel's ABI, and what it could not (best-effort). */
export interface LandlockReport {
  /** The Landlock ABI used (0: none: this kernel has no Landlock). */
  abi: number;
  /** What was asked for and is not enforced, e.g. `'truncate'`, `'connectTcp'`, `'scoped'`, `'landlock'` (all of it). */
  dropped: string[];
}

// LANDLOCK_ACCESS_FS_*, and the ABI that brought each.
const EXECUTE = 1 << 0;
const READ = (1 << 2) | (1 << 3); // READ_FILE, READ_DIR
const WRITE_ABI1 = (1 << 1) | (0x7f << 4) | (1 << 11) | (1 << 12); // WRITE_FILE, REMOVE_*, MAKE_*
const LATER_FS: [number, number, string][] = [
  [2, 1 << 13, 'refer'],
  [3, 1 << 14, 'truncate'],
  [5, 1 << 15, 'ioctlDev'],
];
const CONNECT_TCP = 1 << 1;
const BIND_TCP = 1 << 0;
const SCOPED = (1 << 0) | (1 << 1); // ABSTRACT_UNIX_SOCKET, SIGNAL

/** @internal The ruleset to make at spawn time, and the report. */
export interface NormalizedLandlock {
  spec: NativeLandlockSpec;
  report: LandlockReport;
}

let abi: number | undefined;

/** The highest Landlock ABI of this kernel, 0 when it has none (asked once). */
function kernelAbi(): number {
  abi ??= Math.max(0, binding().landlockAbi());
  return abi;
}

function paths(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArgType(name, 'an array of absolute paths', value);
  return value.map((p: unknown, i) => {
    if (typeof p !== 'string' || !path.isAbsolute(p) || p.includes('\0')) throw invalidArgValue(`${name}[${i}]`, p, 'must be an absolute path');
    return p;
  });
}

function ports(value: unknown, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalidArgType(name, 'an array of ports', value);
  return value.map((p: unknown, i) => {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535) throw outOfRange(`${name}[${i}]`, 'an integer >= 0 && <= 65535', p);
    return p;
  });
}

/** Validates `landlock` and picks the rights this kernel's ABI has; undefined: no Landlock. */
export function normalizeLandlock(o: Record<string, unknown>): NormalizedLandlock | undefined {
  if (o.landlock === undefined) return undefined;
  validateObject(o.landlock, 'options.landlock');
  const l = o.landlock;
  rejectUnknownKeys(l, ['read', 'write', 'execute', 'connectTcp', 'bindTcp', 'scoped', 'compatibility'], 'options.landlock');
  const compatibility = l.compatibility ?? 'best-effort';
  if (compatibility !== 'best-effort' && compatibility !== 'hard') throw invalidArgValue('options.landlock.compatibility', compatibility, "must be 'best-effort' or 'hard'");
  if (l.scoped !== undefined && typeof l.scoped !== 'boolean') throw invalidArgType('options.landlock.scoped', 'a boolean', l.scoped);
  const read = paths(l.read, 'options.landlock.read');
  const write = paths(l.write, 'options.landlock.write');
  const execute = paths(l.execute, 'options.landlock.execute');
  const connect = ports(l.connectTcp, 'options.landlock.connectTcp');
  const bind = ports(l.bindTcp, 'options.landlock.bindTcp');

  const v = kernelAbi();
  const dropped: string[] = [];
  let writeRights = WRITE_ABI1;
  for (const [since, right, name] of LATER_FS) {
    if (v >= since) writeRights |= right;
    else dropped.push(name);
  }
  if (v < 4) dropped.push(...(connect ? ['connectTcp'] : []), ...(bind ? ['bindTcp'] : []));
  if (v < 6 && l.scoped) dropped.push('scoped');
  if (v === 0) dropped.splice(0, dropped.length, 'landlock');
  if (compatibility === 'hard' && dropped.length > 0) {
    throw libraryError(ErrorCodes.UNSUPPORTED, `This kernel's Landlock (ABI ${v}) cannot enforce: ${dropped.join(', ')}`, {
      hint: "use a newer kernel with Landlock enabled (CONFIG_SECURITY_LANDLOCK, 'landlock' in the lsm= boot parameter), or compatibility: 'best-effort'",
    });
  }
  const handledFs = READ | EXECUTE | writeRights;
  const net = v >= 4;
  const spec: NativeLandlockSpec = {
    handledFs: v === 0 ? 0 : handledFs,
    handledNet: net ? (connect ? CONNECT_TCP : 0) | (bind ? BIND_TCP : 0) : 0,
    scoped: v >= 6 && l.scoped ? SCOPED : 0,
    paths: [
      ...read.map((p) => ({ path: p, access: READ })),
      ...execute.map((p) => ({ path: p, access: READ | EXECUTE })),
      ...write.map((p) => ({ path: p, access: READ | writeRights })),
    ],
    ports: net ? [...(connect ?? []).map((port) => ({ port, access: CONNECT_TCP })), ...(bind ?? []).map((port) => ({ port, access: BIND_TCP }))] : [],
  };
  return { spec, report: { abi: v, dropped } };
}

/** @internal Makes the ruleset before clone (nsjs-init, when there is one, may be executed); the caller closes the fd. */
export function landlockRuleset(l: NormalizedLandlock, initPath: string | undefined): number | undefined {
  if (l.report.abi === 0) return undefined;
  const extra = initPath !== undefined ? [{ path: initPath, access: READ | EXECUTE }] : [];
  return binding().landlockRuleset({ ...l.spec, paths: [...l.spec.paths, ...extra] });
}
