// Operator memory with 100 EtcdClusters: the operator runs as its own process (src/main.ts, as
// deployed) against an API-only kube-sandbox, so the clusters' pods never run; every cluster still
// gets its Services, PDB, seed Pod and PVC, and all of them sit in the operator's caches. Baseline
// in the same run: the same process idle with its caches synced and no cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '@opsmith/kube-sandbox';
import { etcdResources } from '@opsmith/crd-schemas';
import { KubeClient, loadKubeConfig, type KubeObject } from '@opsmith/k8s-runtime';
import type { BenchRow } from './harness.ts';
import { sleep, waitFor } from './etcd-local.ts';

const NS = 'bench';
const MAIN = join(dirname(fileURLToPath(import.meta.resolve('@opsmith/etcd-operator'))), 'main.ts');

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

/** The highest RSS over a few samples once the process has settled. */
async function settledRss(pid: number, settleMs: number): Promise<number> {
  await sleep(settleMs);
  let max = 0;
  for (let i = 0; i < 5; i++) {
    max = Math.max(max, rssMiB(pid));
    await sleep(1000);
  }
  return max;
}

/** V8 heap in use, from the operator's own /metrics (prom-client's default Node metrics). */
async function heapUsedMiB(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
  return m ? Number(m[1]) / 1024 / 1024 : NaN;
}

function startOperator(kubeconfig: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@opsmith/source',
      MAIN,
      `--namespaces=${NS}`,
      '--leader-elect=false',
      '--metrics-port=0',
      '--log-level=info',
    ],
    { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const started =
        /"port":(\d+)[^\n]*etcd-operator started|etcd-operator started[^\n]*"port":(\d+)/.exec(out);
      if (started) resolve({ child, port: Number(started[1] ?? started[2]) });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`operator exited (${code}): ${out}`)));
  });
}

export async function operatorRss(quick: boolean): Promise<BenchRow[]> {
  const clusters = 100;
  const dir = mkdtempSync(join(tmpdir(), 'bench-etcd-rss-'));
  const sandbox = await startSandbox({ dataDir: dir, port: 0, node: false });
  let child: ChildProcess | undefined;
  try {
    const kube = new KubeClient({ kubeConfig: loadKubeConfig(sandbox.kubeconfigPath) });
    for (const r of etcdResources) await kube.create(r.crd());
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await sleep(1000);
    const op = await startOperator(sandbox.kubeconfigPath);
    child = op.child;
    const pid = child.pid ?? 0;
    const idle = await settledRss(pid, quick ? 3000 : 10_000);
    const idleHeap = await heapUsedMiB(op.port);
    for (let i = 0; i < clusters; i++) {
      await kube.create({
        apiVersion: 'etcd.opsmith.io/v1alpha1',
        kind: 'EtcdCluster',
        metadata: { name: `c${i}`, namespace: NS },
        spec: { size: 3, version: '3.4.23' },
      } as KubeObject);
    }
    // Every cluster reconciled at least once: it has conditions and its seed pod exists.
    await waitFor(
      `${clusters} clusters reconciled`,
      async () => {
        const list = await kube.list<KubeObject & { status?: { conditions?: unknown[] } }>(
          { apiVersion: 'etcd.opsmith.io/v1alpha1', kind: 'EtcdCluster' },
          { namespace: NS },
        );
        const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: NS });
        return (
          list.items.filter((c) => (c.status?.conditions?.length ?? 0) > 0).length === clusters &&
          pods.items.length >= clusters
        );
      },
      600_000,
    );
    const loaded = await settledRss(pid, quick ? 5000 : 20_000);
    const loadedHeap = await heapUsedMiB(op.port);
    return [
      {
        benchmark: 'etcd',
        metric: `operator RSS with ${clusters} EtcdClusters (API-only sandbox)`,
        value: loaded,
        unit: 'MiB',
        baseline: idle,
        baselineName: 'same operator, idle, no cluster',
        ratio: loaded / idle,
      },
      {
        benchmark: 'etcd',
        metric: `operator V8 heap used with ${clusters} EtcdClusters`,
        value: loadedHeap,
        unit: 'MiB',
        baseline: idleHeap,
        baselineName: 'same operator, idle, no cluster',
        ratio: loadedHeap / idleHeap,
      },
    ];
  } finally {
    if (child && child.exitCode === null) {
      const c = child;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
        setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
      });
    }
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
