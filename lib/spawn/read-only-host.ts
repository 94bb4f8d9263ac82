/**
 * {@link readOnlyHost}: the most common sandbox's filesystem, as options to spread.
 * @module
 */
import * as fs from 'node:fs';

import { invalidArgType, invalidArgValue } from '../errors';
import { validateObject } from '../validate';
import { rejectUnknownKeys } from './options/keys';
import type { MountEntry } from './options/mounts';

/** Options of {@link readOnlyHost}. */
export interface ReadOnlyHostOptions {
  /** Host paths the program may write (bound writable, at the same place). */
  writable?: readonly string[];
  /** Host paths the program must not see: a directory is covered by an empty tmpfs, a file by an empty read-only file. A missing path is skipped. */
  hidden?: readonly string[];
}

/** What {@link readOnlyHost} returns: spread it into the options of spawnIsolated or clone. */
export interface ReadOnlyHostFs {
  /** An empty root, on which the host's / is bound read-only. */
  rootfs: 'tmpfs';
  /** The entries, in order (docs/filesystem.md). */
  mounts: MountEntry[];
}

function paths(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  return value.map((p, i) => {
    if (typeof p !== 'string') throw invalidArgType(`${name}[${i}]`, 'of type string', p);
    if (!p.startsWith('/') || p.includes('\u0000')) throw invalidArgValue(`${name}[${i}]`, p, 'must be an absolute path without null bytes');
    return p;
  });
}

/**
 * The host's whole tree read-only (locked so by the kernel when the sandbox
 * has a user namespace), with a fresh minimal `/dev`, a fresh `/proc` (of the
 * sandbox's PID namespace: keep `'pid'` in `namespaces`), an empty `/tmp`
 * (1777), the `writable` paths writable and the `hidden` paths covered.
 * bubblewrap's `--ro-bind / / --dev /dev --proc /proc --tmpfs /tmp`. `hidden`
 * is looked at now (directory or file); the rest when the sandbox starts.
 *
 * @example
 * ```ts
 * spawnIsolated('make', [], { ...readOnlyHost({ writable: [process.cwd()], hidden: ['/root', '/etc/shadow'] }), cwd: process.cwd() });
 * ```
 */
export function readOnlyHost(options: ReadOnlyHostOptions = {}): ReadOnlyHostFs {
  validateObject(options, 'options');
  rejectUnknownKeys(options, ['writable', 'hidden'], 'options');
  const writable = paths(options.writable, 'options.writable');
  const hidden = paths(options.hidden, 'options.hidden');
  const mounts: MountEntry[] = [
    { type: 'bind', source: '/', target: '/', readonly: true },
    { type: 'dev', target: '/dev' },
    { type: 'proc', target: '/proc' },
    { type: 'tmpfs', target: '/tmp', mode: 0o1777 },
  ];
  for (const p of writable) mounts.push({ type: 'bind', source: p, target: p });
  for (const p of hidden) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      continue; // nothing there to hide
    }
    mounts.push(stat.isDirectory() ? { type: 'tmpfs', target: p, mode: 0o755 } : { type: 'file', target: p, data: '', mode: 0o444, readonly: true });
  }
  return { rootfs: 'tmpfs', mounts };
}
