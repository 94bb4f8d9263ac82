// The published artifact: pack, install into an empty directory with no
// compiler on PATH, and use it through require and import.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { isHostRoot, itIf, ROOT } from '../helpers/env';

const test = itIf(isHostRoot, 'packing runs prebuildify, which needs the build toolchain and a writable checkout (root level)');

describe('the packed tarball', () => {
  test('installs with no compiler and works through require and import', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-pack-'));
    try {
      // Pack from a copy: prebuildify rebuilds and moves build/Release/nsjs.node.
      const tree = path.join(work, 'tree');
      execFileSync('sh', ['-c', `mkdir "$1" && tar -C "$0" --exclude=./.git --exclude=./node_modules --exclude=./build -cf - . | tar -C "$1" -xf - && ln -s "$0/node_modules" "$1/node_modules"`, ROOT, tree]);
      // TMPDIR: prebuildify leaves a directory in the temp dir; keep it in ours.
      const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: tree, encoding: 'utf8', env: { ...process.env, TMPDIR: work } }).trim().split('\n').pop()!;
      const listing = execFileSync('tar', ['-tzf', path.join(work, tgz)], { encoding: 'utf8' });
      expect(listing).toMatch(/package\/prebuilds\/linux-x64\/nsjs\.glibc\.node/);
      expect(listing).toMatch(/package\/prebuilds\/linux-x64\/nsjs-init/);

      // PATH with node and npm only: no g++, make, python3.
      const bin = path.join(work, 'bin');
      fs.mkdirSync(bin);
      for (const tool of ['node', 'npm', 'sh']) {
        const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
        fs.symlinkSync(fs.realpathSync(real), path.join(bin, tool));
      }
      const app = path.join(work, 'app');
      fs.mkdirSync(app);
      fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}');
      const env = { PATH: bin, HOME: process.env.HOME ?? work };
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, tgz)], { cwd: app, env, stdio: 'pipe' });
      expect(fs.existsSync(path.join(app, 'node_modules', 'nsjs', 'build'))).toBe(false); // nothing was compiled

      fs.writeFileSync(path.join(app, 'cjs.js'), `const { spawnIsolated } = require('nsjs');
        spawnIsolated('/bin/sh', ['-c', 'echo $$'], { hostname: 'packed' }).result.then((r) => console.log('cjs', r.stdout.trim()));`);
      fs.writeFileSync(path.join(app, 'esm.mjs'), `import { spawnIsolated, NamespaceError } from 'nsjs';
        const r = await spawnIsolated('/bin/hostname', [], { hostname: 'packed' }).result;
        console.log('esm', r.stdout.trim(), typeof NamespaceError);`);
      expect(execFileSync('node', ['cjs.js'], { cwd: app, env, encoding: 'utf8' })).toBe('cjs 2\n');
      expect(execFileSync('node', ['esm.mjs'], { cwd: app, env, encoding: 'utf8' })).toBe('esm packed function\n');
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 240000);
});
