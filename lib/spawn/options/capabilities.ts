/**
 * The capabilities family: which capabilities(7) the program may hold
 * (docs/security.md, "Capabilities").
 * @module
 */
import { invalidArgType, invalidArgValue } from '../../errors';

/** Every capability of capabilities(7), by number (Linux 6.x: 0..40). */
export const CAPABILITY_NAMES = Object.freeze([
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const);

/** A capability's name as capabilities(7) spells it, without `CAP_`. */
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

/** Docker's default set (moby's oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES: readonly CapabilityName[] = Object.freeze([
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
] as const);

/** Options of the capabilities family. */
export interface CapabilityOptions {
  /**
   * The capabilities the program may hold: `'default'` (Docker's set:
   * CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID,
   * SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE),
   * `'none'`, `'all'` (no cut: every capability for uid 0, none for another
   * uid, as exec gives them), or a list of names as capabilities(7) has
   * them (`'CAP_NET_RAW'`, `'net_raw'`). The bounding, permitted, effective
   * and inheritable sets are cut to it as the last step before exec; when
   * the program's uid is not 0, the ambient set carries it across exec. A
   * set is an upper bound: the program never holds more than the caller had.
   * @default 'default'
   */
  capabilities?: 'default' | 'none' | 'all' | string[];
}

/** The numbers of `names`, sorted, each once; throws for an unknown one. */
function numbersOf(names: readonly unknown[]): number[] {
  const numbers = new Set<number>();
  names.forEach((name: unknown, i) => {
    if (typeof name !== 'string') throw invalidArgType(`options.capabilities[${i}]`, 'a capability name', name);
    const bare = name.toUpperCase().replace(/^CAP_/, '');
    const n = CAPABILITY_NAMES.indexOf(bare as CapabilityName);
    if (n < 0) throw invalidArgValue(`options.capabilities[${i}]`, name, 'is not a capability of capabilities(7)');
    numbers.add(n);
  });
  return [...numbers].sort((a, b) => a - b);
}

const DEFAULT_NUMBERS = Object.freeze(numbersOf(DEFAULT_CAPABILITIES));

/** The numbers of the capabilities to keep; undefined: no cut (`'all'`). */
export function normalizeCapabilities(o: Record<string, unknown>): readonly number[] | undefined {
  const value = o.capabilities ?? 'default';
  if (value === 'all') return undefined;
  if (value === 'none') return [];
  if (value === 'default') return DEFAULT_NUMBERS;
  if (!Array.isArray(value)) {
    if (typeof value === 'string') throw invalidArgValue('options.capabilities', value, "must be 'default', 'none', 'all' or an array of capability names");
    throw invalidArgType('options.capabilities', "'default', 'none', 'all' or an array of capability names", value);
  }
  return numbersOf(value);
}
