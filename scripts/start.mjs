// `npm start`: the main job. Brings up kube-sandbox (API server + node) in .sandbox/ and keeps it in
// the foreground until Ctrl-C. Operators and charts join it as they land.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const ensure = spawnSync('sh', ['scripts/ensure-tools'], { cwd: root, stdio: 'inherit' });
if (ensure.status !== 0) process.exit(ensure.status ?? 1);

const dataDir = join(root, '.sandbox');
const cli = join(root, 'packages', 'kube-sandbox', 'src', 'cli.ts');
const child = spawn(
  process.execPath,
  ['--conditions=@opsmith/source', cli, 'up', '--data-dir', dataDir, ...process.argv.slice(2)],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const m = /kube-sandbox ready: kubeconfig=(\S+) server=(\S+)/.exec(chunk.toString());
  if (m) {
    console.log(`
Opsmith sandbox is up.
  export KUBECONFIG=${m[1]}
  kubectl get nodes
  kubectl api-resources
Press Ctrl-C to stop it (state is kept in ${dataDir}).`);
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
