/**
 * Unknown option keys are errors: for a sandbox, a typo (`hostnme`,
 * `readOnly` for `readonly`) must never quietly give weaker isolation.
 * @internal
 * @module
 */
import { invalidArgValue } from '../../errors';

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The known key closest to `key`, if one is close enough to be what was meant. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const other = k.toLowerCase();
    // A prefix either way ('network' for 'net', 'host' for 'hostname') is as good as one typo.
    const prefix = Math.min(other.length, lower.length) >= 3 && (lower.startsWith(other) || other.startsWith(lower));
    const d = other === lower ? 0 : prefix ? 1 : distance(lower, other);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Throws ERR_INVALID_ARG_VALUE for the first own key of `value` that is not in `known`. */
export function rejectUnknownKeys(value: object, known: readonly string[], name: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = closestKey(key, known);
    throw invalidArgValue(`${name}.${key}`, (value as Record<string, unknown>)[key], `is not an option${near ? `; did you mean '${near}'?` : ''} (unknown keys are refused so that a typo cannot weaken a sandbox)`);
  }
}
