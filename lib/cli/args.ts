/**
 * Command-line parsing on Node's own `util.parseArgs`, with two things it
 * lacks and bubblewrap's spelling needs: options that take two values
 * (`--bind SRC DEST`), and stopping at the program (`nsjs run --hostname box
 * ls -la`: `-la` is the program's).
 * @internal
 * @module
 */
import { parseArgs } from 'node:util';

import { closestKey } from '../spawn/options/keys';

/** One flag: a boolean, or one or two string values; every flag may repeat. */
export interface FlagSpec {
  type: 'boolean' | 'string';
  /** 2: the flag takes two values, as bubblewrap's `--bind SRC DEST`. @default 1 */
  arity?: 1 | 2;
  /** What `--help` says; the values' names first, e.g. "SRC DEST: ...". */
  help: string;
}

/** A flag as it was given, in order (order matters: `--clearenv --setenv A 1`). */
export interface GivenFlag {
  name: string;
  values: string[];
}

export interface ParsedCommandLine {
  flags: GivenFlag[];
  /** The program and its arguments: everything from the first argument that is not an option, or after `--`. */
  command: string[];
}

/** A usage error: the CLI prints it and exits with 125 (nsjs itself failed). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseCommandLine(args: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedCommandLine {
  const options = Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, { type: s.type, multiple: true }] as const));
  // Pass 1, lenient: where does the program start?
  const { tokens: loose } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  let end = args.length;
  let command: string[] = [];
  let pendingSecond = false;
  for (const t of loose) {
    if (t.kind === 'option-terminator') {
      end = t.index;
      command = args.slice(t.index + 1);
      break;
    }
    if (t.kind === 'option') {
      pendingSecond = specs[t.name]?.arity === 2;
      continue;
    }
    if (pendingSecond) {
      pendingSecond = false;
      continue;
    }
    end = t.index;
    command = args.slice(t.index);
    break;
  }
  // Pass 2, strict: the options themselves.
  let tokens;
  try {
    ({ tokens } = parseArgs({ args: args.slice(0, end), options, strict: true, allowPositionals: true, tokens: true }));
  } catch (e) {
    const err = e as Error & { code?: string };
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      const near = closestKey(unknown.replace(/^-+/, ''), Object.keys(specs));
      throw new UsageError(`unknown option ${unknown}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    throw new UsageError(err.message);
  }
  const flags: GivenFlag[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'option') continue;
    const spec = specs[t.name];
    const values = spec.type === 'string' ? [t.value ?? ''] : [];
    if (spec.arity === 2) {
      const next = tokens[i + 1];
      if (next?.kind !== 'positional') throw new UsageError(`--${t.name} takes two values: ${spec.help.split(':')[0]}`);
      values.push(next.value);
      i++;
    }
    flags.push({ name: t.name, values });
  }
  return { flags, command };
}

/** `--help` text for a table of flags. */
export function describeFlags(specs: Readonly<Record<string, FlagSpec>>): string {
  return Object.entries(specs)
    .map(([name, s]) => {
      const [values, text] = s.help.includes(': ') ? s.help.split(/: (.*)/s) : ['', s.help];
      return `  --${name}${values ? ` ${values}` : ''}\n      ${text}`;
    })
    .join('\n');
}
