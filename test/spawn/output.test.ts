// What `result` gives back: output in the requested encoding, and a bound
// on how much is buffered (`maxBuffer`), as child_process.exec has them.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { spawnIsolated } from '../../lib';
import { alive } from '../helpers/proc';

describe('result output', () => {
  let dir: string;
  let file: string;
  const bytes = crypto.randomBytes(1 << 20);
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-output-'));
    fs.chmodSync(dir, 0o755); // the rootless level reads it as nobody
    file = path.join(dir, 'random');
    fs.writeFileSync(file, bytes, { mode: 0o644 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("encoding 'buffer': binary output comes back byte for byte", async () => {
    const r = await spawnIsolated('cat', [file], { encoding: 'buffer' }).result;
    const out: Buffer | undefined = r.stdout; // typed Buffer for 'buffer'
    expect(Buffer.isBuffer(out)).toBe(true);
    expect(out!.equals(bytes)).toBe(true);
    expect(r.stderr).toEqual(Buffer.alloc(0));
  });

  it("encoding 'hex' and the default 'utf8' decode as Buffer#toString does", async () => {
    const hex = await spawnIsolated('cat', [file], { encoding: 'hex' }).result;
    expect(hex.stdout).toBe(bytes.toString('hex'));
    const utf8 = await spawnIsolated('printf', ['caf\\303\\251']).result;
    expect(utf8.stdout).toBe('café');
  });

  it('maxBuffer counts each stream on its own: just under the limit on both resolves', async () => {
    const r = await spawnIsolated('sh', ['-c', 'head -c 100 /dev/zero; head -c 100 /dev/zero >&2'], { maxBuffer: 100 }).result;
    expect(r.exitCode).toBe(0);
    expect([r.stdout!.length, r.stderr!.length]).toEqual([100, 100]);
  });

  it('past maxBuffer: the sandbox gets killSignal, result rejects with ERR_CHILD_PROCESS_STDIO_MAXBUFFER and the output up to the limit', async () => {
    // The program would run for ever after its output: only the kill ends it.
    const child = spawnIsolated('sh', ['-c', 'head -c 5000 /dev/zero >&2; exec sleep 1000'], { maxBuffer: 1000, encoding: 'buffer' });
    const err = await child.result.then(
      () => undefined,
      (e: unknown) => e as RangeError & { code: string; stdout: Buffer; stderr: Buffer; signal: string | null },
    );
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER', message: 'stderr maxBuffer length exceeded', signal: 'SIGTERM' });
    expect(err!.stderr).toEqual(Buffer.alloc(1000));
    expect(err!.stdout).toEqual(Buffer.alloc(0));
    expect(child.killed).toBe(true);
    expect(alive(child.pid!)).toBe(false);
  });

  it('past maxBuffer with killSignal SIGKILL: a program that ignores SIGTERM is killed all the same', async () => {
    const child = spawnIsolated('sh', ['-c', "trap '' TERM; head -c 5000 /dev/zero; sleep 1000"], { maxBuffer: 10, killSignal: 'SIGKILL' });
    await expect(child.result).rejects.toMatchObject({ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER', signal: 'SIGKILL', stdout: '\0'.repeat(10) });
  });
});
