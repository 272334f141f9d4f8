// `npm start`: brings up kube-sandbox (API server, controllers and, as root, the node) in .sandbox/,
// installs the umbrella chart (charts/opsmith) into it the way `helm upgrade --install` would, prints
// how to reach it, and keeps everything in the foreground until Ctrl-C.
//   OPSMITH_SANDBOX_DIR   state directory (default .sandbox)
//   OPSMITH_NO_CHART=1    only the sandbox, no chart
// Extra arguments go to `kube-sandbox up` (e.g. --port 6443).
import { spawn, spawnSync } from 'node:child_process';
import { join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const ensure = spawnSync('sh', ['scripts/ensure-tools'], { cwd: root, stdio: 'inherit' });
if (ensure.status !== 0) process.exit(ensure.status ?? 1);

const dataDir = resolve(root, process.env.OPSMITH_SANDBOX_DIR || '.sandbox');
const cli = join(root, 'packages', 'kube-sandbox', 'src', 'cli.ts');
const installCli = join(root, 'e2e', 'src', 'install-cli.ts');
const node = process.getuid?.() === 0;
const child = spawn(
  process.execPath,
  ['--conditions=@opsmith/source', cli, 'up', '--data-dir', dataDir, ...process.argv.slice(2)],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
let stopping = false;
let buffered = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffered += chunk.toString();
  const m = /kube-sandbox ready: kubeconfig=(\S+) server=(\S+)/.exec(buffered);
  if (m) {
    buffered = '';
    onReady(m[1], m[2]);
  }
});

function onReady(kubeconfig, server) {
  const shown = relative(process.cwd(), kubeconfig).startsWith('..')
    ? kubeconfig
    : relative(process.cwd(), kubeconfig);
  if (process.env.OPSMITH_NO_CHART === '1') return printReady(kubeconfig, server, shown, false);
  console.log(
    'installing the umbrella chart charts/opsmith (release opsmith, namespace opsmith-system)...',
  );
  // The operator pods only run with the node (root); API-only, the objects are created but not waited for.
  const install = spawn(
    process.execPath,
    [
      '--conditions=@opsmith/source',
      installCli,
      join(root, 'charts', 'opsmith'),
      '--kubeconfig',
      kubeconfig,
      '--release',
      'opsmith',
      '--namespace',
      'opsmith-system',
      ...(node ? [] : ['--no-wait']),
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  install.on('exit', (code) => {
    if (stopping) return;
    if (code !== 0) {
      console.error(
        `npm start: installing the umbrella chart failed (exit ${code}); the sandbox keeps running`,
      );
    }
    printReady(kubeconfig, server, shown, code === 0);
  });
}

function printReady(kubeconfig, server, shown, installed) {
  console.log(`
Opsmith sandbox is up at ${server}.${installed ? '\nThe umbrella chart is installed: the etcd operator runs in namespace opsmith-system.' : ''}
  export KUBECONFIG=${shown}
  kubectl get pods -n opsmith-system
  kubectl apply -f examples/etcd-cluster.yaml
  kubectl get etcdclusters
Pods run as real processes when this runs as root; otherwise the sandbox is API-only (see above).
Press Ctrl-C to stop it (objects are kept in ${dataDir}; rm -rf it to start afresh).
opsmith: ready kubeconfig=${kubeconfig}`);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopping = true;
    child.kill(sig);
  });
}
// `npm start` runs us under `sh -c`, which dies on SIGTERM without passing it on: when our parent
// goes away (we get re-parented), stop the sandbox as if signalled, so nothing is left running.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) {
    stopping = true;
    child.kill('SIGTERM');
  }
}, 1000).unref();
child.on('exit', (code) => process.exit(code ?? 0));
