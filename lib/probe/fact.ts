/**
 * One fact of {@link probe}: whether a thing works here, why, and what to
 * change when it does not.
 * @module
 */

/** Whether something works on this host for this caller. */
export interface ProbeFact {
  /** It works. */
  ok: boolean;
  /** Why: what was tried or read. */
  reason: string;
  /** What to change when it does not work, when nsjs knows. */
  hint?: string;
}

/** @internal */
export function readTrimmed(path: string): string | undefined {
  try {
    return require('node:fs').readFileSync(path, 'utf8').trim() as string;
  } catch {
    return undefined;
  }
}
