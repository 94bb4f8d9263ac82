// Every promise of docs/security.md, docs/errors.md, docs/lifecycle.md and docs/filesystem.md
// names the test that holds it, and that test exists (docs/testing.md).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ROOT } from '../helpers/env';
import { checkPromises, promiseUnits } from '../helpers/doc-promises';

const DOCS = ['docs/security.md', 'docs/errors.md', 'docs/lifecycle.md', 'docs/filesystem.md'];

describe('every documented promise names its test', () => {
  for (const doc of DOCS) {
    it(`${doc}: each promise names a test that exists`, () => {
      expect(checkPromises(fs.readFileSync(path.join(ROOT, doc), 'utf8'), ROOT, doc)).toEqual([]);
    });
  }
});

describe('the promise checker', () => {
  // A tree of its own, so that these cases do not depend on the real tests.
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nsjs-promises-'));
    fs.mkdirSync(path.join(root, 'test', 'unit'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'test', 'unit', 'a.test.ts'),
      "describe('group', () => { it('holds it', () => {}); for (const n of [1]) it(`case ${n} holds`, () => {}); });\n",
    );
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const check = (md: string) => checkPromises(md, root, 'doc.md');

  it('splits list items, table body rows and paragraphs, and skips headings, table headers and code', () => {
    const md = '# Title\n\nA paragraph\non two lines.\n\n- an item\n  continued\n- another\n\n| a | b |\n|---|---|\n| row | 1 |\n\n```\ncode\n```\n';
    expect(promiseUnits(md).map((u) => [u.line, u.text])).toEqual([
      [3, 'A paragraph on two lines.'],
      [6, '- an item continued'],
      [8, '- another'],
      [12, '| row | 1 |'],
    ]);
  });

  it('accepts a test title, a describe title, a templated title, run.sh, untested and not-a-promise', () => {
    expect(check('One (test: test/unit/a.test.ts › "holds it").\n')).toEqual([]);
    expect(check('Two (test: test/unit/a.test.ts › "group").\n')).toEqual([]);
    expect(check('Three (test: test/unit/a.test.ts › "case 1 holds").\n')).toEqual([]);
    expect(check('| four | `test/run.sh` |\n|---|---|\n| row | (untested: the kernel has no such knob) |\n')).toEqual([]);
    expect(check(`Just context. <!-- not a promise -->\n`)).toEqual([]);
  });

  it('reports a promise without a test, a missing file and a missing title', () => {
    expect(check('A promise.\n')).toEqual(['doc.md:1: names no test: A promise.']);
    expect(check('- B (test: test/unit/gone.test.ts › "x")\n')).toEqual(['doc.md:1: no such file: test/unit/gone.test.ts']);
    expect(check('D (test: test/unit/a.test.ts › "case 7 holds")\n')).toEqual([
      'doc.md:1: test/unit/a.test.ts has no test or describe titled "case 7 holds"',
    ]);
    expect(check('\nC (test: test/unit/a.test.ts › "holds that")\n')).toEqual([
      'doc.md:2: test/unit/a.test.ts has no test or describe titled "holds that"',
    ]);
  });
});
