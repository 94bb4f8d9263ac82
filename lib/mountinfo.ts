/**
 * Reading /proc/thread-self/mountinfo: which mount a path lies in, and how it propagates.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

/** The mount a path lies in. */
export interface ContainingMount {
  /** Where it is mounted. */
  mountPoint: string;
  /** Its mounts propagate to a peer group (`shared:N`): possibly another namespace's. */
  shared: boolean;
}

/** mountinfo escapes space, tab, newline and backslash as \\ooo. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The mount that `realPath` (already resolved) lies in: the last, so topmost, whose mount point covers it. */
export function containingMount(realPath: string): ContainingMount | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/proc/thread-self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  let found: ContainingMount | undefined;
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 7) continue;
    const mountPoint = unescape(fields[4]);
    const covers = mountPoint === '/' || realPath === mountPoint || realPath.startsWith(`${mountPoint}/`);
    if (!covers) continue;
    const optional = fields.slice(6, fields.indexOf('-'));
    found = { mountPoint, shared: optional.some((f) => f.startsWith('shared:')) };
  }
  return found;
}
