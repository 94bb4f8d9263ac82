/**
 * The error for a machine that no shipped binary fits and that has no build
 * from source: what was looked for, and what to install.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import { ErrorCodes, libraryError, type NamespaceError } from './errors';

/** The libc node-gyp-build looks for, by its own test (Alpine means musl). */
function libcLookedFor(): string {
  return process.env.LIBC || (fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
}

/** Whether this process runs on glibc, as Node itself reports it. */
function runsOnGlibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return typeof report?.header?.glibcVersionRuntime === 'string';
}

/**
 * ERR_NSJS_NO_BINARY for a failed load: none of prebuilds/ fits and there is
 * no build/Release (`found` undefined), or the one found does not load here.
 */
export function noBinaryError(packageRoot: string, found: string | undefined, cause: unknown): NamespaceError {
  const libc = libcLookedFor();
  const target = `${process.platform}-${process.arch} with ${libc}`;
  const reason = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
  const what = found === undefined ? `no prebuilt binary fits ${target} and none was built from source` : `${found} does not load on ${target}: ${reason}`;
  const hints = [
    'nsjs ships binaries for linux-x64 and linux-arm64, each for glibc >= 2.17 and for musl; elsewhere it must be built from source at install,',
    'which needs g++, make and python3 (Debian/Ubuntu: apt-get install g++ make python3; Alpine: apk add g++ make python3)',
    "and nsjs's install script (npm install-scripts approve nsjs, or npm install --allow-scripts=nsjs), then `npm rebuild nsjs`.",
  ];
  if (libc === 'glibc' && process.platform === 'linux' && !runsOnGlibc()) {
    hints.unshift('This system does not run glibc: set LIBC=musl so that the musl binary is chosen.');
  }
  const hint = hints.join(' ');
  return libraryError(ErrorCodes.NO_BINARY, `nsjs has no native binary for this machine: ${what}. ${hint}`, { path: packageRoot, hint }, { cause });
}
