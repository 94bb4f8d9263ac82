/**
 * `nsjs exec TARGET [--net …] [--] COMMAND [ARGS…]`, as nsenter: runs COMMAND
 * in the namespaces of TARGET — a host pid (of a sandbox: `nsjs ls` lists
 * them) or a namespace file (`/run/netns/NAME`, `/proc/PID/ns/net`, a file
 * nsjs persisted). With a pid, every namespace of it that is not the caller's
 * own is joined, or only those the flags pick.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import { binding } from '../binding';
import { fromFsError, fromNative } from '../errors';
import { NAMESPACES, nameFromType, NAMESPACE_NAMES, type NamespaceName } from '../namespaces';
import type { SpawnIsolatedOptions } from '../spawn/spawn-isolated';
import { describeFlags, parseCommandLine, UsageError, type FlagSpec } from './args';
import { EXIT_NSJS_FAILED } from './exit-codes';
import { describeError } from './report';
import { runSandbox } from './run';

const EXEC_FLAGS: Readonly<Record<string, FlagSpec>> = {
  help: { type: 'boolean', help: 'show this help' },
  ...Object.fromEntries(NAMESPACE_NAMES.map((n) => [n, { type: 'boolean', help: `join TARGET's ${n} namespace (with a pid TARGET: only the ones picked)` }])),
};

export const EXEC_USAGE = `Usage: nsjs exec TARGET [options] [--] COMMAND [ARGS...]

Runs COMMAND in the namespaces of TARGET, as nsenter does: TARGET is a host
pid (every namespace of it that is not yours is joined, the user namespace
first) or a namespace file such as /run/netns/NAME. A joined PID namespace
runs COMMAND under nsjs-init, outside it.

Options:
${describeFlags(EXEC_FLAGS)}

Exit status: as nsjs run.`;

const inode = (link: string) => {
  try {
    return fs.readlinkSync(link);
  } catch (e) {
    throw fromFsError(e);
  }
};

/** The join option for a target: every differing namespace of a pid, or the one of a file. */
export function joinsFor(target: string, picked: NamespaceName[]): Partial<Record<NamespaceName, string>> {
  if (/^\d+$/.test(target)) {
    // An unprivileged caller has no capability over the sandbox's namespaces
    // except through its user namespace: join that too (nsenter would need -U).
    const types = picked.length && process.geteuid?.() !== 0 && !picked.includes('user') ? [...picked, 'user' as const] : picked.length ? picked : NAMESPACE_NAMES;
    const join: Partial<Record<NamespaceName, string>> = {};
    for (const type of types) {
      const path = `/proc/${target}/ns/${NAMESPACES[type].procName}`;
      if (!fs.existsSync(`/proc/${target}`)) throw new UsageError(`no process ${target}`);
      // The caller's own namespace: nothing to join (and its own user namespace cannot be joined).
      if ((!picked.includes(type) || type === 'user') && inode(path) === inode(`/proc/self/ns/${NAMESPACES[type].procName}`)) continue;
      join[type] = path;
    }
    return join;
  }
  let fd: number;
  try {
    fd = fs.openSync(target, 'r');
  } catch (e) {
    throw fromFsError(e);
  }
  try {
    const type = nameFromType(binding().nsType(fd));
    if (!type) throw new UsageError(`${target} is not a namespace file`);
    if (picked.length && !picked.includes(type)) throw new UsageError(`${target} is a ${type} namespace, not ${picked.join('/')}`);
    return { [type]: target };
  } catch (e) {
    throw fromNative(e, { path: target });
  } finally {
    fs.closeSync(fd);
  }
}

export async function exec(args: readonly string[]): Promise<number> {
  let join: Partial<Record<NamespaceName, string>>;
  let command: string[];
  try {
    // Every flag is boolean, so TARGET is the first argument that is not one;
    // the flags may stand before or after it.
    const at = args.findIndex((a) => !a.startsWith('-'));
    const target = at >= 0 && !args.slice(0, at).includes('--') ? args[at] : undefined;
    const parsed = parseCommandLine(target === undefined ? args : [...args.slice(0, at), ...args.slice(at + 1)], EXEC_FLAGS);
    if (parsed.flags.some((f) => f.name === 'help')) {
      process.stdout.write(`${EXEC_USAGE}\n`);
      return 0;
    }
    command = parsed.command;
    if (target === undefined || command.length === 0) throw new UsageError('TARGET and COMMAND are needed');
    join = joinsFor(target, parsed.flags.map((f) => f.name as NamespaceName));
  } catch (e) {
    process.stderr.write(`${describeError(e, 'exec')}\n`);
    return EXIT_NSJS_FAILED;
  }
  const options: SpawnIsolatedOptions = { namespaces: [], join, stdio: 'inherit' };
  return runSandbox(command, options, {}, 'exec');
}
