/**
 * How the `nsjs` command says what went wrong: the error's message, then
 * the fields that say where (step, op, syscall, path) and what to change (hint).
 * @internal
 * @module
 */
import { UsageError } from './args';

export function describeError(err: unknown, command: string): string {
  if (err instanceof UsageError) return `nsjs ${command}: ${err.message}\nTry 'nsjs ${command} --help'.`;
  const e = err as { message?: string; code?: string; step?: string; op?: number; syscall?: string; path?: string; hint?: string };
  const where = [
    e.code && `code ${e.code}`,
    e.step && `step ${e.step}${e.op !== undefined ? `[${e.op}]` : ''}`,
    e.syscall && `syscall ${e.syscall}`,
  ].filter(Boolean);
  const lines = [`nsjs ${command}: ${e.message ?? String(err)}`];
  if (where.length) lines.push(`  (${where.join(', ')})`);
  if (e.hint && !(e.message ?? '').includes(e.hint)) lines.push(`  hint: ${e.hint}`);
  return lines.join('\n');
}
