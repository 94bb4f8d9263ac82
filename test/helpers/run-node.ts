// Runs a throwaway Node process (the fixture) and collects what it reports.
// Everything that changes namespaces happens in such a process, never in jest's.
import { spawn, type SpawnOptions } from 'node:child_process';

import { DIST } from './env';

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last line of stdout parsed as JSON, when it is JSON. */
  json: any;
  pid: number;
}

export interface RunOptions {
  /** A command prefix, e.g. ['unshare', '--uts', '--']: the fixture gets its own namespaces first. */
  wrap?: string[];
  env?: Record<string, string>;
  stdio?: SpawnOptions['stdio'];
  timeoutMs?: number;
  /** Called with the child once it started (to signal or kill it). */
  onSpawn?: (pid: number) => void;
  /** The built package to load instead of this checkout's (one another user can read). */
  dist?: string;
}

/**
 * Runs `code` as an async function body in a fresh `node`, with `nsjs` (the
 * built package) and `report(value)` (prints JSON) in scope.
 */
export function runNode(code: string, opts: RunOptions = {}): Promise<Run> {
  const preload = process.env.NSJS_SANITIZER_PRELOAD;
  const prelude = `${preload ? 'delete process.env.LD_PRELOAD;\n' : ''}const nsjs = require(${JSON.stringify(opts.dist ?? DIST)});
const report = (v) => process.stdout.write('\\n' + JSON.stringify(v) + '\\n');
(async () => {
${code}
})().catch((e) => { report({ fixtureError: { message: e.message, code: e.code, name: e.name, stack: e.stack } }); process.exitCode = 99; });`;
  const argv = [...(opts.wrap ?? []), process.execPath, '-e', prelude];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      env: { ...process.env, ...(preload ? { LD_PRELOAD: preload } : {}), ...opts.env },
      stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30000);
    child.on('error', reject);
    child.on('spawn', () => opts.onSpawn?.(child.pid as number));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let json: unknown;
      try {
        json = JSON.parse(last);
      } catch {
        json = undefined;
      }
      resolve({ status, signal, stdout, stderr, json, pid: child.pid as number });
    });
  });
}

/** Fails with the fixture's own words when it did not finish cleanly. */
export function expectClean(run: Run): void {
  if (run.status !== 0 || run.signal !== null) {
    throw new Error(`fixture ended with status ${run.status} signal ${run.signal}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}
