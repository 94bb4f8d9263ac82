/**
 * The options that shape what {@link IsolatedProcess.result} buffers:
 * `encoding` and `maxBuffer`, with child_process.exec's names and meaning.
 * @internal
 * @module
 */
import { invalidArgValue, outOfRange } from '../../errors';

/** What `result.stdout`/`stderr` are decoded with; `'buffer'` leaves them Buffers. */
export type OutputEncoding = BufferEncoding | 'buffer';

/** @internal */
export interface OutputOptions {
  encoding: OutputEncoding;
  maxBuffer: number;
}

/**
 * execa's default (100 MB). child_process.exec's 1 MiB would break callers
 * who read larger outputs through `result`, which had no bound before.
 */
export const DEFAULT_MAX_BUFFER = 100_000_000;

/** @internal Validates `encoding` and `maxBuffer`; throws as Node does for bad values. */
export function normalizeOutputOptions(o: Record<string, unknown>): OutputOptions {
  return { encoding: encoding(o.encoding), maxBuffer: maxBuffer(o.maxBuffer) };
}

function encoding(value: unknown): OutputEncoding {
  if (value === undefined) return 'utf8';
  if (value === 'buffer') return value;
  // child_process turns any unknown value (a typo, null) into Buffers without
  // a word; nsjs refuses it, with the code and words of fs's encoding check.
  if (typeof value !== 'string' || !Buffer.isEncoding(value)) {
    throw invalidArgValue('options.encoding', value, "is invalid encoding; use 'buffer' or a Buffer encoding");
  }
  return value;
}

function maxBuffer(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_BUFFER;
  // As child_process's validateMaxBuffer: any number >= 0, Infinity for no
  // bound. null is refused: child_process lets it through and then treats
  // it as 0, failing on the first byte.
  if (typeof value !== 'number' || !(value >= 0)) throw outOfRange('options.maxBuffer', 'a positive number', value);
  return value;
}
