/**
 * `nsjs explain [run options] [--] COMMAND…`: the equivalent unshare and
 * bwrap lines of an `nsjs run`, and the plan, without running anything.
 * @internal
 * @module
 */
import { explain } from '../explain';
import { EXIT_NSJS_FAILED } from './exit-codes';
import { describeError } from './report';
import { runOptions, RUN_USAGE } from './run';

export const EXPLAIN_USAGE = `Usage: nsjs explain [--json] [run options] [--] COMMAND [ARGS...]

Prints what \`nsjs run\` would do with the same options, as an unshare(1) line
and a bwrap(1) line (each with what it cannot express) and the plan nsjs runs.
Runs nothing. The run options are those of nsjs run:

${RUN_USAGE.slice(RUN_USAGE.indexOf('Options:'))}`;

export async function explainCommand(args: readonly string[]): Promise<number> {
  const json = args[0] === '--json';
  try {
    const parsed = runOptions(json ? args.slice(1) : args);
    if (parsed.help) {
      process.stdout.write(`${EXPLAIN_USAGE}\n`);
      return 0;
    }
    const e = explain(parsed.command[0], parsed.command.slice(1), parsed.options);
    if (json) {
      process.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
      return 0;
    }
    const cannot = (c: string[]) => (c.length ? c.map((x) => `\n  # cannot: ${x}`).join('') : '');
    process.stdout.write(`# unshare(1)\n${e.unshare.line}${cannot(e.unshare.cannot)}\n\n# bwrap(1)\n${e.bwrap.line}${cannot(e.bwrap.cannot)}\n\n# plan\n${JSON.stringify({ ...e.plan, envp: `[${e.plan.envp.length} variables]` }, null, 2)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${describeError(err, 'explain')}\n`);
    return EXIT_NSJS_FAILED;
  }
}
