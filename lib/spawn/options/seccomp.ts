/**
 * The seccomp family: the system call filter loaded last before exec
 * (docs/security.md, "Seccomp"). A profile is compiled to BPF here, in the
 * parent, by libseccomp (src-native/core/seccomp.c); the child only loads it.
 * @module
 */
import * as os from 'node:os';

import { binding } from '../../binding';
import { ErrorCodes, invalidArgType, invalidArgValue, libraryError, outOfRange } from '../../errors';
import { validateObject } from '../../validate';
import { CAPABILITY_NAMES } from './capabilities';
import { rejectUnknownKeys } from './keys';
import { optionalBoolean } from './values';

/** One argument comparison of a seccomp rule, as the OCI/Docker format has it. */
export interface SeccompArg {
  /** The argument, 0..5. */
  index: number;
  /** MASKED_EQ: the mask; otherwise the value compared with. */
  value: number;
  /** MASKED_EQ: the value the masked argument must equal. */
  valueTwo?: number;
  /** The comparison. */
  op: 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';
}

/** When a Docker profile's rule applies (`includes`) or does not (`excludes`). */
export interface SeccompCondition {
  /** Capabilities the sandbox must have (all of them; excludes: any of them). */
  caps?: string[];
  /** Go architecture names ('amd64', 'arm64', ...) this machine must be one of. */
  arches?: string[];
  /** The lowest kernel version, 'major.minor'. */
  minKernel?: string;
}

/** One rule of a seccomp profile. */
export interface SeccompRule {
  /** The syscalls, by name. */
  names?: string[];
  /** The old single-name form. */
  name?: string;
  /** SCMP_ACT_*: what the filter does with these syscalls. */
  action: string;
  /** Comparisons of the arguments, all of which must hold (two of one argument: either). */
  args?: SeccompArg[] | null;
  /** The errno of SCMP_ACT_ERRNO (default EPERM), or the SCMP_ACT_TRACE message. */
  errnoRet?: number;
  /** Docker: the rule applies only when this holds. */
  includes?: SeccompCondition;
  /** Docker: the rule does not apply when this holds. */
  excludes?: SeccompCondition;
  /** Ignored. */
  comment?: string;
}

/** Docker's archMap entry: the native architecture and the ABIs filtered with it. */
export interface SeccompArchMap {
  /** e.g. 'SCMP_ARCH_X86_64'. */
  architecture: string;
  /** e.g. ['SCMP_ARCH_X86', 'SCMP_ARCH_X32']. */
  subArchitectures?: string[];
}

/**
 * A seccomp profile in the OCI runtime-spec / Docker JSON format, e.g.
 * `JSON.parse(fs.readFileSync('docker-default.json', 'utf8'))`. Actions:
 * SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD,
 * SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_LOG, SCMP_ACT_TRACE
 * (SCMP_ACT_NOTIFY is refused: nothing would answer).
 */
export interface SeccompProfile {
  /** SCMP_ACT_*: what the filter does with a syscall no rule names. */
  defaultAction: string;
  /** The errno of an SCMP_ACT_ERRNO default action. @default EPERM */
  defaultErrnoRet?: number;
  /** libseccomp names ('SCMP_ARCH_X86_64'); the OCI form. */
  architectures?: string[];
  /** Docker's form: the sub-architectures of the native one are filtered too. */
  archMap?: SeccompArchMap[];
  /** The rules, in order. */
  syscalls?: SeccompRule[];
  /** SECCOMP_FILTER_FLAG_*: none is supported (an empty list is accepted). */
  flags?: string[];
}

/** Options of the seccomp family. */
export interface SeccompOptions {
  /**
   * The system call filter: `'default'` denies, with EPERM, what changes the
   * kernel or the host (module load, kexec, reboot, swap, the clock, acct,
   * quotactl, bpf, perf_event_open, keyrings, open_by_handle_at), the mount
   * API and pivot_root, io_uring, the TIOCSTI and TIOCLINUX ioctls and new
   * user namespaces, on every ABI of the machine (i386 and x32 too); clone3
   * fails with ENOSYS so that libc falls back to clone. `false`: no filter.
   * Or a profile in the OCI/Docker JSON format. Needs libseccomp (Debian's
   * `libseccomp2`), loaded when a filter is first asked for.
   * @default 'default'
   */
  seccomp?: 'default' | false | SeccompProfile;
  /** With `seccomp: 'default'`: let the program create user namespaces (clone/unshare with CLONE_NEWUSER). @default false */
  allowNestedUserNamespaces?: boolean;
}

/** What the native compiler takes: libseccomp's numbers, resolved here. */
interface NativeRule {
  name: string;
  action: number;
  args: { index: number; op: number; a: number; b: number }[];
}

const ALLOW = 0x7fff0000;
const errnoAction = (errno: number) => (0x00050000 | (errno & 0xffff)) >>> 0;
const EPERM = os.constants.errno.EPERM;
const ENOSYS = os.constants.errno.ENOSYS;

const ACTIONS: Record<string, number | ((ret: number) => number)> = {
  SCMP_ACT_ALLOW: ALLOW,
  SCMP_ACT_ERRNO: errnoAction,
  SCMP_ACT_KILL: 0,
  SCMP_ACT_KILL_THREAD: 0,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_TRACE: (ret) => (0x7ff00000 | (ret & 0xffff)) >>> 0,
};

const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const MASKED_EQ = 7;

/** This machine's ABIs, as libseccomp names them: a filter must cover each (int 0x80 and x32 are the classic bypass). */
function machineArches(): string[] {
  if (process.arch === 'x64') return ['x86_64', 'x86', 'x32'];
  if (process.arch === 'arm64') return ['aarch64', 'arm'];
  return [];
}

/** Go's name of this architecture, which Docker profiles' `includes.arches` use. */
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64' };

const CLONE_NEWUSER = 0x10000000;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;

/** What `'default'` denies with EPERM (docs/security.md, "Seccomp"). */
export const DEFAULT_DENIED_SYSCALLS: readonly string[] = Object.freeze([
  // The kernel and the host.
  'init_module', 'finit_module', 'delete_module', 'create_module', 'kexec_load', 'kexec_file_load', 'reboot',
  'swapon', 'swapoff', 'settimeofday', 'stime', 'clock_settime', 'clock_settime64', 'adjtimex', 'clock_adjtime',
  'clock_adjtime64', 'acct', 'quotactl', 'quotactl_fd', 'bpf', 'perf_event_open', 'keyctl', 'add_key',
  'request_key', 'open_by_handle_at', 'name_to_handle_at',
  // The mount API: setup is done.
  'mount', 'umount', 'umount2', 'pivot_root', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree',
  'mount_setattr',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
]);

function defaultRules(allowNestedUserNamespaces: boolean): NativeRule[] {
  const deny = errnoAction(EPERM);
  const masked = (index: number, mask: number, value: number) => [{ index, op: MASKED_EQ, a: mask, b: value }];
  const rules: NativeRule[] = DEFAULT_DENIED_SYSCALLS.map((name) => ({ name, action: deny, args: [] }));
  // The kernel reads the request as an unsigned int: compare its low 32 bits only.
  rules.push({ name: 'ioctl', action: deny, args: masked(1, 0xffffffff, TIOCSTI) });
  rules.push({ name: 'ioctl', action: deny, args: masked(1, 0xffffffff, TIOCLINUX) });
  // clone3 passes its flags in memory, which seccomp cannot read: ENOSYS, and libc uses clone.
  rules.push({ name: 'clone3', action: errnoAction(ENOSYS), args: [] });
  if (!allowNestedUserNamespaces) {
    rules.push({ name: 'unshare', action: deny, args: masked(0, CLONE_NEWUSER, CLONE_NEWUSER) });
    rules.push({ name: 'clone', action: deny, args: masked(0, CLONE_NEWUSER, CLONE_NEWUSER) });
  }
  return rules;
}

function kernelAtLeast(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  const [kMajor, kMinor] = os.release().split('.').map((s) => parseInt(s, 10));
  return kMajor > major || (kMajor === major && kMinor >= (minor || 0));
}

const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, '');

/** Docker's `includes`/`excludes`: does the rule apply to this sandbox on this machine? */
function applies(rule: SeccompRule, caps: ReadonlySet<string>, name: string): boolean {
  const arch = GOARCH[process.arch] ?? process.arch;
  for (const [key, cond] of [['includes', rule.includes], ['excludes', rule.excludes]] as const) {
    if (cond === undefined || cond === null) continue;
    validateObject(cond, `${name}.${key}`);
    rejectUnknownKeys(cond, ['caps', 'arches', 'minKernel'], `${name}.${key}`);
    const include = key === 'includes';
    if (cond.caps !== undefined) {
      const has = stringList(cond.caps, `${name}.${key}.caps`).map((c) => caps.has(capName(c)));
      if (include ? has.includes(false) : has.includes(true)) return false;
    }
    if (cond.arches !== undefined && stringList(cond.arches, `${name}.${key}.arches`).includes(arch) !== include) return false;
    if (cond.minKernel !== undefined) {
      if (typeof cond.minKernel !== 'string' || !/^\d+\.\d+$/.test(cond.minKernel)) throw invalidArgValue(`${name}.${key}.minKernel`, cond.minKernel, "must be 'major.minor'");
      if (kernelAtLeast(cond.minKernel) !== include) return false;
    }
  }
  return true;
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidArgType(name, 'an array of strings', value);
  return value as string[];
}

function u64(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw outOfRange(name, 'an integer >= 0 && <= 2^53-1', value);
  return value;
}

function action(value: unknown, ret: unknown, name: string): number {
  const a = typeof value === 'string' ? ACTIONS[value] : undefined;
  if (a === undefined) throw invalidArgValue(name, value, `must be one of ${Object.keys(ACTIONS).join(', ')}`);
  if (typeof a === 'number') return a;
  if (ret !== undefined && (typeof ret !== 'number' || !Number.isInteger(ret) || ret < 0 || ret > 0xffff)) throw outOfRange(`${name} errnoRet`, 'an integer >= 0 && <= 65535', ret);
  return a((ret as number | undefined) ?? EPERM);
}

const archName = (a: string) => a.toLowerCase().replace(/^scmp_arch_/, '');

/** The architectures a profile filters: `architectures`, or the native entry of Docker's `archMap`. */
function profileArches(p: Record<string, unknown>): string[] {
  if (p.archMap !== undefined && p.archMap !== null) {
    if (!Array.isArray(p.archMap)) throw invalidArgType('options.seccomp.archMap', 'an array', p.archMap);
    const native = machineArches()[0];
    for (const [i, entry] of p.archMap.entries()) {
      validateObject(entry, `options.seccomp.archMap[${i}]`);
      rejectUnknownKeys(entry, ['architecture', 'subArchitectures'], `options.seccomp.archMap[${i}]`);
      const arch = archName(String(entry.architecture));
      if (arch === native) return [arch, ...stringList(entry.subArchitectures ?? [], `options.seccomp.archMap[${i}].subArchitectures`).map(archName)];
    }
  }
  if (p.architectures === undefined || p.architectures === null) return [];
  return stringList(p.architectures, 'options.seccomp.architectures').map(archName);
}

const RULE_KEYS = ['names', 'name', 'action', 'args', 'errnoRet', 'includes', 'excludes', 'comment'];

function profileRules(p: Record<string, unknown>, defaultAction: number, caps: ReadonlySet<string>): NativeRule[] {
  if (p.syscalls === undefined || p.syscalls === null) return [];
  if (!Array.isArray(p.syscalls)) throw invalidArgType('options.seccomp.syscalls', 'an array', p.syscalls);
  const rules: NativeRule[] = [];
  p.syscalls.forEach((rule: unknown, i) => {
    const name = `options.seccomp.syscalls[${i}]`;
    validateObject(rule, name);
    rejectUnknownKeys(rule, RULE_KEYS, name);
    const r = rule as unknown as SeccompRule;
    const names = r.names !== undefined && r.names !== null ? stringList(r.names, `${name}.names`) : typeof r.name === 'string' ? [r.name] : undefined;
    if (!names) throw invalidArgType(`${name}.names`, 'an array of syscall names', r.names);
    const act = action(r.action, r.errnoRet, `${name}.action`);
    if (!applies(r, caps, name)) return;
    const args = (r.args ?? []).map((arg: unknown, j) => {
      const argName = `${name}.args[${j}]`;
      validateObject(arg, argName);
      rejectUnknownKeys(arg, ['index', 'value', 'valueTwo', 'op'], argName);
      const index = arg.index;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) throw outOfRange(`${argName}.index`, 'an integer >= 0 && <= 5', index);
      const op = OPS.indexOf(String(arg.op)) + 1;
      if (op === 0) throw invalidArgValue(`${argName}.op`, arg.op, `must be one of ${OPS.join(', ')}`);
      return { index, op, a: u64(arg.value, `${argName}.value`), b: u64(arg.valueTwo, `${argName}.valueTwo`) };
    });
    // libseccomp refuses a rule with the filter's default action: it is a no-op anyway.
    if (act === defaultAction) return;
    // Two comparisons of one argument in a rule mean "either" (as runc reads Docker's profile): one rule each.
    const repeated = new Set(args.map((a) => a.index)).size !== args.length;
    for (const n of names) {
      if (repeated) for (const a of args) rules.push({ name: n, action: act, args: [a] });
      else rules.push({ name: n, action: act, args });
    }
  });
  return rules;
}

const PROFILE_KEYS = ['defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls', 'flags', 'listenerPath', 'listenerMetadata'];

interface NativeSpec {
  defaultAction: number;
  arches: string[];
  rules: NativeRule[];
}

function profileSpec(p: Record<string, unknown>, caps: ReadonlySet<string>): NativeSpec {
  rejectUnknownKeys(p, PROFILE_KEYS, 'options.seccomp');
  if (p.listenerPath !== undefined && p.listenerPath !== '') throw invalidArgValue('options.seccomp.listenerPath', p.listenerPath, 'is not supported (SCMP_ACT_NOTIFY needs a listener)');
  if (p.flags !== undefined && p.flags !== null && stringList(p.flags, 'options.seccomp.flags').length > 0) throw invalidArgValue('options.seccomp.flags', p.flags, 'is not supported');
  const defaultAction = action(p.defaultAction, p.defaultErrnoRet, 'options.seccomp.defaultAction');
  return { defaultAction, arches: profileArches(p), rules: profileRules(p, defaultAction, caps) };
}

const compiled = new Map<string, Uint8Array>();
/** The default filter, by allowNestedUserNamespaces: looked up without building its spec again on every spawn. */
const defaultFilters = new Map<boolean, Uint8Array>();

/** Compiles once per distinct spec: the default filter costs one compile per process. */
function compile(spec: NativeSpec): Uint8Array {
  const key = JSON.stringify(spec);
  const cached = compiled.get(key);
  if (cached) return cached;
  const out = binding().compileSeccomp(spec);
  if (out instanceof Uint8Array) {
    compiled.set(key, out);
    return out;
  }
  if (out.error === 'no-library') {
    throw libraryError(ErrorCodes.UNSUPPORTED, 'A seccomp filter needs libseccomp (libseccomp.so.2), which cannot be loaded here', {
      hint: "install it (Debian/Ubuntu: apt-get install libseccomp2; Fedora: dnf install libseccomp; Alpine: apk add libseccomp), or pass `seccomp: false`",
    });
  }
  if (out.error === 'bad-name') {
    throw invalidArgValue('options.seccomp', out.name, `names a syscall or architecture that libseccomp ${out.version} does not know`);
  }
  throw invalidArgValue('options.seccomp', out.name, `was refused by libseccomp ${out.version} (errno ${out.errno})`);
}

/**
 * The BPF program to load last before exec, or undefined for none. `caps`:
 * the capabilities the sandbox keeps (undefined: all), for Docker's `includes.caps`.
 */
export function normalizeSeccomp(o: Record<string, unknown>, caps: readonly number[] | undefined): Uint8Array | undefined {
  const nested = optionalBoolean(o.allowNestedUserNamespaces, 'options.allowNestedUserNamespaces', false);
  const value = o.seccomp ?? 'default';
  if (nested && value !== 'default') throw invalidArgValue('options.allowNestedUserNamespaces', nested, "applies only to `seccomp: 'default'` (a profile says it itself)");
  if (value === false) return undefined;
  if (value === 'default') {
    let filter = defaultFilters.get(nested);
    if (!filter) defaultFilters.set(nested, (filter = compile({ defaultAction: ALLOW, arches: machineArches(), rules: defaultRules(nested) })));
    return filter;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgType('options.seccomp', "'default', false or a seccomp profile object", value);
  const names = new Set(caps === undefined ? CAPABILITY_NAMES : caps.map((n) => CAPABILITY_NAMES[n]));
  return compile(profileSpec(value as Record<string, unknown>, names));
}
