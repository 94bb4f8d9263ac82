// Writes dist/index.mjs and dist/index.d.mts: an ES module face over the one
// CommonJS build, so `import` and `require` share a single instance.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const names = Object.keys(require(path.join(dist, 'index.js'))).filter((n) => n !== 'default' && n !== '__esModule');
const mjs = [
  "import cjs from './index.js';",
  '',
  `export const { ${names.join(', ')} } = cjs;`,
  '',
].join('\n');
fs.writeFileSync(path.join(dist, 'index.mjs'), mjs);
fs.writeFileSync(path.join(dist, 'index.d.mts'), "export * from './index.js';\n");
