/**
 * Signal names and numbers, validated as child_process does
 * (`convertToValidSignal`), so that callers can catch the same codes.
 * @internal
 * @module
 */
import * as os from 'node:os';

import { invalidArgType, unknownSignal } from './errors';

const byNumber = new Map<number, NodeJS.Signals>();
for (const [name, num] of Object.entries(os.constants.signals)) {
  if (!byNumber.has(num)) byNumber.set(num, name as NodeJS.Signals);
}

export function signalName(num: number): NodeJS.Signals | null {
  return num > 0 ? (byNumber.get(num) ?? null) : null;
}

/** A signal name (any case, as Node accepts) or number; anything else is ERR_UNKNOWN_SIGNAL. */
function convertToValidSignal(value: unknown): number {
  if (typeof value === 'number' && byNumber.has(value)) return value;
  if (typeof value === 'string') {
    const num = (os.constants.signals as Record<string, number>)[value.toUpperCase()];
    if (num !== undefined) return num;
  }
  throw unknownSignal(value);
}

/** The `killSignal` option, checked as `child_process.spawn` checks it. */
export function killSignalOption(value: unknown, name: string): number {
  if (typeof value !== 'string' && typeof value !== 'number') throw invalidArgType(name, 'of type string or number', value);
  return convertToValidSignal(value);
}

/** The argument of `kill()`, checked as `ChildProcess.kill()` checks it: 0 is the existence check. */
export function killArgument(value: unknown): number {
  return value === 0 ? 0 : convertToValidSignal(value);
}
