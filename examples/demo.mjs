// The main job in one screen: a shell in new PID, mount, UTS, IPC and network
// namespaces (plus a user namespace when you are not root).
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';

import { spawnIsolated } from '../dist/index.mjs';

const script = fileURLToPath(new URL('inside.sh', import.meta.url));
const child = spawnIsolated('sh', [script], { hostname: 'sandbox', stdio: 'inherit' });
let namespaces;
child.on('spawn', () => (namespaces = child.namespaces));
child.on('error', (err) => {
  console.error(`nsjs: ${err.message}`);
  process.exitCode = 1;
});
child.on('exit', (code) => {
  console.log(`\nOn the host (${hostname()}): the sandbox's PID 1 was pid ${child.pid}; its namespaces:`);
  console.log(`  ${Object.values(namespaces ?? {}).map((n) => `${n.type}:[${n.inode}]`).join(' ')}`);
  process.exitCode = code ?? 1;
});
