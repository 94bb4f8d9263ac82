/**
 * Opening a namespace file given by path (`/proc/PID/ns/net`, `/run/netns/NAME`)
 * without the side effects of opening something else: only a regular file
 * is opened (a namespace file is one), and never blocking or as a terminal.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import { fromFsError, systemError } from './errors';

const EINVAL = 22;

/**
 * An O_RDONLY fd of a namespace file; what is not a regular file is refused
 * before it is opened. `what` names it in errors (e.g. "join.net").
 */
export function openNamespaceFile(path: string, what?: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (e) {
    const err = fromFsError(e) as { hint?: string; message: string };
    if (what) {
      err.hint = `the ${what} target`;
      err.message = `${err.message}. ${err.hint}`;
    }
    throw err;
  }
  // A FIFO would block the open, a device would act on it (a tape rewinds, a tty becomes ours).
  if (!stat.isFile()) throw systemError(EINVAL, { syscall: 'setns', path, hint: `${what ? `the ${what} target is ` : ''}not a namespace file` });
  try {
    return fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (e) {
    throw fromFsError(e);
  }
}
