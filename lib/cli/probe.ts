/**
 * `nsjs probe [--json]`: what works on this host for this caller, and why.
 * @internal
 * @module
 */
import { probe, type ProbeFact } from '../probe';
import { describeFlags, parseCommandLine, UsageError, type FlagSpec } from './args';
import { EXIT_NSJS_FAILED } from './exit-codes';
import { describeError } from './report';

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  help: { type: 'boolean', help: 'show this help' },
  json: { type: 'boolean', help: 'print the facts as JSON (as probe() returns them)' },
};

export const PROBE_USAGE = `Usage: nsjs probe [--json]

Says what works on this host for this user and why: user namespaces (tried,
and the settings that forbid them), each namespace type (tried), pidfds,
CLONE_INTO_CGROUP, cgroups, seccomp, Landlock, subordinate ids, the native
binary in use. Exits 0 when user namespaces work, 1 when they do not.

Options:
${describeFlags(FLAGS)}`;

function line(name: string, f: ProbeFact): string {
  return `${f.ok ? 'ok  ' : 'NO  '} ${name}: ${f.reason}${f.hint ? `\n       hint: ${f.hint}` : ''}`;
}

export async function probeCommand(args: readonly string[]): Promise<number> {
  let json = false;
  try {
    const { flags, command } = parseCommandLine(args, FLAGS);
    if (flags.some((f) => f.name === 'help')) {
      process.stdout.write(`${PROBE_USAGE}\n`);
      return 0;
    }
    if (command.length) throw new UsageError(`unexpected argument '${command[0]}'`);
    json = flags.some((f) => f.name === 'json');
  } catch (e) {
    process.stderr.write(`${describeError(e, 'probe')}\n`);
    return EXIT_NSJS_FAILED;
  }
  const r = await probe();
  if (json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  } else {
    const out = [
      `host: Linux ${r.host.kernel} ${r.host.arch}, uid ${r.host.uid} (${r.host.caller})`,
      line('user namespaces', r.userNamespaces),
      ...Object.entries(r.namespaces).map(([t, f]) => line(`${t} namespace`, f)),
      line('pidfd', r.pidfd),
      line('clone3 CLONE_INTO_CGROUP', r.cloneIntoCgroup),
      `cgroup: ${r.cgroup.version}`,
      ...Object.entries(r.cgroup.controllers).map(([c, f]) => line(`  ${c} controller`, f)),
      line('seccomp', r.seccomp),
      line('libseccomp', r.libseccomp),
      line('landlock', r.landlock),
      line('subordinate ids', r.subordinateIds),
      line('native binary', r.binary),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return r.userNamespaces.ok ? 0 : 1;
}
