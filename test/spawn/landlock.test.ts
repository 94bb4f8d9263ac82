// Landlock, with no namespace at all (namespaces: []): what works where user
// namespaces are forbidden (docs/security.md, "Landlock"). At the rootless
// level this runs as nobody.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { spawnIsolated, type SpawnIsolatedOptions } from '../../lib';

// What a shell and node need to start: their binaries and libraries.
const SYSTEM = ['/usr', '/lib', '/lib64', '/bin'].filter((p) => fs.existsSync(p));
const base = (landlock: SpawnIsolatedOptions['landlock']): SpawnIsolatedOptions => ({ namespaces: [], landlock: { execute: SYSTEM, ...landlock } });

describe('landlock', () => {
  // Made in beforeAll, not while jest collects: a run that filters or skips every case would never remove it.
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-landlock-'));
    for (const d of ['readable', 'writable', 'other']) fs.mkdirSync(path.join(dir, d), { mode: 0o777 });
    for (const d of ['readable', 'writable', 'other']) fs.writeFileSync(path.join(dir, d, 'f'), 'x\n', { mode: 0o666 });
    fs.chmodSync(dir, 0o755);
    for (const d of ['readable', 'writable', 'other']) {
      fs.chmodSync(path.join(dir, d), 0o777);
      fs.chmodSync(path.join(dir, d, 'f'), 0o666);
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes outside `write` and reads outside `read` fail with EACCES, as the caller, with namespaces: []', async () => {
    const cmd = ['readable', 'writable', 'other']
      .map((d) => `cat ${dir}/${d}/f >/dev/null 2>&1 && echo read-${d}; echo y 2>/dev/null >> ${dir}/${d}/f && echo wrote-${d}; touch ${dir}/${d}/new 2>/dev/null && echo made-${d}`)
      .join('; ');
    const child = spawnIsolated('sh', ['-c', `${cmd}; echo x > ${dir}/other/f`], { ...base({ read: [`${dir}/readable`], write: [`${dir}/writable`, '/dev/null'] }), stdio: 'pipe' });
    const r = await child.result.catch((e) => e);
    expect(r.stdout.trim().split('\n')).toEqual(['read-readable', 'read-writable', 'wrote-writable', 'made-writable']);
    expect(r.stderr).toMatch(/Permission denied/); // EACCES
    expect(child.landlock).toEqual({ abi: expect.any(Number), dropped: [] });
    expect(child.landlock!.abi).toBeGreaterThanOrEqual(6);
    expect(fs.readFileSync(path.join(dir, 'other', 'f'), 'utf8')).toBe('x\n');
  });

  it('connectTcp: the listed ports only (EACCES for the rest)', async () => {
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const code = `require('net').connect(${port}, '127.0.0.1').on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); })`;
    const run = (connectTcp: number[]) => spawnIsolated(process.execPath, ['-e', code], base({ read: ['/etc', '/proc', '/dev', '/sys'], connectTcp })).result;
    try {
      expect((await run([port])).stdout).toBe('connected\n');
      expect((await run([port + 1 > 65535 ? 1 : port + 1])).stdout).toBe('EACCES\n');
    } finally {
      server.close();
    }
  });

  it("compatibility 'hard' on a kernel that has it all runs, and reports nothing dropped", async () => {
    const child = spawnIsolated('true', [], base({ compatibility: 'hard', scoped: true, bindTcp: [], connectTcp: [] }));
    expect((await child.result).exitCode).toBe(0);
    expect(child.landlock).toEqual({ abi: expect.any(Number), dropped: [] });
  });

  it('a path that cannot be opened fails before clone, at step landlock, with its path', async () => {
    const missing = path.join(dir, 'missing');
    const child = spawnIsolated('true', [], base({ read: [missing] }));
    const err = await new Promise((r) => child.on('error', r));
    expect(err).toMatchObject({ code: 'ENOENT', step: 'landlock', syscall: 'open', path: missing });
    expect(child.pid).toBeUndefined();
  });

  it('bad input is refused before clone', () => {
    expect(() => spawnIsolated('true', [], base({ read: ['relative'] }))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => spawnIsolated('true', [], base({ connectTcp: [65536] }))).toThrow(RangeError);
    expect(() => spawnIsolated('true', [], base({ compatibility: 'strict' as never }))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => spawnIsolated('true', [], { landlock: { raed: ['/'] } as never })).toThrow(expect.objectContaining({ message: expect.stringContaining("did you mean 'read'") }));
  });
});
