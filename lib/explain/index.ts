/**
 * {@link explain}: a sandbox's options as the equivalent `unshare` and `bwrap`
 * command lines, and the plan nsjs would run — for bug reports, reviewers who
 * know those tools, and users moving from them.
 * @module
 */
import { buildPlan, type PlanWithoutFds } from '../spawn/plan';
import { normalizeIsolation } from '../spawn/options';
import type { SpawnIsolatedOptions } from '../spawn/spawn-isolated';
import { bwrapLine } from './bwrap';
import type { Equivalent } from './quote';
import { unshareLine } from './unshare';

export type { Equivalent } from './quote';

/** A namespace the plan joins, by the target given (fds are opened at spawn time). */
export interface ExplainedJoin {
  /** The namespace type. */
  type: string;
  /** The path or fd given in `join`. */
  target: string | number;
}

/** What {@link explain} returns. */
export interface Explanation {
  /** util-linux unshare(1), with a short `sh -c` prefix for hostname and `lo`. */
  unshare: Equivalent;
  /** bubblewrap. */
  bwrap: Equivalent;
  /** The plan the child would run (joins by their targets: fds are opened at spawn time). */
  plan: Omit<PlanWithoutFds, 'joins'> & {
    /** The namespaces joined, in order. */
    joins: ExplainedJoin[];
  };
}

/**
 * Explains what `spawnIsolated(command, args, options)` would do, without
 * doing it: validates the options exactly as spawnIsolated does (the same
 * errors) and returns the equivalent unshare and bwrap lines, each with what
 * it cannot express, and the normalized plan. The environment is written out
 * in full (bwrap `--clearenv --setenv …`), as nsjs passes exactly that.
 */
export function explain(command: string, args: readonly string[] = [], options: SpawnIsolatedOptions = {}): Explanation {
  const n = normalizeIsolation(command, args, options, ['stdio', 'timeout', 'killSignal', 'signal']);
  const plan = buildPlan(n, []);
  return {
    unshare: unshareLine(n),
    bwrap: bwrapLine(n),
    plan: { ...plan, joins: n.namespaces.joined.map((j) => ({ type: j.type, target: j.target })) },
  };
}
