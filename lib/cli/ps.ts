/**
 * `nsjs ps [--json] [TARGET]`: the processes of nsjs sandboxes and sets,
 * each with its host pid and its pid inside (the same process, another pid),
 * grouped by sandbox; TARGET, a sandbox's host pid, shows only that one.
 * @internal
 * @module
 */
import { describeFlags, parseCommandLine, UsageError, type FlagSpec } from './args';
import { EXIT_NSJS_FAILED } from './exit-codes';
import { describeError } from './report';
import { listSandboxes } from './sandboxes';

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  help: { type: 'boolean', help: 'show this help' },
  json: { type: 'boolean', help: 'print JSON: [{ pid, kind, processes: [{ pid, nsPid, command }] }]' },
};

export const PS_USAGE = `Usage: nsjs ps [--json] [TARGET]

Shows the processes of every nsjs sandbox and set (or of TARGET, the host pid
of one, as nsjs ls shows it), each with its host pid (PID) and its pid inside
its PID namespace (NSPID).

Options:
${describeFlags(FLAGS)}`;

export async function ps(args: readonly string[]): Promise<number> {
  let json = false;
  let target: number | undefined;
  try {
    const parsed = parseCommandLine(args, FLAGS);
    if (parsed.flags.some((f) => f.name === 'help')) {
      process.stdout.write(`${PS_USAGE}\n`);
      return 0;
    }
    json = parsed.flags.some((f) => f.name === 'json');
    if (parsed.command.length > 1 || (parsed.command[0] !== undefined && !/^\d+$/.test(parsed.command[0]))) throw new UsageError('TARGET is one host pid');
    target = parsed.command[0] === undefined ? undefined : Number(parsed.command[0]);
  } catch (e) {
    process.stderr.write(`${describeError(e, 'ps')}\n`);
    return EXIT_NSJS_FAILED;
  }
  const boxes = listSandboxes().filter((b) => target === undefined || b.pid === target);
  if (target !== undefined && boxes.length === 0) {
    process.stderr.write(`nsjs ps: ${target} is no nsjs sandbox or set (see nsjs ls)\n`);
    return EXIT_NSJS_FAILED;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(boxes.map((b) => ({ pid: b.pid, kind: b.kind, processes: b.processes })), null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  for (const b of boxes) {
    out.push(`${b.kind} ${b.pid}${b.command ? `: ${b.command}` : ''}`);
    out.push('      PID  NSPID  COMMAND');
    for (const p of b.processes) out.push(`  ${String(p.pid).padStart(7)}  ${String(p.nsPid).padStart(5)}  ${p.command}`);
  }
  process.stdout.write(out.length ? `${out.join('\n')}\n` : '');
  return 0;
}
