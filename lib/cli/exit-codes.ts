/**
 * Exit statuses of the `nsjs` command, as container runtimes and shells have
 * them: the program's own; 128+N when signal N killed it; 125 when nsjs
 * itself failed (a setup step, bad flags); 126 when the program could not be
 * executed; 127 when it was not found.
 * @internal
 * @module
 */
import * as os from 'node:os';

export const EXIT_NSJS_FAILED = 125;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

/** The status the command exits with for how the program ended. */
export function statusOf(exitCode: number | null, signal: NodeJS.Signals | null): number {
  if (exitCode !== null) return exitCode;
  return 128 + (signal ? ((os.constants.signals as Record<string, number>)[signal] ?? 0) : 0);
}

/** The status for an error before the program ran: 127 not found, 126 not executable, 125 anything else. */
export function statusOfError(err: { code?: string; step?: string }): number {
  if (err.step === 'exec' && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return EXIT_NOT_FOUND;
  if (err.step === 'exec') return EXIT_NOT_EXECUTABLE;
  return EXIT_NSJS_FAILED;
}
