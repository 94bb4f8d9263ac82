/**
 * The network family: what a new network namespace starts with.
 * @module
 */
import { requireCreated, type NormalizedNamespaces } from './namespaces';
import { optionalBoolean } from './values';

/** Options of the network family. */
export interface NetworkOptions {
  /** Bring `lo` up (127.0.0.1 and ::1 work inside). Needs a new `'net'`. @default true with a new 'net' */
  loopback?: boolean;
}

/** @internal */
export function normalizeNetwork(o: Record<string, unknown>, ns: NormalizedNamespaces): { loopbackUp: boolean } {
  const loopbackUp = optionalBoolean(o.loopback, 'options.loopback', ns.created.includes('net'));
  if (loopbackUp) requireCreated(ns, 'net', 'loopback');
  return { loopbackUp };
}
