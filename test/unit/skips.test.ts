// Every skip goes through test/helpers/env.ts (itIf, itAtLevels,
// itIfSupported), which print why and which NSJS_MUST_WORK=1 can turn into a
// failure. A raw `it.skip` or `(cond ? it : it.skip)` would skip in CI unseen.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ROOT } from '../helpers/env';

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('skips', () => {
  it('no test file skips by itself: every skip goes through the helpers of test/helpers/env.ts', () => {
    const raw = /\b(?:it|test|describe)\.(?:skip|todo)\b|\bx(?:it|test|describe)\s*\(|\bpending\s*\(/;
    const offenders = testFiles(path.join(ROOT, 'test')).flatMap((file) =>
      fs.readFileSync(file, 'utf8').split('\n')
        .map((line, i) => ({ where: `${path.relative(ROOT, file)}:${i + 1}`, line }))
        .filter(({ line }) => raw.test(line) && !line.trim().startsWith('//')),
    );
    expect(offenders).toEqual([]);
  });
});
