/**
 * Shell quoting for the command lines explain() prints.
 * @internal
 * @module
 */

/** One argument, quoted for a POSIX shell only when it needs it. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** An equivalent command line of another tool, and what it cannot express. */
export interface Equivalent {
  /** The argv, ready for child_process.spawn or execve. */
  argv: string[];
  /** The same, quoted for a shell. */
  line: string;
  /** What nsjs does here that this tool's line does not (empty when it is the same sandbox). */
  cannot: string[];
}
