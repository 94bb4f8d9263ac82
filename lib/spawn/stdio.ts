/**
 * stdio for {@link spawnIsolated}, as child_process.spawn takes it: per slot
 * 'pipe' (a UNIX socketpair, as libuv makes), 'inherit', 'ignore', an fd, or a
 * stream that has one.
 * @module
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Stream } from 'node:stream';

import { binding } from '../binding';
import { callNative, invalidArgValue, invalidSyncForkInput } from '../errors';

/** One stdio slot. `null`/`undefined` mean 'pipe' for 0–2 and 'ignore' beyond, as in child_process. */
export type StdioSlot = 'pipe' | 'overlapped' | 'inherit' | 'ignore' | number | Stream | null | undefined;

/** The `stdio` option: one value for 0–2, or one per slot. */
export type StdioOption = 'pipe' | 'overlapped' | 'inherit' | 'ignore' | readonly StdioSlot[];

type Slot = { kind: 'pipe' } | { kind: 'ignore' } | { kind: 'fd'; fd: number };

/** @internal */
export interface OpenStdio {
  /** The fd for each child slot (-1: closed). */
  childFds: number[];
  /** The parent's end of each 'pipe' slot, else null. */
  streams: (net.Socket | null)[];
  /** Closes what only the child needed; call once the clone returned. */
  closeChildSide(): void;
  /** Destroys the parent's streams too (after a failed spawn). */
  closeAll(): void;
}

function streamFd(value: object): number | undefined {
  const v = value as { fd?: unknown; _handle?: { fd?: unknown } };
  if (typeof v.fd === 'number' && v.fd >= 0) return v.fd;
  if (v._handle && typeof v._handle.fd === 'number' && v._handle.fd >= 0) return v._handle.fd;
  return undefined;
}

/** @internal Validates the option without opening anything. */
export function normalizeStdio(value: unknown): Slot[] {
  const SHORTHANDS = ['pipe', 'overlapped', 'inherit', 'ignore'];
  const raw = value === undefined || value === null ? ['pipe', 'pipe', 'pipe'] : SHORTHANDS.includes(value as string) ? [value, value, value] : value;
  if (!Array.isArray(raw)) throw invalidArgValue('options.stdio', value, "must be 'pipe', 'inherit', 'ignore' or an array");
  const slots: unknown[] = [...raw]; // never grow the caller's array
  while (slots.length < 3) slots.push(undefined);
  return slots.map((slot, i): Slot => {
    const name = `options.stdio[${i}]`;
    if (slot === null || slot === undefined) return i < 3 ? { kind: 'pipe' } : { kind: 'ignore' };
    if (slot === 'pipe' || slot === 'overlapped') return { kind: 'pipe' };
    if (slot === 'ignore') return { kind: 'ignore' };
    if (slot === 'inherit') return { kind: 'fd', fd: i };
    if (typeof slot === 'number') {
      if (!Number.isInteger(slot) || slot < 0 || slot > 0x7fffffff) throw invalidArgValue(name, slot, 'must be a file descriptor');
      return { kind: 'fd', fd: slot };
    }
    // 'ipc' is not supported; any other string, or a buffer, is spawnSync input:
    // refused with child_process's own code.
    if (slot === 'ipc') throw invalidArgValue(name, slot, "must not be 'ipc' (not supported)");
    if (typeof slot === 'string' || ArrayBuffer.isView(slot)) throw invalidSyncForkInput(slot);
    if (typeof slot === 'object') {
      const fd = streamFd(slot);
      if (fd === undefined) throw invalidArgValue(name, slot, 'must be a stream with an underlying file descriptor');
      return { kind: 'fd', fd };
    }
    throw invalidArgValue(name, slot, "must be 'pipe', 'inherit', 'ignore', an fd or a stream ('ipc' is not supported)");
  });
}

/** @internal Opens the socketpairs and /dev/null that the slots need. */
export function openStdio(slots: Slot[]): OpenStdio {
  const native = binding();
  const childFds: number[] = [];
  const childOnly: number[] = [];
  const streams: (net.Socket | null)[] = [];
  let devNull = -1;
  try {
    slots.forEach((slot, i) => {
      if (slot.kind === 'fd') {
        childFds.push(slot.fd);
        streams.push(null);
      } else if (slot.kind === 'ignore') {
        if (devNull < 0) {
          devNull = fs.openSync('/dev/null', fs.constants.O_RDWR /* libuv adds O_CLOEXEC */);
          childOnly.push(devNull);
        }
        childFds.push(devNull);
        streams.push(null);
      } else {
        const [parentEnd, childEnd] = callNative(() => native.socketpair());
        childOnly.push(childEnd);
        childFds.push(childEnd);
        // stdin is written by us, stdout/stderr read; extra slots go both ways.
        streams.push(new net.Socket({ fd: parentEnd, readable: i !== 0, writable: i === 0 || i > 2 }));
      }
    });
  } catch (e) {
    childOnly.forEach((fd) => native.closeFd(fd));
    streams.forEach((s) => s?.destroy());
    throw e;
  }
  let childClosed = false;
  const closeChildSide = () => {
    if (childClosed) return;
    childClosed = true;
    childOnly.forEach((fd) => native.closeFd(fd));
  };
  return {
    childFds,
    streams,
    closeChildSide,
    closeAll() {
      closeChildSide();
      streams.forEach((s) => s?.destroy());
    },
  };
}
