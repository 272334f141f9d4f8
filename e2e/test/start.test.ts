// `npm start` (scripts/start.mjs) as a user runs it: the sandbox comes up, the umbrella chart is
// installed, the printed instructions work (kubectl with the printed KUBECONFIG sees the CRDs),
// the operator pod is Ready, and Ctrl-C stops everything.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { KubeClient, loadKubeConfig } from '@opsmith/k8s-runtime';
import { waitFor, waitForPodReady } from '../src/index.ts';

const execFileAsync = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'opsmith-start-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

it('brings up the sandbox with the umbrella chart, prints how to use it, and stops on Ctrl-C', async () => {
  expect(process.getuid?.(), 'the operator pod only runs with the node, which needs root').toBe(0);
  const start = spawn(process.execPath, [join(repo, 'scripts', 'start.mjs')], {
    cwd: repo,
    env: { ...process.env, OPSMITH_SANDBOX_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  start.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  start.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => start.once('exit', resolve));
  try {
    const kubeconfig = await waitFor(
      'npm start to print its ready line',
      () => {
        if (start.exitCode !== null) throw new Error(`start exited early:\n${stdout}\n${stderr}`);
        return /^opsmith: ready kubeconfig=(\S+)$/m.exec(stdout)?.[1];
      },
      { timeoutMs: 240_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-3000)}`);
    });
    expect(kubeconfig).toBe(join(dataDir, 'kubeconfig'));
    expect(stdout).toContain(`export KUBECONFIG=${kubeconfig}`);
    expect(stdout).toContain('kubectl apply -f examples/etcd-cluster.yaml');
    expect(stdout).toContain('kubectl get etcdclusters');
    expect(stdout).toContain('deployment opsmith-system/opsmith-etcd-operator is available');

    const client = new KubeClient({ kubeConfig: loadKubeConfig(kubeconfig) });
    const pods = await waitForPodReady(client, 'opsmith-system', {
      labelSelector: 'app.kubernetes.io/name=etcd-operator,app.kubernetes.io/component=operator',
    });
    expect(pods).toHaveLength(1);
    // The printed command works as printed (the CRD is served; no cluster exists yet).
    const get = await execFileAsync('kubectl', ['get', 'etcdclusters', '-A'], {
      cwd: repo,
      env: { ...process.env, KUBECONFIG: kubeconfig },
    });
    expect(`${get.stdout}${get.stderr}`).toMatch(/No resources found/);
  } finally {
    start.kill('SIGINT');
    expect(await exited).toBe(0);
  }
  // Nothing keeps serving: the API server's port is closed.
  const server = new URL(/server=(\S+)/.exec(stdout)?.[1] ?? 'https://127.0.0.1:1');
  const refused = await new Promise<string>((resolve) => {
    const socket = connect(Number(server.port), server.hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  expect(refused).toBe('ECONNREFUSED');
}, 300_000);
