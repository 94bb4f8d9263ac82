/**
 * Small helpers the option families share.
 * @internal
 * @module
 */
import { validateBoolean } from '../../validate';

/** A boolean option: its default when omitted, else it must be a boolean. */
export function optionalBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  validateBoolean(value, name);
  return value;
}
