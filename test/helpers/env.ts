// Where the tests run: the privilege level, and what may be skipped.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
/** The built package entry that fixtures require. */
export const DIST = path.join(ROOT, 'dist', 'index.js');

const uidMap = fs.readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);

/** Root in the initial user namespace: real root on the host. */
export const isHostRoot = process.geteuid?.() === 0 && uidMap.join(' ') === '0 0 4294967295';
/** uid 0 inside a user namespace (e.g. `unshare -r`). */
export const isUsernsRoot = process.geteuid?.() === 0 && !isHostRoot;
/** Not root: spawnIsolated adds a user namespace. */
export const isRootless = process.geteuid?.() !== 0;
export const level: 'root' | 'userns-root' | 'rootless' = isHostRoot ? 'root' : isUsernsRoot ? 'userns-root' : 'rootless';

/** CI sets this: a skip of something that should work here becomes a failure. */
export const MUST_WORK = process.env.NSJS_MUST_WORK === '1';

/**
 * `it` when `cond` holds. Otherwise a skip with the reason printed, or, under
 * NSJS_MUST_WORK=1, a failing test (the environment was supposed to allow it).
 */
export function itIf(cond: boolean, reason: string): jest.It {
  if (cond) return it;
  if (MUST_WORK) {
    return ((name: string) =>
      it(name, () => {
        throw new Error(`cannot run at level ${level}: ${reason} (NSJS_MUST_WORK=1 forbids skipping)`);
      })) as unknown as jest.It;
  }
  return ((name: string, ...rest: unknown[]) => {
    void rest;
    it.skip(`${name} [skipped: ${reason}]`, () => undefined);
  }) as unknown as jest.It;
}

/**
 * `it` at these privilege levels only. At the others the case does not apply
 * (what host root gets is not what root in a user namespace gets): a skip
 * that says so, which NSJS_MUST_WORK leaves a skip.
 */
export function itAtLevels(levels: readonly (typeof level)[]): jest.It {
  if (levels.includes(level)) return it;
  return ((name: string) => it.skip(`${name} [applies at level ${levels.join('/')}, not ${level}]`, () => undefined)) as unknown as jest.It;
}

/** The ASan/UBSan level: the addon is instrumented and Node runs with the sanitizer runtimes preloaded. */
export const underSanitizer = Boolean(process.env.NSJS_SANITIZER_PRELOAD);

/**
 * `it` except at the sanitizer level, for cases that start Node processes of
 * their own (the `nsjs` command): the preload would reach them and every
 * program they start, and the level's purpose, memory errors in the addon, is
 * served by the cases that call it in-process. A skip that says so there.
 */
export function itOutsideSanitizer(): jest.It {
  if (!underSanitizer) return it;
  return ((name: string) => it.skip(`${name} [not at the sanitizer level: it starts Node processes of its own]`, () => undefined)) as unknown as jest.It;
}

/** `it` when a kernel feature exists; a skip with the reason otherwise, even in CI. */
export function itIfSupported(cond: boolean, reason: string): jest.It {
  if (cond) return it;
  return ((name: string) => it.skip(`${name} [not supported here: ${reason}]`, () => undefined)) as unknown as jest.It;
}

/**
 * For the part of a test that needs a tool: true when it is installed.
 * Without it the part is left out with a warning, or, under
 * NSJS_MUST_WORK=1, the test fails (CI installs every tool the tests use).
 */
export function toolForPart(cmd: string): boolean {
  if (commandExists(cmd)) return true;
  if (MUST_WORK) throw new Error(`${cmd} is not installed (NSJS_MUST_WORK=1 forbids leaving checks out)`);
  console.warn(`${cmd} is not installed: the part of this test that needs it is left out`);
  return false;
}

export function commandExists(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => {
    try {
      fs.accessSync(path.join(d, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Sizes of heavy tests. The sanitizer level preloads libasan into Node, whose
 * allocator then serves all of V8: there the aim is memory errors, not load.
 */
export function scaled(n: number): number {
  return process.env.NSJS_SANITIZER_PRELOAD ? Math.max(1, Math.round(n / 5)) : n;
}
