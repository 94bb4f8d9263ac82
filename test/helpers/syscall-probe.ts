// Builds test/helpers/syscall-probe.c once per test file, into a directory
// every level can read; remove() deletes it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { commandExists } from './env';

export const canBuildProbe = commandExists('gcc');

export interface Probe {
  /** The built probe: `probe <call>` prints the errno of that call (0: it succeeded). */
  path: string;
  remove(): void;
}

export function buildProbe(): Probe {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-probe-'));
  fs.chmodSync(dir, 0o755);
  const out = path.join(dir, 'probe');
  execFileSync('gcc', ['-O1', '-o', out, path.join(__dirname, 'syscall-probe.c')]);
  return { path: out, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const names = new Map(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

/** The probe's output lines, as errno names. */
export function errnoNames(stdout: string): string[] {
  return stdout.trim().split('\n').map((l) => (l === '0' ? 'OK' : names.get(Number(l)) ?? l));
}
