/**
 * Is the calling thread still in the host's namespace of a type? "Host" means
 * the namespace PID 1 (as this /proc shows it) is in.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import { NAMESPACES, type NamespaceName } from './namespaces';

/** true, false, or undefined when PID 1's namespaces cannot be read (not root). */
export function inHostNamespace(type: NamespaceName): boolean | undefined {
  const proc = NAMESPACES[type].procName;
  try {
    return fs.readlinkSync(`/proc/thread-self/ns/${proc}`) === fs.readlinkSync(`/proc/1/ns/${proc}`);
  } catch {
    return undefined;
  }
}
