// The compilers for one prebuild, all from Debian's packages (installed by
// .ci/run): gcc/g++ for the machine's own arch, g++-aarch64-linux-gnu (or
// g++-x86-64-linux-gnu) for the other, and musl-dev of each arch for musl.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const GNU = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };
const MUSL = { x64: 'x86_64-linux-musl', arm64: 'aarch64-linux-musl' };

/** The directories a compiler searches for <...> headers, in order. */
function includeDirs(compiler, lang) {
  const r = spawnSync(compiler, ['-E', '-v', '-x', lang, '/dev/null'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${compiler} failed (${r.error?.message ?? r.stderr}): install it (see .ci/run)`);
  const log = r.stderr;
  const start = log.indexOf('#include <...> search starts here:');
  const end = log.indexOf('End of search list.');
  return log.slice(start, end).split('\n').slice(1).map((l) => l.trim()).filter(Boolean).map((d) => path.resolve(d));
}

/**
 * musl's headers have no kernel headers (linux/, asm/, asm-generic/), and the
 * glibc ones cannot come along with them. A directory of links to just those
 * three, found where the glibc compiler of the same arch finds them.
 */
function kernelHeaders(gnuCompiler, scratch) {
  const dir = path.join(scratch, 'kernel-headers');
  fs.mkdirSync(dir, { recursive: true });
  const dirs = includeDirs(gnuCompiler, 'c');
  for (const name of ['linux', 'asm', 'asm-generic']) {
    const found = dirs.find((d) => fs.existsSync(path.join(d, name)));
    if (!found) throw new Error(`${gnuCompiler} finds no ${name}/ headers: install linux-libc-dev for this arch`);
    fs.symlinkSync(path.join(found, name), path.join(dir, name));
  }
  return dir;
}

/**
 * Environment for node-gyp (CC, CXX; LINK defaults to CXX) and the strip
 * binary, for linux-<arch> with <libc>. `scratch` is a temp dir the caller removes.
 */
function toolchain(arch, libc, scratch) {
  const gnu = GNU[arch];
  if (!gnu) throw new Error(`no toolchain for arch ${arch}`);
  const cc = `${gnu}-gcc`;
  const cxx = `${gnu}-g++`;
  const strip = `${gnu}-strip`;
  if (libc === 'glibc') return { env: { CC: cc, CXX: cxx }, strip };
  if (libc !== 'musl') throw new Error(`no toolchain for libc ${libc}`);

  // musl-dev's specs swap glibc's headers, crt files and libc for musl's;
  // the second specs file keeps the unwinder shared (see shared-libgcc.specs).
  const specs = `/usr/lib/${MUSL[arch]}/musl-gcc.specs`;
  if (!fs.existsSync(specs)) throw new Error(`${specs} is missing: install musl-dev:${arch === 'x64' ? 'amd64' : arch}`);
  const kernel = kernelHeaders(cc, scratch);
  const cxxDirs = includeDirs(cxx, 'c++').filter((d) => /\/c\+\+\//.test(d));
  const common = [`-specs=${specs}`, `-isystem ${kernel}`];
  return {
    env: {
      CC: [cc, ...common].join(' '),
      CXX: [
        cxx,
        `-specs=${specs}`,
        `-specs=${path.join(__dirname, 'shared-libgcc.specs')}`,
        ...cxxDirs.map((d) => `-isystem ${d}`),
        `-isystem ${kernel}`,
        `-include ${path.join(root, 'src-native', 'compat', 'libstdcxx-on-musl.h')}`,
      ].join(' '),
    },
    strip,
  };
}

module.exports = { toolchain };
