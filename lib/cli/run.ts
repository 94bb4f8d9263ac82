/**
 * `nsjs run [options] [--] COMMAND [ARGS…]`: spawnIsolated from a shell.
 * stdio is inherited; SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and
 * SIGCONT received by nsjs are passed on to the sandbox; nsjs exits with the
 * program's status (exit-codes.ts).
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import { DEFAULT_NAMESPACES } from '../spawn/options/namespaces';
import { spawnIsolated, type SpawnIsolatedOptions } from '../spawn/spawn-isolated';
import { describeFlags, parseCommandLine, UsageError } from './args';
import { EXIT_NSJS_FAILED, statusOf, statusOfError } from './exit-codes';
import { describeError } from './report';
import { RUN_FLAGS, type RunControl, type RunOptions } from './run-flags';

export const RUN_USAGE = `Usage: nsjs run [options] [--] COMMAND [ARGS...]

Runs COMMAND in new PID, mount, UTS, IPC and network namespaces (plus a user
namespace when not root), as spawnIsolated() does, with nsjs-init as PID 1.
Flags are spelled as bubblewrap spells them.

Options:
${describeFlags(RUN_FLAGS)}

Exit status: the program's own; 128+N when signal N ended it; 125 when nsjs
failed (the message names the step, errno and a hint); 126 when COMMAND is not
executable; 127 when it is not found.`;

/** The options for a command line, flags applied in the order given. */
export function runOptions(args: readonly string[]): { options: RunOptions; control: RunControl; command: string[]; help: boolean } {
  const { flags, command } = parseCommandLine(args, RUN_FLAGS);
  const help = flags.some((f) => f.name === 'help');
  if (command.length === 0 && !help) throw new UsageError('no COMMAND given');
  const options: RunOptions = { namespaces: [...DEFAULT_NAMESPACES], env: { ...process.env }, mounts: [], join: {}, stdio: 'inherit' };
  const control: RunControl = {};
  for (const flag of flags) RUN_FLAGS[flag.name].apply(options, flag.values, control);
  // Empty lists would ask for what needs a namespace (`mounts` needs 'mount').
  if (options.mounts.length === 0) delete (options as Partial<RunOptions>).mounts;
  if (Object.keys(options.join).length === 0) delete (options as Partial<RunOptions>).join;
  return { options, control, command, help };
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGCONT'];

/** Runs the command line; resolves with the status nsjs exits with. */
export async function run(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = runOptions(args);
  } catch (e) {
    process.stderr.write(`${describeError(e, 'run')}\n`);
    return EXIT_NSJS_FAILED;
  }
  if (parsed.help) {
    process.stdout.write(`${RUN_USAGE}\n`);
    return 0;
  }
  return runSandbox(parsed.command, parsed.options, parsed.control, 'run');
}

/**
 * Runs `command` with `options`, stdio inherited, signals passed on; resolves
 * with the status to exit with. Shared by `run` and `exec`.
 */
export function runSandbox(command: string[], options: RunOptions | SpawnIsolatedOptions, control: RunControl, name: string): Promise<number> {
  const status = control.jsonStatusFd;
  const writeStatus = (record: object) => {
    if (status !== undefined) fs.writeSync(status, `${JSON.stringify(record)}\n`);
  };
  return new Promise<number>((resolve) => {
    let child: ReturnType<typeof spawnIsolated>;
    try {
      child = spawnIsolated(command[0], command.slice(1), options);
    } catch (e) {
      process.stderr.write(`${describeError(e, name)}\n`);
      return resolve(EXIT_NSJS_FAILED);
    }
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    for (const sig of FORWARDED) process.on(sig, forward);
    const done = (code: number) => {
      for (const sig of FORWARDED) process.off(sig, forward);
      resolve(code);
    };
    child.on('spawn', () => {
      const ns = child.namespaces ?? {};
      writeStatus({ 'child-pid': child.pid, 'ns-pid': child.nsPid, ...Object.fromEntries(Object.entries(ns).map(([t, id]) => [`${t}-namespace`, id?.inode])) });
    });
    child.on('error', (e) => {
      process.stderr.write(`${describeError(e, name)}\n`);
      const code = statusOfError(e as { code?: string; step?: string });
      writeStatus({ error: (e as { code?: string }).code, 'exit-code': code });
      done(code);
    });
    child.on('exit', (exitCode, signal) => {
      const code = statusOf(exitCode, signal);
      // Why a limit ended it: the exit status alone (137, or a shell's "Cannot fork") does not say.
      void child.result.then(
        (r) => {
          if (r.oomKilled) process.stderr.write(`${name}: a process of the sandbox was killed by its memory limit (oomKilled)\n`);
          if (r.pidsLimitHit) process.stderr.write(`${name}: the sandbox reached its process limit: a fork failed (pidsLimitHit)\n`);
          writeStatus({ 'exit-code': code, ...(signal ? { signal } : {}), ...(r.oomKilled ? { 'oom-killed': true } : {}), ...(r.pidsLimitHit ? { 'pids-limit-hit': true } : {}) });
          done(code);
        },
        () => {
          writeStatus({ 'exit-code': code, ...(signal ? { signal } : {}) });
          done(code);
        },
      );
    });
  });
}
