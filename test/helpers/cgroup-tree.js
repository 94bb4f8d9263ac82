// The cgroup directories below the caller's own cgroup in every mounted
// hierarchy (v1 and v2), one path a line, sorted. test/run.sh records it
// before the suite and test/final compares: no cgroup may be left behind.
// Plain JS so that run.sh can run it with node before anything is built.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function ownCgroups() {
  const own = new Map(); // controller list ("" for v2) -> path
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) own.set(m[1], m[2]);
  }
  return own;
}

function below(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    out.push(path.join(dir, e.name));
    below(path.join(dir, e.name), out);
  }
}

function cgroupTree() {
  const own = ownCgroups();
  const out = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const [fstype, , superOptions = ''] = right.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const fields = left.split(' ');
    const root = fields[3];
    const opts = superOptions.split(',');
    const key = fstype === 'cgroup2' ? '' : [...own.keys()].find((k) => k !== '' && k.split(',').every((c) => opts.includes(c)));
    const cg = key === undefined ? undefined : own.get(key);
    if (cg === undefined || !(root === '/' || cg === root || cg.startsWith(`${root}/`))) continue;
    const dir = path.join(fields[4], root === '/' ? cg : cg.slice(root.length));
    out.push(dir);
    below(dir, out);
  }
  return out.sort().join('\n') + '\n';
}

module.exports = { cgroupTree };
if (require.main === module) process.stdout.write(cgroupTree());
