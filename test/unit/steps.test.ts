// One list of setup steps: src-native/core/steps.def. The TypeScript list and
// the table in docs/errors.md must name the same steps in the same order.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SETUP_STEPS } from '../../lib';
import { ROOT } from '../helpers/env';

const fromDef = [...fs.readFileSync(path.join(ROOT, 'src-native/core/steps.def'), 'utf8').matchAll(/^NSJS_STEP\(\w+, "([^"]+)"\)/gm)].map((m) => m[1]);

/** The step names in the first column of docs/errors.md's "Setup steps" table, in order. */
function fromDocs(): string[] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Setup steps'));
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]));
}

describe('the setup steps are listed once (steps.def)', () => {
  it('steps.def has steps', () => {
    expect(fromDef.length).toBeGreaterThan(20);
  });

  it('SETUP_STEPS (the SetupStep type) is steps.def, in order', () => {
    expect([...SETUP_STEPS]).toEqual(fromDef);
  });

  it("docs/errors.md's step table is steps.def, in order", () => {
    expect(fromDocs()).toEqual(fromDef);
  });
});
