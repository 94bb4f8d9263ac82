/**
 * Signal names and numbers, validated as child_process does.
 * @internal
 * @module
 */
import * as os from 'node:os';

import { invalidArgType, invalidArgValue } from './errors';

const byNumber = new Map<number, NodeJS.Signals>();
for (const [name, num] of Object.entries(os.constants.signals)) {
  if (!byNumber.has(num)) byNumber.set(num, name as NodeJS.Signals);
}

export function signalName(num: number): NodeJS.Signals | null {
  return num > 0 ? (byNumber.get(num) ?? null) : null;
}

/** A signal name or number, as a number; 0 is allowed (existence check). */
export function signalNumber(value: unknown, name: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 64) throw invalidArgValue(name, value, 'must be a valid signal');
    return value;
  }
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string or number', value);
  const num = (os.constants.signals as Record<string, number>)[value];
  if (num === undefined) throw invalidArgValue(name, value, 'must be a valid signal name');
  return num;
}
