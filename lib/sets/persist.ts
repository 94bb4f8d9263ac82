/**
 * `set.persist()`: a namespace file bind-mounted at a path (as `ip netns add`
 * does under /run/netns), so that it outlives its processes and other tools
 * can enter it; and its removal.
 * @internal
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { binding } from '../binding';
import { fromFsError, fromNative, systemError } from '../errors';

const EPERM = 1;
const EEXIST = 17;

/** One bind mount made by persist(), and what to undo. */
export interface Persisted {
  path: string;
  /** persist() created the file (it is removed again); false: it existed and is only unmounted. */
  createdFile: boolean;
  /** persist() created the directory (/run/netns on first use): removed when empty. */
  createdDir: string | undefined;
}

/** Bind-mounts the namespace open as `fd` at `target`; undoes its own steps on failure. */
export function persistNamespace(fd: number, target: string): Persisted {
  if (process.geteuid?.() !== 0) {
    // As `ip netns add`: mounting needs CAP_SYS_ADMIN over the mount namespace, which a rootless caller lacks.
    throw systemError(EPERM, {
      syscall: 'mount',
      path: target,
      hint: 'persisting a namespace is a bind mount: it needs root (as `ip netns add`); a rootless caller can join a set by the set itself or by its pid instead',
    });
  }
  const dir = path.dirname(target);
  let createdDir: string | undefined;
  // /run/netns does not exist until the first `ip netns add`: make it as ip would.
  if (dir === '/run/netns' && !fs.existsSync(dir)) {
    try {
      fs.mkdirSync(dir, { mode: 0o755 });
      createdDir = dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fromFsError(e);
    }
  }
  let createdFile = false;
  try {
    try {
      // O_EXCL: a file made here is removed by close(); one that existed is only unmounted.
      fs.closeSync(fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0));
      createdFile = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fromFsError(e);
      if (!fs.lstatSync(target).isFile()) {
        throw systemError(EEXIST, { syscall: 'mount', path: target, hint: 'the path exists and is not a regular file (a namespace file is bound onto a file)' });
      }
    }
    try {
      binding().bindNamespace(fd, target);
    } catch (e) {
      throw fromNative(e, { path: target });
    }
  } catch (e) {
    undoFiles({ path: target, createdFile, createdDir });
    throw e;
  }
  return { path: target, createdFile, createdDir };
}

/** Unmounts a persisted file and removes what persist() created. Throws the first failure, after trying all. */
export function unpersist(p: Persisted): void {
  let failure: unknown;
  try {
    binding().unmount(p.path);
  } catch (e) {
    const err = fromNative(e, { path: p.path }) as { code?: string };
    // EINVAL: no longer a mount point (someone unmounted it, e.g. `ip netns del`); ENOENT: removed.
    if (err.code !== 'EINVAL' && err.code !== 'ENOENT') failure = err;
  }
  try {
    undoFiles(p);
  } catch (e) {
    failure ??= e;
  }
  if (failure !== undefined) throw failure;
}

function undoFiles(p: Persisted): void {
  if (p.createdFile) fs.rmSync(p.path, { force: true });
  if (p.createdDir !== undefined) {
    try {
      fs.rmdirSync(p.createdDir);
    } catch (e) {
      // Someone else's netns file is there now: the directory stays, as ip leaves it.
      if ((e as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw fromFsError(e);
    }
  }
}
