// `npm run build:prebuilds` (run by prepack, so by `npm pack` and `npm publish`):
// the binaries the tarball ships, for linux x64 and arm64, each for glibc and
// musl, all cross-built on this machine. Writes prebuilds/linux-<arch>/
// nsjs.<libc>.node (prebuildify --napi --strip --tag-libc) and the libc-free
// nsjs-init beside them, where lib/binding.ts looks for it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { toolchain } = require('./prebuild/toolchain');

const root = path.join(__dirname, '..');
const prebuilds = path.join(root, 'prebuilds');

// Musl first, the machine's own glibc build last: node-gyp leaves it in
// build/Release, which node-gyp-build prefers over prebuilds/ in this checkout.
const TARGETS = [
  ['x64', 'musl'],
  ['arm64', 'musl'],
  ['arm64', 'glibc'],
  ['x64', 'glibc'],
].sort((a, b) => Number(a[1] === 'glibc' && a[0] === process.arch) - Number(b[1] === 'glibc' && b[0] === process.arch));

/** Node's headers are the same for every arch: use the running Node's, never a download. */
function nodedir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(process.execPath, '..', '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  throw new Error(`no Node headers under ${prefix}/include/node: set npm_config_nodedir`);
}

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

function main() {
  // Only what this run built ends up in the tarball.
  for (const entry of fs.readdirSync(prebuilds, { withFileTypes: true })) {
    if (entry.isDirectory()) fs.rmSync(path.join(prebuilds, entry.name), { recursive: true });
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-prebuild-'));
  try {
    for (const [arch, libc] of TARGETS) {
      console.log(`\n=== prebuild linux-${arch} ${libc} ===`);
      const tc = toolchain(arch, libc, fs.mkdtempSync(path.join(scratch, `${arch}-${libc}-`)));
      const env = { ...process.env, ...tc.env, npm_config_nodedir: nodedir() };
      const bin = require.resolve('prebuildify/bin.js', { paths: [root] });
      // --cache: prebuildify's node-gyp devdir, otherwise left behind in the temp dir (unused: nodedir is set).
      const args = ['--napi', '--strip', '--tag-libc', `--arch=${arch}`, `--libc=${libc}`, `--strip-bin=${tc.strip}`, `--cache=${path.join(scratch, 'cache')}`];
      run(process.execPath, [bin, ...args], env);
      // nsjs-init calls no libc: the glibc build's serves both.
      if (libc === 'glibc') {
        const init = path.join(prebuilds, `linux-${arch}`, 'nsjs-init');
        fs.copyFileSync(path.join(root, 'build', 'Release', 'nsjs-init'), init);
        fs.chmodSync(init, 0o755);
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  for (const dir of fs.readdirSync(prebuilds).filter((d) => d.startsWith('linux-'))) {
    for (const file of fs.readdirSync(path.join(prebuilds, dir))) {
      console.log(`prebuilds/${dir}/${file}\t${fs.statSync(path.join(prebuilds, dir, file)).size} bytes`);
    }
  }
}

main();
