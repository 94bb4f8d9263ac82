// npm run bench: spawnIsolated against child_process.spawn (the floor) and
// against spawning unshare(1), measured side by side, interleaved, in one run.
// Prints medians and paired ratios (each round's time over the same round's
// floor), then sustained throughput, Node's RSS over many spawns, and
// nsjs-init's RSS. Timings are never asserted: these machines are shared.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { spawnIsolated, createPool, readOnlyHost } = require('../dist/index.js');

const N = Number(process.env.BENCH_N ?? 500);
const SUSTAINED = Number(process.env.BENCH_SUSTAINED ?? 20000);
const RSS_SPAWNS = Number(process.env.BENCH_RSS_SPAWNS ?? 10000);
const rootless = process.geteuid() !== 0;

const cpSpawn = (cmd, args) => () => new Promise((resolve, reject) => {
  const c = spawn(cmd, args, { stdio: 'ignore' });
  c.on('error', reject);
  c.on('exit', resolve);
});
const isolated = (opts) => () => new Promise((resolve, reject) => {
  const c = spawnIsolated('/bin/true', [], { stdio: 'ignore', hostname: 'bench', ...opts });
  c.on('error', reject);
  c.on('exit', resolve);
});

// A warm pool with the same options as the defaults row; each round waits (untimed) until it is full again.
const pool = createPool({ size: 4, hostname: 'bench' });
const pooled = () => new Promise((resolve, reject) => {
  const c = pool.spawn('/bin/true', [], { stdio: 'ignore' });
  c.on('error', reject);
  c.on('exit', resolve);
});
const poolFull = async () => { while (pool.ready < pool.size) await new Promise((r) => setTimeout(r, 1)); };

const hasBwrap = (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, 'bwrap')));
const BWRAP_ARGS = ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '/bin/true'];
const rows = [
  ['child_process.spawn(/bin/true)  [floor]', cpSpawn('/bin/true', [])],
  ['spawnIsolated defaults, init: false', isolated({ init: false })],
  ['spawnIsolated defaults (init on)', isolated({})],
  ["  same, seccomp: false, capabilities: 'all'", isolated({ seccomp: false, capabilities: 'all' })],
  ['  same, seccomp: false', isolated({ seccomp: false })],
  ["  same, capabilities: 'all'", isolated({ capabilities: 'all' })],
  ["spawnIsolated init: false, cloneStrategy 'fork'", isolated({ init: false, cloneStrategy: 'fork' })],
  ['spawn unshare --pid --fork --mount-proc …', cpSpawn('unshare', [
    ...(rootless ? ['--user', '--map-root-user'] : []),
    '--pid', '--fork', '--mount-proc', '--uts', '--ipc', '--net', '--mount', '/bin/true'])],
  ['pool.spawn(/bin/true), warm pool (defaults)', pooled],
  // The filesystem rows: readOnlyHost() against bubblewrap doing the same.
  ['spawnIsolated readOnlyHost()', isolated(readOnlyHost())],
  // bwrap --unshare-all also makes a user and a cgroup namespace: the same here (and so lock-mounts).
  ['  same, + user, cgroup (as bwrap --unshare-all)', isolated({ ...readOnlyHost(), namespaces: ['pid', 'mount', 'uts', 'ipc', 'net', 'user', 'cgroup'] })],
  ...(hasBwrap ? [['spawn bwrap --unshare-all --ro-bind / / --dev …', cpSpawn('bwrap', BWRAP_ARGS)]] : []),
];

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const time = async (fn) => { const t = process.hrtime.bigint(); await fn(); return Number(process.hrtime.bigint() - t) / 1e6; };

async function sideBySide() {
  for (const [, fn] of rows) for (let i = 0; i < 20; i++) await fn(); // warm-up
  const times = rows.map(() => []);
  for (let i = 0; i < N; i++) {
    // Rotate the order each round so no row always runs first.
    for (let k = 0; k < rows.length; k++) {
      const j = (i + k) % rows.length;
      await poolFull();
      times[j].push(await time(rows[j][1]));
    }
  }
  console.log(`\nside by side, ${N} rounds, ${rootless ? 'rootless (uid ' + process.geteuid() + ')' : 'root'}; ms (median), ratio to the floor (median of per-round ratios)`);
  const floor = times[0];
  rows.forEach(([name], j) => {
    const ratio = median(times[j].map((t, i) => t / floor[i]));
    console.log(`  ${name.padEnd(52)} ${median(times[j]).toFixed(3).padStart(8)} ms   ${ratio.toFixed(2)}×`);
  });
  // Rows by name, so that a row added above does not shift these.
  const at = (prefix) => times[rows.some(([name]) => name === prefix) ? rows.findIndex(([name]) => name === prefix) : rows.findIndex(([name]) => name.startsWith(prefix))];
  const defaults = at('spawnIsolated defaults (init on)');
  const unshareVsDefaults = median(at('spawn unshare').map((t, i) => t / defaults[i]));
  console.log(`  unshare(1) row / defaults row: ${unshareVsDefaults.toFixed(2)}× (target ≥ 2.4)`);
  const p50 = median(at('pool.spawn')) / median(floor);
  console.log(`  pool row p50 / floor p50: ${p50.toFixed(2)}× (target ≤ 0.6)`);
  // The default seccomp filter and capability cut, as a share of a default spawn.
  const share = (row) => (median(defaults.map((t, i) => (t - row[i]) / t)) * 100).toFixed(1);
  console.log(`  seccomp filter + capability cut: ${share(at("  same, seccomp: false, capabilities: 'all'"))}% of a default spawn (target < 5%); ` +
    `the filter alone ${share(at('  same, seccomp: false'))}%, the cut alone ${share(at("  same, capabilities: 'all'"))}%`);
  if (hasBwrap) {
    const bwrap = at('spawn bwrap');
    const paired = (row) => median(bwrap.map((t, i) => t / row[i]));
    console.log(`  bwrap row / readOnlyHost() row: ${paired(at('spawnIsolated readOnlyHost()')).toFixed(2)}× (target ≥ 2); / the same + user, cgroup: ${paired(at('  same, + user, cgroup')).toFixed(2)}×`);
  } else {
    console.log('  (no bwrap on PATH: install bubblewrap for the filesystem comparison)');
  }
}

async function sustained(label, spawnOne) {
  const windows = 10;
  const per = Math.floor(SUSTAINED / windows);
  const rates = [];
  for (let w = 0; w < windows; w++) {
    let left = per;
    const t = process.hrtime.bigint();
    const worker = async () => { while (left-- > 0) await spawnOne(); };
    await Promise.all([worker(), worker()]);
    rates.push(per / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  const first = (rates[0] + rates[1]) / 2;
  const last = (rates[windows - 2] + rates[windows - 1]) / 2;
  console.log(`\nsustained: 2 concurrent spawners, ${per * windows} spawns (${label}), spawns/s per window:`);
  console.log(`  ${rates.map((r) => r.toFixed(0)).join(' ')}`);
  console.log(`  last two windows / first two: ${(last / first).toFixed(2)} (no downward trend: ≈ 1)`);
}

function rssKiB(pid = 'self') {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

async function rss() {
  const spawnOne = isolated({});
  for (let i = 0; i < 1000; i++) await spawnOne();
  global.gc?.();
  const before = rssKiB();
  for (let i = 0; i < RSS_SPAWNS; i++) await spawnOne();
  global.gc?.();
  const after = rssKiB();
  console.log(`\nNode RSS: ${(before / 1024).toFixed(1)} MiB after 1,000 warm-up spawns, ${(after / 1024).toFixed(1)} MiB after ${RSS_SPAWNS} more: +${((after - before) / 1024).toFixed(2)} MiB (target ≤ 2 MiB)`);

  const c = spawnIsolated('sleep', ['5'], { stdio: 'ignore' });
  await new Promise((r) => c.once('spawn', r));
  await new Promise((r) => setTimeout(r, 100));
  console.log(`nsjs-init resident: ${rssKiB(c.pid)} KiB (target < 1024 KiB)`);
  c.kill('SIGKILL');
  await c.result.catch(() => undefined);
}

// What a ready set costs: its holder's resident and proportional memory (the kernel's namespaces are not counted).
async function poolMemory() {
  await poolFull();
  const kids = fs.readdirSync('/proc/self/task').flatMap((t) => fs.readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
    .filter((k) => { try { return fs.readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('--serve'); } catch { return false; } });
  const pss = (pid) => Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]);
  console.log(`\npool: ${kids.length} ready sets; per set, the holder (nsjs-init --serve): RSS ${median(kids.map((k) => rssKiB(k)))} KiB, PSS ${median(kids.map(pss))} KiB`);
}

(async () => {
  console.log(`nsjs bench: node ${process.version}, ${require('os').cpus().length} cpus, kernel ${require('os').release()}`);
  await sideBySide();
  if (SUSTAINED > 0) {
    await sustained('spawnIsolated defaults', isolated({}));
    await sustained('pool.spawn, pool of 4, refilled in the background', pooled);
  }
  await poolMemory();
  await pool.close();
  if (RSS_SPAWNS > 0) await rss();
  if (!rootless && process.env.BENCH_NO_ROOTLESS !== '1') {
    // The same rows for an unprivileged caller (a user namespace is added), in their own run.
    const tree = path.join(__dirname, '..');
    try {
      execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'test', '-r', path.join(tree, 'package.json')]);
      console.log('\n--- rootless (as nobody) ---');
      execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', process.execPath, '--expose-gc', __filename], {
        stdio: 'inherit', env: { ...process.env, HOME: '/tmp', BENCH_NO_ROOTLESS: '1', BENCH_SUSTAINED: '0', BENCH_RSS_SPAWNS: '0' },
      });
    } catch (e) {
      console.log(`\n(rootless rows skipped: ${e.message.split('\n')[0]})`);
    }
  }
})().catch((e) => { console.error(e); process.exit(1); });
