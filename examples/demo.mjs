// The main job in one screen: a shell in new PID, mount, UTS, IPC and network
// namespaces (plus a user namespace when you are not root).
import { spawnIsolated } from '../dist/index.mjs';

const script = `
echo "hostname inside: $(hostname)"
echo "my pid inside:   $$"
echo; echo '$ ps ax'
ps ax 2>/dev/null || for p in /proc/[0-9]*; do echo "$(basename $p) $(tr '\\0' ' ' < $p/cmdline)"; done
echo; echo '$ ip link'
ip -br link 2>/dev/null || tail -n +3 /proc/net/dev | cut -d: -f1
`;

const child = spawnIsolated('sh', ['-c', script], { hostname: 'sandbox', stdio: 'inherit' });
child.on('error', (err) => {
  console.error(`nsjs: ${err.message}`);
  process.exitCode = 1;
});
child.on('spawn', () => console.log(`host pid of the sandbox's PID 1: ${child.pid} (the shell is pid ${child.nsPid} inside)\n`));
child.on('exit', (code) => (process.exitCode = code ?? 1));
