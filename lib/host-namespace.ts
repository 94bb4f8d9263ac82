/**
 * Is the calling thread still in the host's namespace of a type? "Host" means
 * the namespace PID 1 (as this /proc shows it) is in.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import { ErrorCodes, libraryError } from './errors';
import { NAMESPACES, type NamespaceName } from './namespaces';
import { optionsObject, validateBoolean } from './validate';

/** true, false, or undefined when PID 1's namespaces cannot be read (not root). */
export function inHostNamespace(type: NamespaceName): boolean | undefined {
  const proc = NAMESPACES[type].procName;
  try {
    return fs.readlinkSync(`/proc/thread-self/ns/${proc}`) === fs.readlinkSync(`/proc/1/ns/${proc}`);
  } catch {
    return undefined;
  }
}

/**
 * Throws ERR_NSJS_HOST_NAMESPACE when the thread is in the host's namespace of
 * `type` and `options.allowHostNamespace` is not set. When PID 1 cannot be
 * read (not root), the kernel decides: an unprivileged thread cannot change
 * the host's namespaces anyway.
 */
export function refuseInHostNamespace(
  type: NamespaceName,
  options: unknown,
  message: string,
  fields: { syscall: string; path?: string },
): void {
  const allow = optionsObject(options).allowHostNamespace ?? false;
  validateBoolean(allow, 'options.allowHostNamespace');
  if (!allow && inHostNamespace(type) === true) {
    throw libraryError(ErrorCodes.HOST_NAMESPACE, `${message} Pass { allowHostNamespace: true } to do it anyway.`, fields);
  }
}
