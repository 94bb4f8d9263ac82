/**
 * `nsjs ls [--json] [--all]`: the nsjs sandboxes and sets on this host, or
 * with `--all` every namespace, as lsns(8) lists them.
 * @internal
 * @module
 */
import { listNamespaces } from '../sets/list';
import { describeFlags, parseCommandLine, UsageError, type FlagSpec } from './args';
import { EXIT_NSJS_FAILED } from './exit-codes';
import { describeError } from './report';
import { listSandboxes } from './sandboxes';

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  help: { type: 'boolean', help: 'show this help' },
  json: { type: 'boolean', help: 'print JSON (listNamespaces() for --all)' },
  all: { type: 'boolean', help: 'every namespace this user can see, as lsns lists them' },
};

export const LS_USAGE = `Usage: nsjs ls [--json] [--all]

Lists the nsjs sandboxes (with nsjs-init) and namespace sets on this host:
host pid, kind, namespaces made for it, age, command. With --all, every
namespace the caller can see, as lsns(8) lists them.

Options:
${describeFlags(FLAGS)}`;

const table = (rows: string[][]) => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
};

export async function ls(args: readonly string[]): Promise<number> {
  let flags: Set<string>;
  try {
    const parsed = parseCommandLine(args, FLAGS);
    if (parsed.command.length) throw new UsageError(`unexpected argument '${parsed.command[0]}'`);
    flags = new Set(parsed.flags.map((f) => f.name));
  } catch (e) {
    process.stderr.write(`${describeError(e, 'ls')}\n`);
    return EXIT_NSJS_FAILED;
  }
  if (flags.has('help')) {
    process.stdout.write(`${LS_USAGE}\n`);
    return 0;
  }
  const all = listNamespaces();
  if (flags.has('all')) {
    if (flags.has('json')) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    else process.stdout.write(`${table([['NS', 'TYPE', 'NPROCS', 'PID', 'NSJS', 'COMMAND'], ...all.map((n) => [String(n.inode), n.type, String(n.processes), String(n.pid ?? '-'), n.nsjs ? `${n.nsjs.kind}:${n.nsjs.pid}` : '', n.command || n.paths.join(',')])])}\n`);
    return 0;
  }
  const boxes = listSandboxes(all);
  if (flags.has('json')) process.stdout.write(`${JSON.stringify(boxes.map(({ processes, ...b }) => ({ ...b, processes: processes.length })), null, 2)}\n`);
  else process.stdout.write(`${table([['PID', 'KIND', 'NAMESPACES', 'AGE', 'COMMAND'], ...boxes.map((b) => [String(b.pid), b.kind, Object.keys(b.namespaces).join(','), `${b.ageSeconds}s`, b.command])])}\n`);
  return 0;
}
