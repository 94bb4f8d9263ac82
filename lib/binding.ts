/**
 * The native addon, typed once. Nothing else in nsjs touches it untyped.
 * @internal
 * @module
 */
import * as path from 'node:path';
import * as fs from 'node:fs';

import { noBinaryError } from './no-binary';

/** A spawn plan as the addon reads it: every string already validated. */
export interface NativePlan {
  cloneFlags: number;
  useVm: boolean;
  uidMap?: string;
  gidMap?: string;
  denySetgroups: boolean;
  propagation: number;
  hostname?: string;
  domainname?: string;
  mountProc: boolean;
  loopbackUp: boolean;
  timeOffsets?: string;
  newSession: boolean;
  noNewPrivs: boolean;
  dieWithParent: boolean;
  cwd?: string;
  stdio: number[];
  execPaths: string[];
  argv: string[];
  envp: string[];
  initPath?: string;
}

export interface NativeSpawnResult {
  pid: number;
  pidfd: number;
  statusFd: number;
  nsPid: number;
}

export interface NativeExitWatcher {
  ref(): void;
  unref(): void;
  /** 0, or a positive errno. */
  kill(signal: number): number;
}

export interface NativeExitWatcherConstructor {
  new (
    pidfd: number,
    statusFd: number,
    killOnTeardown: boolean,
    onExit: (code: number | null, signal: number) => void,
  ): NativeExitWatcher;
}

export interface NativeConstants {
  CLONE_NEWNS: number;
  CLONE_NEWUTS: number;
  CLONE_NEWIPC: number;
  CLONE_NEWUSER: number;
  CLONE_NEWPID: number;
  CLONE_NEWNET: number;
  CLONE_NEWCGROUP: number;
  CLONE_NEWTIME: number;
  CLONE_FS: number;
  MS_REC: number;
  MS_PRIVATE: number;
  MS_SLAVE: number;
  MS_SHARED: number;
}

export interface NativeBinding {
  unshare(flags: number): void;
  setRootPropagation(flags: number): void;
  setns(fd: number, nstype: number): void;
  nsType(fd: number): number;
  sethostname(name: Buffer): void;
  setdomainname(name: Buffer): void;
  mountProc(target: string): void;
  socketpair(): [number, number];
  closeFd(fd: number): void;
  spawn(plan: NativePlan): NativeSpawnResult;
  ExitWatcher: NativeExitWatcherConstructor;
  constants: NativeConstants;
}

const packageRoot = path.join(__dirname, '..');

// node-gyp-build picks prebuilds/<platform>-<arch>/ or build/Release/.
const loader = require('node-gyp-build') as { (dir: string): unknown; resolve(dir: string): string };

let addonPath: string | undefined;
let loaded: NativeBinding | undefined;

/**
 * The addon, loaded on first use so that `import 'nsjs'` never fails on its
 * own. Throws ERR_NSJS_NO_BINARY when no prebuild fits and none was built.
 */
export function binding(): NativeBinding {
  if (loaded === undefined) {
    try {
      addonPath = loader.resolve(packageRoot);
      loaded = loader(packageRoot) as NativeBinding;
    } catch (e) {
      throw noBinaryError(packageRoot, addonPath, e);
    }
  }
  return loaded;
}

let initPath: string | null | undefined;

/** nsjs-init ships beside the addon it was built with; looked up once, off the spawn path. */
export function initExecutablePath(): string | undefined {
  if (initPath === undefined) {
    binding();
    const candidate = path.join(path.dirname(addonPath as string), 'nsjs-init');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      initPath = candidate;
    } catch {
      initPath = null;
    }
  }
  return initPath ?? undefined;
}
