// `npm start`: the main job. Brings up kube-sandbox (API server, controllers and, as root, the node)
// in .sandbox/ and keeps it in the foreground until Ctrl-C. Operators and charts join it as they land.
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
Opsmith sandbox is up at ${m[2]}.
  export KUBECONFIG=${m[1]}
  kubectl get nodes
  kubectl apply -f examples/sandbox/http-echo.yaml && kubectl rollout status deployment/http-echo
  kubectl apply -f examples/sandbox/etcd-statefulset.yaml
Pods run as real processes when this runs as root; otherwise the sandbox is API-only (see above).
Press Ctrl-C to stop it (objects are kept in ${dataDir}; rm -rf it to start afresh).`);
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
// `npm start` runs us under `sh -c`, which dies on SIGTERM without passing it on: when our parent
// goes away (we get re-parented), stop the sandbox as if signalled, so nothing is left running.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) child.kill('SIGTERM');
}, 1000).unref();
child.on('exit', (code) => process.exit(code ?? 0));
