#!/usr/bin/env node
/**
 * The `nsjs` command: `run`, `exec`, `ls`, `ps`, `probe`, `explain` (see docs/cli.md).
 * @internal
 * @module
 */
import { exec, EXEC_USAGE } from './exec';
import { EXIT_NSJS_FAILED } from './exit-codes';
import { explainCommand, EXPLAIN_USAGE } from './explain';
import { ls, LS_USAGE } from './ls';
import { probeCommand, PROBE_USAGE } from './probe';
import { ps, PS_USAGE } from './ps';
import { run, RUN_USAGE } from './run';

const USAGE = `Usage: nsjs <command> [options]

Commands:
  run [options] [--] COMMAND [ARGS...]   run COMMAND in a sandbox (flags as bubblewrap's)
  exec TARGET [options] [--] COMMAND...  run COMMAND in the namespaces of TARGET (as nsenter)
  ls [--json] [--all]                    the nsjs sandboxes and sets here (--all: every namespace, as lsns)
  ps [--json] [TARGET]                   their processes, with host pid and pid inside
  probe [--json]                         what works on this host, and why
  explain [run options] [--] COMMAND...  the same sandbox as unshare and bwrap lines, and the plan

nsjs <command> --help for a command's options; nsjs --version.`;

const COMMANDS: Record<string, { main(args: readonly string[]): Promise<number>; usage: string }> = {
  run: { main: run, usage: RUN_USAGE },
  exec: { main: exec, usage: EXEC_USAGE },
  ls: { main: ls, usage: LS_USAGE },
  ps: { main: ps, usage: PS_USAGE },
  probe: { main: probeCommand, usage: PROBE_USAGE },
  explain: { main: explainCommand, usage: EXPLAIN_USAGE },
};

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${(require('../../package.json') as { version: string }).version}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? EXIT_NSJS_FAILED : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`nsjs: unknown command '${name}'\n${USAGE}\n`);
    return EXIT_NSJS_FAILED;
  }
  return command.main(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`nsjs: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = EXIT_NSJS_FAILED;
  },
);
