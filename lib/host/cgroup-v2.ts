/**
 * cgroup v2, as far as this version goes: which controllers the caller's own
 * v2 cgroup offers. Making a sandbox's cgroup there (clone3 with
 * CLONE_INTO_CGROUP under a delegated parent) is not implemented yet: a v2
 * controller is refused with ERR_NSJS_UNSUPPORTED, never enforced weaker.
 * @internal
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the unified hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts). */
function v2Mount(): string | undefined {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.startsWith('cgroup2 ')) return left.split(' ')[4];
  }
  return undefined;
}

/** The controllers the caller's own v2 cgroup has. */
export function v2Controllers(): Set<string> {
  const mount = v2Mount();
  const own = /^0::(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  if (mount === undefined || own === undefined) return new Set();
  try {
    return new Set(fs.readFileSync(path.join(mount, own, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean));
  } catch {
    return new Set();
  }
}
