/**
 * The request a pooled spawn sends to a ready set's holder (nsjs-init
 * --serve, src-native/init/nsjs-init.c): u32 count, argc, envc, has_cwd, then
 * NUL-terminated strings (the PATH candidates, argv, envp, the cwd).
 * @internal
 * @module
 */
import type { NormalizedExec } from '../spawn/options/exec';

export function encodeRequest(exec: NormalizedExec): Buffer {
  const strings = [...exec.execPaths, ...exec.argv, ...exec.envp, ...(exec.cwd !== undefined ? [exec.cwd] : [])];
  const header = Buffer.alloc(16);
  // Host byte order: nsjs-init reads the words in place (x86_64 and aarch64 are both little-endian).
  header.writeUInt32LE(exec.execPaths.length, 0);
  header.writeUInt32LE(exec.argv.length, 4);
  header.writeUInt32LE(exec.envp.length, 8);
  header.writeUInt32LE(exec.cwd !== undefined ? 1 : 0, 12);
  return Buffer.concat([header, ...strings.map((s) => Buffer.from(`${s}\0`, 'utf8'))]);
}
