// Roots for filesystem tests: the host's /usr layout as mounts, and a real
// minimal root (Debian's busybox-static).
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { MountEntry } from '../../lib';

/** Where busybox-static puts its binary (.ci/run installs it). */
export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
});

/**
 * Mounts that make the host's programs run in an empty root: /usr read-only,
 * and /bin, /lib, /lib64, /sbin as the host has them (links into usr on a
 * merged-/usr host, read-only binds otherwise).
 */
export function usrMounts(): MountEntry[] {
  const mounts: MountEntry[] = [{ type: 'bind', source: '/usr', readonly: true }];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const p = `/${name}`;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) mounts.push({ type: 'symlink', target: p, linkTo: fs.readlinkSync(p) });
    else if (st.isDirectory()) mounts.push({ type: 'bind', source: p, readonly: true });
  }
  return mounts;
}

/** The names usrMounts() puts in /. */
export function usrNames(): string[] {
  return usrMounts().map((m) => (m.type === 'bind' ? (m.target ?? m.source) : m.target).slice(1));
}

/**
 * A directory that is a whole root of its own: busybox as /bin/busybox with
 * links for the applets given, and empty /proc, /dev, /tmp. Made by the
 * caller's identity (so the test user owns it).
 */
export function busyboxRoot(dir: string, applets: readonly string[] = ['sh', 'ps', 'ls', 'cat', 'echo', 'mount', 'id', 'touch', 'stat']): string {
  if (!BUSYBOX) throw new Error('busybox-static is not installed');
  for (const d of ['bin', 'proc', 'dev', 'tmp', 'etc']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  for (const a of applets) fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  fs.writeFileSync(path.join(dir, 'etc', 'os-release'), 'NAME=busybox-root\n');
  return dir;
}
