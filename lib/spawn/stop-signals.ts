/**
 * The signals that stop or resume a whole sandbox (docs/lifecycle.md,
 * "Stopping and resuming"); the walk itself is src-native/core/signal_tree.c.
 * @internal
 * @module
 */

/** SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU (the same numbers on x86_64 and arm64). */
const STOP_OR_CONT = new Set([18, 19, 20, 21, 22]);

export function stopsOrResumes(sig: number): boolean {
  return STOP_OR_CONT.has(sig);
}
