// What an ELF file is and needs, as `file` and `readelf` (binutils) report it.
import { execFileSync } from 'node:child_process';

export interface DynamicSymbol {
  name: string;
  /** The symbol version, e.g. 'GLIBC_2.17', if any. */
  version?: string;
  undefined: boolean;
  weak: boolean;
}

export interface ElfFacts {
  /** `file -b`. */
  file: string;
  /** readelf's Machine, e.g. 'Advanced Micro Devices X86-64', 'AArch64'. */
  machine: string;
  /** readelf's Type: 'EXEC', 'DYN'. */
  type: string;
  /** The program interpreter (PT_INTERP), if any. */
  interpreter?: string;
  /** DT_NEEDED entries, in order. */
  needed: string[];
  dynsyms: DynamicSymbol[];
}

const readelf = (args: string[], file: string): string => execFileSync('readelf', ['-W', ...args, file], { encoding: 'utf8' });

export function elfFacts(file: string): ElfFacts {
  const header = readelf(['-h'], file);
  const field = (name: string): string => (header.match(new RegExp(`^\\s*${name}:\\s*(.*)$`, 'm'))?.[1] ?? '').trim();
  const interp = readelf(['-l'], file).match(/\[Requesting program interpreter: (.*)\]/)?.[1];
  const needed = [...readelf(['-d'], file).matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map((m) => m[1]);
  const dynsyms: DynamicSymbol[] = [];
  for (const line of readelf(['--dyn-syms'], file).split('\n')) {
    // "  24: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND __stack_chk_fail@GLIBC_2.17 (3)"
    const m = line.match(/^\s*\d+:\s+\S+\s+\d+\s+\S+\s+(\S+)\s+\S+\s+(\S+)\s+([^\s@]+)(?:@+([^\s]+))?/);
    if (!m || m[3] === '') continue;
    dynsyms.push({ name: m[3], version: m[4], undefined: m[2] === 'UND', weak: m[1] === 'WEAK' });
  }
  return {
    file: execFileSync('file', ['-b', file], { encoding: 'utf8' }).trim(),
    machine: field('Machine'),
    type: field('Type').split(' ')[0],
    interpreter: interp,
    needed,
    dynsyms,
  };
}

/** Highest version of each versioned namespace (GLIBC, GLIBCXX, CXXABI, GCC) a file asks for. */
export function maxVersions(facts: ElfFacts): Record<string, string> {
  const max: Record<string, string> = {};
  for (const s of facts.dynsyms) {
    const m = s.undefined && s.version?.match(/^([A-Z]+)_([\d.]+)$/);
    if (!m) continue;
    if (max[m[1]] === undefined || compareVersions(m[2], max[m[1]]) > 0) max[m[1]] = m[2];
  }
  return max;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
