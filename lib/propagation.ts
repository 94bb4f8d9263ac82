/**
 * Mount propagation of `/` in a new mount namespace, by name; shared by the
 * in-process {@link unshare} and the sandbox options.
 * @module
 */
import { invalidArgType, invalidArgValue } from './errors';

/** How `/` propagates mounts after a new mount namespace is made. */
export type Propagation = 'private' | 'slave' | 'shared' | 'unchanged';

/** @internal Propagation flags for a name: MS_REC | MS_PRIVATE etc., 0 for 'unchanged'. */
export function propagationFlags(value: unknown, name: string): number {
  const c = { MS_REC: 0x4000, MS_PRIVATE: 1 << 18, MS_SLAVE: 1 << 19, MS_SHARED: 1 << 20 };
  switch (value) {
    case 'private':
      return c.MS_REC | c.MS_PRIVATE;
    case 'slave':
      return c.MS_REC | c.MS_SLAVE;
    case 'shared':
      return c.MS_REC | c.MS_SHARED;
    case 'unchanged':
      return 0;
    default:
      // A string that is not a propagation is a bad value, like every other bad option string.
      if (typeof value === 'string') throw invalidArgValue(name, value, "must be 'private', 'slave', 'shared' or 'unchanged'");
      throw invalidArgType(name, 'of type string', value);
  }
}

