/**
 * The rlimits family: resource limits of the program (setrlimit), named as
 * prlimit(1) names them.
 * @module
 */
import type { NativeRlimit } from '../../binding';
import { invalidArgType, invalidArgValue, outOfRange } from '../../errors';
import { validateObject } from '../../validate';
import { rejectUnknownKeys } from './keys';

/** The limits prlimit(1) knows, by its names. */
export const RLIMIT_NAMES = Object.freeze([
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio',
  'rttime', 'sigpending', 'stack',
] as const);

/** A limit by its prlimit(1) name. */
export type RlimitName = (typeof RLIMIT_NAMES)[number];

/** One limit: both soft and hard, or each; `Infinity` is unlimited. */
export type RlimitValue =
  | number
  | {
      /** What the kernel enforces; the process may raise it up to `hard`. */
      soft: number;
      /** The ceiling for `soft`; raising it needs CAP_SYS_RESOURCE. */
      hard: number;
    };

/** Options of the rlimits family. */
export interface RlimitOptions {
  /**
   * Resource limits of the program, set before it runs, e.g.
   * `{ nofile: 256, cpu: { soft: 10, hard: 11 }, core: 0 }`. A number sets
   * both the soft and the hard limit; `Infinity` means unlimited. Raising a
   * hard limit needs CAP_SYS_RESOURCE on the host: a value the caller may not
   * set fails at step `rlimits` with EPERM, and the error says which.
   * `nproc` counts every process of the real uid on the host, not only the
   * sandbox's (see docs/resources.md). The limits are inherited by every
   * process of the sandbox, each on its own: `cpu` is seconds per process.
   */
  rlimits?: Partial<Record<RlimitName, RlimitValue>>;
}

const MAX_LIMIT = 2 ** 53;

function limitValue(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (value !== Infinity && !(Number.isInteger(value) && value >= 0 && value <= MAX_LIMIT)) {
    throw outOfRange(name, `an integer >= 0 && <= 2^53, or Infinity`, value);
  }
  return value;
}

/** @internal The limits in the order given, checked (soft <= hard). */
export function normalizeRlimits(o: Record<string, unknown>): NativeRlimit[] {
  if (o.rlimits === undefined) return [];
  validateObject(o.rlimits, 'options.rlimits');
  rejectUnknownKeys(o.rlimits, RLIMIT_NAMES, 'options.rlimits');
  return Object.entries(o.rlimits).map(([name, value]) => {
    const key = `options.rlimits.${name}`;
    if (typeof value === 'number') {
      const both = limitValue(value, key);
      return { name, soft: both, hard: both };
    }
    validateObject(value, key);
    rejectUnknownKeys(value, ['soft', 'hard'], key);
    const soft = limitValue(value.soft, `${key}.soft`);
    const hard = limitValue(value.hard, `${key}.hard`);
    if (soft > hard) throw invalidArgValue(key, value, 'has a soft limit above its hard limit');
    return { name, soft, hard };
  });
}
