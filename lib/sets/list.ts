/**
 * {@link listNamespaces}: what `lsns` shows, as data, and which namespaces
 * belong to nsjs sandboxes and sets.
 * @module
 */
import * as fs from 'node:fs';

import { binding } from '../binding';
import { invalidArgValue } from '../errors';
import { NAMESPACES, NAMESPACE_NAMES, isNamespaceName, type NamespaceName } from '../namespaces';
import { optionsObject } from '../validate';
import { rejectUnknownKeys } from '../spawn/options/keys';

/** A process of a PID namespace: its host pid and its pid inside. */
export interface NsPid {
  /** Its host pid (in the caller's PID namespace). */
  pid: number;
  /** Its pid in the namespace listed. */
  nsPid: number;
}

/** Which nsjs sandbox or set a namespace was made for. */
export interface NsjsOwner {
  /** `'set'`: held by {@link createNamespaces}; `'sandbox'`: made for one program by spawnIsolated (with nsjs-init). */
  kind: 'set' | 'sandbox';
  /** The host pid of the set's holder, or of the sandbox's nsjs-init. */
  pid: number;
}

/** One namespace, as a row of `lsns`. */
export interface NamespaceInfo {
  /** The namespace type (lsns TYPE). */
  type: NamespaceName;
  /** Its inode (lsns NS). */
  inode: number;
  /** The inode of the user namespace that owns it (lsns ONS); for a user namespace, its parent; null for the initial one or when unreadable. */
  owner: number | null;
  /** How many of the processes the caller can see are in it (lsns NPROCS). */
  processes: number;
  /** The lowest pid in it (lsns PID); null when only a bind mount holds it. */
  pid: number | null;
  /** That process's command line (lsns COMMAND); '' when none. */
  command: string;
  /** The files it is bind-mounted on in the caller's mount namespace (lsns NSFS). */
  paths: string[];
  /** Set when nsjs made it for a sandbox or a set. */
  nsjs?: NsjsOwner;
  /** PID namespaces: each visible process in it, with its pid inside. */
  nsPids?: NsPid[];
}

/** Options of {@link listNamespaces}. */
export interface ListNamespacesOptions {
  /** Only namespaces of this type. */
  type?: NamespaceName;
}

interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
}

const readProc = (pid: number): Proc | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    while (argv.length > 0 && argv.at(-1) === '') argv.pop();
    return { pid, ppid, argv };
  } catch {
    return undefined; // gone, or not ours to read
  }
};

const inodeOf = (link: string): number | undefined => {
  const m = /\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
};

/** The owner's inode, read through a namespace file (a /proc link or a bind-mounted file); null if it cannot be. */
function ownerOf(path: string): number | null {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY);
  } catch {
    return null;
  }
  try {
    return binding().nsOwner(fd);
  } catch {
    return null; // EPERM: the owner is outside the caller's user namespace (the initial one)
  } finally {
    fs.closeSync(fd);
  }
}

/** nsjs's own processes: a set's holder (`nsjs-init --hold`) and a sandbox's init (renamed `nsjs-init`). */
function nsjsKind(p: Proc): NsjsOwner['kind'] | undefined {
  const base = p.argv[0]?.split('/').pop();
  if (base !== 'nsjs-init') return undefined;
  return p.argv.length === 2 && p.argv[1] === '--hold' ? 'set' : 'sandbox';
}

/**
 * Every namespace of every process the caller can see (and every one
 * bind-mounted in its mount namespace), as `lsns` lists them: type, inode,
 * owner, process count, lowest pid and its command, bind-mounted paths;
 * marked `nsjs` when an nsjs set or sandbox made it, and for PID namespaces
 * the pid inside of each process. A process that ends during the scan is
 * left out, as lsns does.
 */
export function listNamespaces(options?: ListNamespacesOptions): NamespaceInfo[] {
  const o = optionsObject(options);
  rejectUnknownKeys(o, ['type'], 'options');
  if (o.type !== undefined && !isNamespaceName(o.type)) throw invalidArgValue('options.type', o.type, `must be one of ${NAMESPACE_NAMES.join(', ')}`);
  const types = o.type === undefined ? NAMESPACE_NAMES : [o.type as NamespaceName];

  const byKey = new Map<string, NamespaceInfo & { members: Proc[]; via: string }>();
  const nsOf = new Map<number, Map<NamespaceName, number>>();
  const procs = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => a - b);
  for (const pid of procs) {
    const p = readProc(pid);
    if (!p) continue;
    const mine = new Map<NamespaceName, number>();
    for (const type of types) {
      const via = `/proc/${pid}/ns/${NAMESPACES[type].procName}`;
      let inode: number | undefined;
      try {
        inode = inodeOf(fs.readlinkSync(via));
      } catch {
        continue;
      }
      if (inode === undefined) continue;
      mine.set(type, inode);
      const key = `${type}:${inode}`;
      let e = byKey.get(key);
      if (!e) {
        e = { type, inode, owner: null, processes: 0, pid: pid, command: p.argv.join(' '), paths: [], members: [], via };
        byKey.set(key, e);
      }
      e.processes++;
      e.members.push(p);
    }
    nsOf.set(pid, mine);
  }

  // Bind-mounted namespace files (set.persist, ip netns add): nsfs mounts, root `net:[INODE]`.
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || f[sep + 1] !== 'nsfs') continue;
    const m = /^(\w+):\[(\d+)\]$/.exec(f[3]);
    const type = m && NAMESPACE_NAMES.find((t) => NAMESPACES[t].procName === m[1]);
    if (!m || !type || !types.includes(type)) continue;
    const path = f[4].replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
    const key = `${type}:${m[2]}`;
    let e = byKey.get(key);
    if (!e) {
      e = { type, inode: Number(m[2]), owner: null, processes: 0, pid: null, command: '', paths: [], members: [], via: path };
      byKey.set(key, e);
    }
    e.paths.push(path);
  }

  const out: NamespaceInfo[] = [];
  for (const { members, via, ...info } of byKey.values()) {
    info.owner = ownerOf(via);
    // Made by nsjs: an nsjs process is in it and its parent is not (it was created at or below that process).
    for (const p of members) {
      const kind = nsjsKind(p);
      if (kind && nsOf.get(p.ppid)?.get(info.type) !== info.inode && nsOf.has(p.ppid)) {
        info.nsjs = { kind, pid: p.pid };
        break;
      }
    }
    if (info.type === 'pid') info.nsPids = members.map((p) => ({ pid: p.pid, nsPid: nsPidIn(p.pid) })).filter((x) => x.nsPid > 0);
    out.push(info);
  }
  return out;
}

function nsPidIn(pid: number): number {
  try {
    const line = /^NSpid:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line ? Number(line[1].trim().split(/\s+/).at(-1)) : pid;
  } catch {
    return 0;
  }
}
