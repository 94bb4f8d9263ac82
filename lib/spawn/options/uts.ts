/**
 * The UTS family: the hostname and NIS domain name inside.
 * @module
 */
import { validateUtsName } from '../../validate';
import { requireCreated, type NormalizedNamespaces } from './namespaces';

/** Options of the UTS family. */
export interface UtsOptions {
  /** Hostname inside (at most 64 bytes of UTF-8). Needs a new `'uts'`. */
  hostname?: string;
  /** NIS domain name inside (at most 64 bytes of UTF-8). Needs a new `'uts'`. */
  domainname?: string;
}

/** @internal */
export interface NormalizedUts {
  hostname?: string;
  domainname?: string;
}

/** @internal */
export function normalizeUts(o: Record<string, unknown>, ns: NormalizedNamespaces): NormalizedUts {
  const out = Object.create(null) as NormalizedUts; // optional fields: never inherited
  for (const key of ['hostname', 'domainname'] as const) {
    if (o[key] === undefined) continue;
    requireCreated(ns, 'uts', key);
    validateUtsName(o[key], `options.${key}`);
    out[key] = o[key] as string;
  }
  return out;
}
