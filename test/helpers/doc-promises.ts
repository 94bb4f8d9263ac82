// The promises of a document and the tests they name (docs/testing.md, "Every
// promise names its test"). A promise is every list item, table body row and
// paragraph outside code blocks, unless it is marked `<!-- not a promise -->`.
// It names its tests as `test/<file>.test.ts › "<title of an it or describe>"`
// (or `test/run.sh`, for the harness itself), or says `(untested: why)`.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { testTitles, type Title } from './test-titles';

export interface Unit {
  /** 1-based line where the unit starts. */
  line: number;
  text: string;
}

export interface Reference {
  file: string;
  title?: string;
}

export const NOT_A_PROMISE = '<!-- not a promise -->';
const REFERENCE = /(test\/[\w./-]+\.test\.ts) › "([^"]+)"|(test\/[\w./-]+\.sh)\b/g;
const UNTESTED = /\(untested: [^)]+\)/;

/** Splits markdown into list items, table body rows and paragraphs. */
export function promiseUnits(markdown: string): Unit[] {
  const units: Unit[] = [];
  let current: Unit | undefined;
  let inCode = false;
  let tableRow = 0; // 0: not in a table; 1: its header; 2: its separator; 3: a body row
  const end = () => {
    if (current) units.push(current);
    current = undefined;
  };
  markdown.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (/^\s*(```|~~~)/.test(line)) {
      end();
      inCode = !inCode;
      return;
    }
    if (inCode) return;
    if (line.trim() === '' || /^#{1,6}\s/.test(line)) {
      end();
      tableRow = 0;
      return;
    }
    if (line.startsWith('|')) {
      end();
      tableRow = tableRow === 0 ? 1 : Math.min(tableRow + 1, 3);
      if (tableRow === 3) units.push({ line: i + 1, text: line });
      return;
    }
    tableRow = 0;
    if (/^\s*([-*+]|\d+\.)\s/.test(line)) {
      end();
      current = { line: i + 1, text: line.trim() };
      return;
    }
    if (current) current.text += ` ${line.trim()}`;
    else current = { line: i + 1, text: line.trim() };
  });
  end();
  return units;
}

export function references(text: string): Reference[] {
  return [...text.matchAll(REFERENCE)].map((m) => (m[3] ? { file: m[3] } : { file: m[1], title: m[2] }));
}

/** What is wrong with a document's promises, one line per problem; [] when each names a test that exists. */
export function checkPromises(markdown: string, root: string, docName: string): string[] {
  const problems: string[] = [];
  const titles = new Map<string, Title[]>();
  const titlesOf = (file: string) => {
    if (!titles.has(file)) titles.set(file, testTitles(path.join(root, file)));
    return titles.get(file)!;
  };
  for (const unit of promiseUnits(markdown)) {
    if (unit.text.includes(NOT_A_PROMISE)) continue;
    const where = `${docName}:${unit.line}`;
    const refs = references(unit.text);
    if (refs.length === 0 && !UNTESTED.test(unit.text)) {
      problems.push(`${where}: names no test: ${unit.text.slice(0, 100)}`);
      continue;
    }
    for (const ref of refs) {
      if (!fs.existsSync(path.join(root, ref.file))) {
        problems.push(`${where}: no such file: ${ref.file}`);
      } else if (ref.title !== undefined && !titlesOf(ref.file).some((t) => t.matches(ref.title!))) {
        problems.push(`${where}: ${ref.file} has no test or describe titled "${ref.title}"`);
      }
    }
  }
  return problems;
}
