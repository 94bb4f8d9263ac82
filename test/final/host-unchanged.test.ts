// Runs last (test/run.sh): the host's names and mount table are what they were
// before any test ran.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { itIf } from '../helpers/env';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { cgroupTree } = require('../helpers/cgroup-tree.js') as { cgroupTree: () => string };

const dir = process.env.NSJS_HOST_SNAPSHOT ?? '';
const test = itIf(dir !== '' && fs.existsSync(dir), 'NSJS_HOST_SNAPSHOT is set by test/run.sh before the first test');
const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

describe('after the whole suite', () => {
  test('the hostname and domain name are byte-identical', () => {
    expect(os.hostname() + '\n').toBe(read('hostname'));
    expect(fs.readFileSync('/proc/sys/kernel/domainname', 'utf8')).toBe(read('domainname'));
  });

  test('the mount table is unchanged', () => {
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toBe(read('mountinfo'));
  });

  test('no cgroup is left below the suite’s own, in any hierarchy (v1 and v2)', () => {
    expect(cgroupTree()).toBe(read('cgroups'));
  });
});
