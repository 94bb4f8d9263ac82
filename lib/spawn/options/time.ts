/**
 * The time family: clock offsets of a new time namespace.
 * @module
 */
import { invalidArgType, outOfRange } from '../../errors';
import { snapshotObject } from '../../validate';
import { rejectUnknownKeys } from './keys';
import { requireCreated, type NormalizedNamespaces } from './namespaces';

/** Clock offsets of a new time namespace, in seconds (fractions allowed, may be negative). */
export interface TimeOffsets {
  /** Added to CLOCK_MONOTONIC inside. */
  monotonic?: number;
  /** Added to CLOCK_BOOTTIME inside. */
  boottime?: number;
}

/** Options of the time family. */
export interface TimeOptions {
  /** Clock offsets of the new time namespace (`/proc/PID/timens_offsets`). Needs a new `'time'`. */
  timeOffsets?: TimeOffsets;
}

/**
 * @internal What to write to timens_offsets: undefined without a new time
 * namespace, '' for one without offsets.
 */
export function normalizeTime(o: Record<string, unknown>, ns: NormalizedNamespaces): string | undefined {
  if (o.timeOffsets === undefined) return ns.created.includes('time') ? '' : undefined;
  requireCreated(ns, 'time', 'timeOffsets');
  const offsets = snapshotObject(o.timeOffsets, 'options.timeOffsets');
  rejectUnknownKeys(offsets, ['monotonic', 'boottime'], 'options.timeOffsets');
  const lines: string[] = [];
  for (const clock of ['monotonic', 'boottime'] as const) {
    const v = offsets[clock];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw invalidArgType(`options.timeOffsets.${clock}`, 'of type number', v);
    if (!Number.isFinite(v) || Math.abs(v) > 2 ** 52 / 1e9) {
      throw outOfRange(`options.timeOffsets.${clock}`, 'a finite number of seconds', v);
    }
    const sec = Math.floor(v);
    const nsec = Math.min(999999999, Math.round((v - sec) * 1e9));
    lines.push(`${clock} ${sec} ${nsec}\n`);
  }
  return lines.join('');
}
