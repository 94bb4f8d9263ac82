// An install without nsjs-init beside the addon: a copy of the package made
// without it, so the shared build is never touched.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ROOT } from '../helpers/env';
import { expectClean, runNode } from '../helpers/run-node';

describe('nsjs-init missing beside the addon', () => {
  it("a sandbox with init emits 'error' ERR_NSJS_INIT_NOT_FOUND; init: false still works", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-noinit-'));
    try {
      const addon = (require('node-gyp-build') as { resolve(dir: string): string }).resolve(ROOT);
      fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
      fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
      fs.copyFileSync(addon, path.join(dir, 'build', 'Release', 'nsjs.node'));
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      fs.chmodSync(dir, 0o755);
      const r = await runNode(`
        const copy = require(${JSON.stringify(path.join(dir, 'dist', 'index.js'))});
        const spawn = (init) => new Promise((resolve) => {
          const c = copy.spawnIsolated('/bin/true', [], { init, stdio: 'ignore' });
          c.on('error', (e) => resolve({ code: e.code, name: e.name, pid: c.pid ?? null }));
          c.on('exit', (code) => resolve({ exit: code }));
        });
        report({ init: await spawn(true), noInit: await spawn(false) });`);
      expectClean(r);
      expect(r.json).toEqual({ init: { code: 'ERR_NSJS_INIT_NOT_FOUND', name: 'NamespaceError', pid: null }, noInit: { exit: 0 } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
