/**
 * A program started in a pooled set: its holder (nsjs-init --serve, PID 1)
 * watched as any sandbox's init, and its exit status taken from the holder's
 * EXIT record as soon as it comes, before the holder's own exit tears the
 * set's namespaces down (milliseconds for a network namespace, off the
 * caller's path). The holder is still reaped; {@link PooledProcess.reaped}
 * says when.
 * @internal
 * @module
 */
import { binding, type NativeRecordWatcher, type NativeSpawnResult } from '../binding';
import type { NamespaceName } from '../namespaces';
import { signalName } from '../signals';
import { ClonedProcess, type ExitStatus } from '../spawn/cloned-process';

export class PooledProcess extends ClonedProcess {
  #program: Promise<ExitStatus>;
  #status: ExitStatus | undefined;
  #records: NativeRecordWatcher;

  /** `sock`: the pool's end of the holder's socket, owned from here on. */
  constructor(spawned: NativeSpawnResult, namespaces: NamespaceName[], dieWithParent: boolean, sock: number) {
    super({ ...spawned, statusFd: -1 }, namespaces, { dieWithParent, init: true });
    let resolve!: (s: ExitStatus) => void;
    this.#program = new Promise((r) => (resolve = r));
    const settle = (s: ExitStatus) => {
      if (this.#status) return;
      this.#status = s;
      resolve(s);
    };
    this.#records = new (binding().RecordWatcher)(sock, (status) => {
      if (status >= 0) settle({ exitCode: (status & 0x7f) === 0 ? (status >> 8) & 0xff : null, signal: signalName(status & 0x7f) });
    });
    // The holder ended without a record (SIGKILL ends it and the program at once): its end is the program's.
    void super.wait().then(settle);
  }

  override wait(): Promise<ExitStatus> {
    return this.#program;
  }

  override get exitStatus(): ExitStatus | undefined {
    return this.#status;
  }

  override kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.#status) return false;
    return super.kill(signal);
  }

  override ref(): void {
    super.ref();
    this.#records.ref();
  }

  override unref(): void {
    super.unref();
    this.#records.unref();
  }

  /** Resolves once the holder, and so the set, is gone and reaped. */
  reaped(): Promise<unknown> {
    return super.wait();
  }
}
