// The published artifact. `npm pack` cross-builds every prebuild; each is
// looked at with file/readelf; the tarball is installed into empty
// directories with no compiler on PATH and used: here (linux-x64 glibc),
// under qemu-user with Debian's arm64 Node (linux-arm64 glibc), and with the
// prebuilds taken out (ERR_NSJS_NO_BINARY).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { compareVersions, elfFacts, maxVersions, type ElfFacts } from '../helpers/elf';
import { commandExists, isHostRoot, itIf, ROOT } from '../helpers/env';

const canPack = isHostRoot;
const test = itIf(canPack, 'packing cross-builds the prebuilds, which needs the toolchains .ci/run installs and a writable checkout (root level)');
const ARM64_LOADER = '/lib/ld-linux-aarch64.so.1';
const testArm64 = itIf(
  canPack && commandExists('qemu-aarch64-static') && fs.existsSync(ARM64_LOADER),
  'needs qemu-user-static and arm64 multiarch libraries (.ci/run installs them)',
);

// The floors README.md documents for the glibc prebuilds.
const FLOOR: Record<string, string> = { GLIBC: '2.17', GLIBCXX: '3.4.21', CXXABI: '1.3.9' };
// What a prebuilt addon may import besides libc: Node's N-API and libuv.
const FROM_NODE = /^(napi_|uv_)/;

interface Prebuild {
  arch: 'x64' | 'arm64';
  libc: 'glibc' | 'musl';
  fileArch: string;
  machine: string;
  needed: string[];
}
const PREBUILDS: Prebuild[] = [
  { arch: 'x64', libc: 'glibc', fileArch: 'x86-64', machine: 'Advanced Micro Devices X86-64', needed: ['libstdc++.so.6', 'libgcc_s.so.1', 'libc.so.6'] },
  { arch: 'x64', libc: 'musl', fileArch: 'x86-64', machine: 'Advanced Micro Devices X86-64', needed: ['libstdc++.so.6', 'libgcc_s.so.1', 'libc.so'] },
  // aarch64's stack protector reads __stack_chk_guard from the dynamic loader.
  { arch: 'arm64', libc: 'glibc', fileArch: 'ARM aarch64', machine: 'AArch64', needed: ['libstdc++.so.6', 'libgcc_s.so.1', 'libc.so.6', 'ld-linux-aarch64.so.1'] },
  { arch: 'arm64', libc: 'musl', fileArch: 'ARM aarch64', machine: 'AArch64', needed: ['libstdc++.so.6', 'libgcc_s.so.1', 'libc.so'] },
];
const MUSL_LIBC = { x64: '/usr/lib/x86_64-linux-musl/libc.so', arm64: '/usr/lib/aarch64-linux-musl/libc.so' };

let work = '';
let tgz = '';
/** The tarball, extracted. */
let pkg = '';
/** Env with node, npm and sh on PATH and nothing else: no g++, make, python3. */
let bare: NodeJS.ProcessEnv = {};

beforeAll(() => {
  if (!canPack) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-pack-'));
  // Pack from a copy: node-gyp rebuilds build/ once per prebuild.
  const tree = path.join(work, 'tree');
  execFileSync('sh', ['-c', `mkdir "$1" && tar -C "$0" --exclude=./.git --exclude=./node_modules --exclude=./build --exclude=./prebuilds/linux-x64 --exclude=./prebuilds/linux-arm64 -cf - . | tar -C "$1" -xf - && ln -s "$0/node_modules" "$1/node_modules"`, ROOT, tree]);
  // TMPDIR: the build script's scratch dirs go into ours, so nothing outlives the test.
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: tree, encoding: 'utf8', env: { ...process.env, TMPDIR: work }, stdio: ['ignore', 'pipe', 'pipe'] })
    .trim()
    .split('\n')
    .pop()!;
  tgz = path.join(work, name);
  pkg = path.join(work, 'extracted');
  fs.mkdirSync(pkg);
  execFileSync('tar', ['-C', pkg, '-xzf', tgz]);
  pkg = path.join(pkg, 'package');

  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  for (const tool of ['node', 'npm', 'sh']) {
    const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    fs.symlinkSync(fs.realpathSync(real), path.join(bin, tool));
  }
  bare = { PATH: bin, HOME: process.env.HOME ?? work };
}, 600000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** `npm install <tarball>` into a new empty project; the scripts' output shown. */
function installInto(dir: string, tarball: string): { status: number | null; output: string; app: string } {
  const app = path.join(work, dir);
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', tarball], { cwd: app, env: bare, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`, app };
}

/** The tarball with prebuilds/linux-* taken out. */
function noPrebuildsTarball(): string {
  const dir = path.join(work, 'no-prebuilds');
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir);
    execFileSync('sh', ['-c', 'tar -C "$0" -xzf "$1" && rm -r "$0"/package/prebuilds/linux-* && tar -C "$0" -czf "$0/nsjs.tgz" package', dir, tgz]);
  }
  return path.join(dir, 'nsjs.tgz');
}

/** The .node files mapped into the process that runs this snippet (as /proc/self/maps shows). */
const MAPPED_ADDONS = `[...new Set(require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && p.endsWith('.node')))]`;

describe('the packed tarball', () => {
  test('holds the four prebuilds and nsjs-init for each arch, and stays small', () => {
    const listing = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n');
    expect(listing.filter((f) => f.startsWith('package/prebuilds/linux-')).sort()).toEqual([
      'package/prebuilds/linux-arm64/nsjs-init',
      'package/prebuilds/linux-arm64/nsjs.glibc.node',
      'package/prebuilds/linux-arm64/nsjs.musl.node',
      'package/prebuilds/linux-x64/nsjs-init',
      'package/prebuilds/linux-x64/nsjs.glibc.node',
      'package/prebuilds/linux-x64/nsjs.musl.node',
    ]);
    expect(fs.statSync(tgz).size).toBeLessThan(768 * 1024); // README: about 650 KB
  });

  describe.each(PREBUILDS)('prebuilds/linux-$arch/nsjs.$libc.node', (p) => {
    let elf: ElfFacts;
    beforeAll(() => {
      if (canPack) elf = elfFacts(path.join(pkg, 'prebuilds', `linux-${p.arch}`, `nsjs.${p.libc}.node`));
    });

    test('is a stripped shared object for its arch, needing only the C and C++ runtimes', () => {
      expect(elf.file).toMatch(new RegExp(`^ELF 64-bit LSB shared object, ${p.fileArch},.*, stripped$`));
      expect(elf.machine).toBe(p.machine);
      expect(elf.type).toBe('DYN');
      expect(elf.interpreter).toBeUndefined();
      expect(elf.needed).toEqual(p.needed);
    });

    if (p.libc === 'glibc') {
      test(`asks for no glibc symbol newer than ${FLOOR.GLIBC}, nor libstdc++ newer than GCC 5`, () => {
        const max = maxVersions(elf);
        expect(Object.keys(max).sort()).toEqual(expect.arrayContaining(['GLIBC', 'GLIBCXX']));
        for (const [ns, version] of Object.entries(max)) {
          if (FLOOR[ns] !== undefined) expect({ ns, version, newer: compareVersions(version, FLOOR[ns]) > 0 }).toEqual({ ns, version, newer: false });
        }
        // Every libc import is versioned on glibc: an unversioned one would be a symbol glibc lacks.
        expect(elf.dynsyms.filter((s) => s.undefined && !s.weak && !s.version && !FROM_NODE.test(s.name)).map((s) => s.name)).toEqual([]);
      });
    } else {
      test("asks for no glibc symbol, and musl's libc.so exports every C symbol it needs", () => {
        expect(elf.dynsyms.filter((s) => s.version?.startsWith('GLIBC_'))).toEqual([]);
        expect(Object.keys(maxVersions(elf)).sort()).toEqual(['CXXABI', 'GCC', 'GLIBCXX']); // libstdc++.so.6 and libgcc_s.so.1
        const musl = new Set(elfFacts(MUSL_LIBC[p.arch]).dynsyms.filter((s) => !s.undefined).map((s) => s.name));
        const fromLibc = elf.dynsyms.filter((s) => s.undefined && !s.weak && !s.version && !FROM_NODE.test(s.name));
        expect(fromLibc.length).toBeGreaterThan(20);
        expect(fromLibc.map((s) => s.name).filter((n) => !musl.has(n))).toEqual([]);
      });
    }
  });

  describe.each(['x64', 'arm64'] as const)('prebuilds/linux-%s/nsjs-init', (arch) => {
    const p = PREBUILDS.find((b) => b.arch === arch)!;
    const run = arch === 'x64' ? test : testArm64;
    const init = (): string => path.join(pkg, 'prebuilds', `linux-${arch}`, 'nsjs-init');

    test('is a static executable for its arch with no interpreter and no libraries', () => {
      const elf = elfFacts(init());
      expect(elf.file).toMatch(new RegExp(`^ELF 64-bit LSB executable, ${p.fileArch},.*statically linked`));
      expect(elf.machine).toBe(p.machine);
      expect(elf.type).toBe('EXEC');
      expect(elf.interpreter).toBeUndefined();
      expect(elf.needed).toEqual([]);
    });

    run(`starts a program and reports its start and exit on the status fd${arch === 'arm64' ? ' (under qemu-aarch64-static)' : ''}`, () => {
      const argv = [init(), '3', '1', '/bin/sh', 'sh', '-c', 'exit 7'];
      const r = arch === 'x64' ? spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] }) : spawnSync('qemu-aarch64-static', argv, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
      expect(r.status).toBe(7);
      // Two 24-byte records (src-native/core/record.h: kind, step, sys, err, value, op):
      // SPAWNED with the pid, then EXIT with the wait status.
      const out = r.output[3] as Buffer;
      expect(out.length).toBe(48);
      expect([out.readInt32LE(0), out.readInt32LE(16) > 0, out.readInt32LE(24), out.readInt32LE(40)]).toEqual([2, true, 3, 7 << 8]);
    });
  });

  test('installs with no compiler, runs only its install script, and loads the linux-x64 glibc prebuild', () => {
    const { status, output, app } = installInto('app', tgz);
    expect({ status, output }).toEqual({ status: 0, output: expect.any(String) });
    expect([...output.matchAll(/^> nsjs@[\d.]+ (\S+)$/gm)].map((m) => m[1])).toEqual(['install']);
    expect(output).not.toMatch(/prepare|postinstall|preinstall/);
    expect(fs.existsSync(path.join(app, 'node_modules', 'nsjs', 'build'))).toBe(false); // nothing was compiled

    fs.writeFileSync(path.join(app, 'cjs.js'), `const { spawnIsolated } = require('nsjs');
      spawnIsolated('/bin/sh', ['-c', 'echo $$'], { hostname: 'packed' }).result.then((r) =>
        console.log(JSON.stringify({ pid: r.stdout.trim(), addons: ${MAPPED_ADDONS} })));`);
    fs.writeFileSync(path.join(app, 'esm.mjs'), `import { spawnIsolated, NamespaceError } from 'nsjs';
      const r = await spawnIsolated('/bin/hostname', [], { hostname: 'packed' }).result;
      console.log('esm', r.stdout.trim(), typeof NamespaceError);`);
    expect(JSON.parse(execFileSync('node', ['cjs.js'], { cwd: app, env: bare, encoding: 'utf8' }))).toEqual({
      pid: '2',
      addons: [path.join(fs.realpathSync(app), 'node_modules', 'nsjs', 'prebuilds', 'linux-x64', 'nsjs.glibc.node')],
    });
    expect(execFileSync('node', ['esm.mjs'], { cwd: app, env: bare, encoding: 'utf8' })).toBe('esm packed function\n');
    // The command, as the README's first screen has it (a user's PATH: hostname(1) runs inside).
    const userPath = { ...bare, PATH: `${bare.PATH}:/usr/bin:/bin` };
    expect(execFileSync('npx', ['nsjs', 'run', '--hostname', 'box', '--', 'hostname'], { cwd: app, env: userPath, encoding: 'utf8' })).toBe('box\n');
  }, 120000);

  testArm64("loads the linux-arm64 glibc prebuild in Debian's arm64 Node under qemu-aarch64-static", () => {
    const app = path.join(work, 'app');
    if (!fs.existsSync(app)) installInto('app', tgz);
    // Debian's nodejs:arm64 cannot be installed beside this machine's Node (same package name):
    // take its packages from apt and run them from a directory, its libraries from multiarch.
    const arm = path.join(work, 'arm64-node');
    fs.mkdirSync(arm);
    execFileSync('apt-get', ['download', '-qq', 'nodejs:arm64', 'libnode108:arm64', 'node-acorn', 'node-cjs-module-lexer', 'node-undici'], { cwd: arm, stdio: 'pipe' });
    const root = path.join(arm, 'root');
    for (const deb of fs.readdirSync(arm).filter((f) => f.endsWith('.deb'))) execFileSync('dpkg-deb', ['-x', path.join(arm, deb), root]);

    fs.writeFileSync(path.join(app, 'arm64.js'), `const os = require('os');
      const nsjs = require('nsjs');
      const before = nsjs.namespaceIds().uts.inode;
      nsjs.unshare(['uts']); // the first call loads the addon
      nsjs.sethostname('nsjs-arm64');
      console.log(JSON.stringify({ arch: process.arch, node: process.version, exports: Object.keys(nsjs).sort(),
        newUts: nsjs.namespaceIds().uts.inode !== before, hostname: os.hostname(), addons: ${MAPPED_ADDONS} }));`);
    // -L: the guest's absolute paths (Node's /usr/share/nodejs builtins) resolve in root first.
    // unshare --uts: the fixture changes its own thread's namespaces, never the host's.
    const out = execFileSync(
      'unshare',
      ['--uts', '--', 'qemu-aarch64-static', '-L', root, '-E', `LD_LIBRARY_PATH=${root}/usr/lib/aarch64-linux-gnu`, `${root}/usr/bin/node`, 'arm64.js'],
      { cwd: app, encoding: 'utf8' },
    );
    const x64Exports = execFileSync('node', ['-p', "JSON.stringify(Object.keys(require('nsjs')).sort())"], { cwd: app, env: bare, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      arch: 'arm64',
      node: expect.stringMatching(/^v\d+\./),
      exports: JSON.parse(x64Exports),
      newUts: true,
      hostname: 'nsjs-arm64',
      addons: [path.join(fs.realpathSync(app), 'node_modules', 'nsjs', 'prebuilds', 'linux-arm64', 'nsjs.glibc.node')],
    });
  }, 180000);

  test('without prebuilds and with no compiler, installs anyway and the first use throws ERR_NSJS_NO_BINARY', () => {
    const { status, output, app } = installInto('app-no-prebuilds', noPrebuildsTarball());
    expect(status).toBe(0);
    expect(output).toMatch(/gyp ERR!/); // it did try to build from source
    expect(output).toMatch(/nsjs throws ERR_NSJS_NO_BINARY on first use/);

    fs.writeFileSync(path.join(app, 'use.js'), `const nsjs = require('nsjs');
      const ids = nsjs.namespaceIds(); // needs no binary
      const child = nsjs.spawnIsolated('/bin/true');
      child.result.catch(() => {});
      child.on('error', (e) => console.log(JSON.stringify({ ids: typeof ids.pid.inode, name: e.name, isNamespaceError: e instanceof nsjs.NamespaceError,
        code: e.code, message: e.message, hint: e.hint, path: e.path, cause: e.cause && e.cause.message })));`);
    const seen = JSON.parse(execFileSync('node', ['use.js'], { cwd: app, env: bare, encoding: 'utf8' }));
    expect(seen).toEqual({
      ids: 'number',
      name: 'NamespaceError',
      isNamespaceError: true,
      code: 'ERR_NSJS_NO_BINARY',
      message: expect.stringMatching(/^nsjs has no native binary for this machine: no prebuilt binary fits linux-x64 with glibc and none was built from source\. /),
      hint: expect.stringMatching(/g\+\+, make and python3.*npm rebuild nsjs/),
      path: path.join(fs.realpathSync(app), 'node_modules', 'nsjs'),
      cause: expect.stringMatching(/^No native build was found for platform=linux arch=x64/),
    });
    expect(seen.message).toContain(seen.hint);
  }, 180000);

  test('a prebuild that is found but does not load is ERR_NSJS_NO_BINARY too, with the loader error as cause', () => {
    const { app } = installInto('app-wrong-prebuild', noPrebuildsTarball());
    // An arm64 binary where the x64 one belongs: node-gyp-build picks it by name, dlopen refuses it.
    const wrong = path.join(app, 'node_modules', 'nsjs', 'prebuilds', 'linux-x64', 'nsjs.glibc.node');
    fs.mkdirSync(path.dirname(wrong), { recursive: true });
    fs.copyFileSync(path.join(pkg, 'prebuilds', 'linux-arm64', 'nsjs.glibc.node'), wrong);
    fs.writeFileSync(path.join(app, 'wrong.js'), `const nsjs = require('nsjs');
      try { nsjs.clone({ namespaces: ['uts'], command: '/bin/true' }); } catch (e) {
        console.log(JSON.stringify({ code: e.code, message: e.message, causeCode: e.cause && e.cause.code })); }`);
    const seen = JSON.parse(execFileSync('node', ['wrong.js'], { cwd: app, env: bare, encoding: 'utf8' }));
    expect(seen).toEqual({
      code: 'ERR_NSJS_NO_BINARY',
      message: expect.stringContaining(`nsjs has no native binary for this machine: ${fs.realpathSync(wrong)} does not load on linux-x64 with glibc: `),
      causeCode: 'ERR_DLOPEN_FAILED',
    });
  }, 60000);
});
