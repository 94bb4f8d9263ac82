// After prebuildify: put the static nsjs-init beside each prebuilt addon, where
// lib/binding.ts looks for it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'nsjs-init');
const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
fs.mkdirSync(dir, { recursive: true });
fs.copyFileSync(built, path.join(dir, 'nsjs-init'));
fs.chmodSync(path.join(dir, 'nsjs-init'), 0o755);
