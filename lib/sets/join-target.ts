/**
 * How a {@link NamespaceSet} serves as a `join` target without the options
 * code importing the set (and the set importing spawnIsolated back).
 * @internal
 * @module
 */
import type { NamespaceName } from '../namespaces';

/** A set's method: the fd of its namespace of `type` (the set keeps it), or throws once the set is closed. */
export const kJoinFd = Symbol('nsjs.joinFd');

/** @internal */
export interface JoinableSet {
  [kJoinFd](type: NamespaceName): number;
}

/** @internal */
export function isJoinableSet(value: unknown): value is JoinableSet {
  return typeof value === 'object' && value !== null && kJoinFd in value;
}
