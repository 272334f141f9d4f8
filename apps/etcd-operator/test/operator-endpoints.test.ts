// The operator as main.ts starts it, against an API-only kube-sandbox: /metrics on the metrics
// port carries controller-runtime's and the etcd operator's own series, /healthz and /readyz
// answer on both the metrics port and a separate health port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@opsmith/kube-sandbox';
import { etcdResources } from '@opsmith/crd-schemas';
import { KubeClient, loadKubeConfig, type KubeObject } from '@opsmith/k8s-runtime';
import { HELP, parseOptions, startOperator, type RunningOperator } from '../src/main.ts';
import { ETCD_CLUSTER } from '../src/cluster/reconciler.ts';
import { eventually, freePort } from './support/local-etcd.ts';

const NS = 'endpoints';
let sandbox: Sandbox;
let dataDir: string;
let op: RunningOperator | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'etcd-operator-endpoints-'));
  sandbox = await startSandbox({ dataDir, port: 0, node: false });
  const kube = new KubeClient({ kubeConfig: loadKubeConfig(sandbox.kubeconfigPath) });
  for (const r of etcdResources) await kube.create(r.crd());
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await eventually(
    'EtcdCluster API served',
    async () => (await kube.list(ETCD_CLUSTER, { namespace: NS })) && true,
    15_000,
  );
}, 60_000);

afterAll(async () => {
  await op?.stop();
  await sandbox?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

it('serves /metrics with the operator metrics, and health on both ports', async () => {
  const healthPort = await freePort();
  const options = parseOptions(
    [
      '--namespaces',
      NS,
      '--leader-elect=false',
      '--metrics-port=0',
      `--health-port=${healthPort}`,
      '--log-level=silent',
    ],
    {},
  );
  if (options === 'help') throw new Error('unexpected help');
  const kubeConfig = loadKubeConfig(sandbox.kubeconfigPath);
  op = await startOperator(options, { kubeConfig });
  const metricsPort = op.manager.port!;
  expect(metricsPort).toBeGreaterThan(0);
  expect((op.healthServer?.address() as AddressInfo).port).toBe(healthPort);

  const kube = new KubeClient({ kubeConfig });
  await kube.create({
    apiVersion: 'etcd.opsmith.io/v1alpha1',
    kind: 'EtcdCluster',
    metadata: { name: 'm', namespace: NS },
    spec: { size: 1, version: '3.4.23' },
  } as KubeObject);

  // No node runs the pod here: the operator seeds, waits, and reports 0 members meanwhile.
  const text = await eventually(
    'operator metrics for the cluster',
    async () => {
      const { status, body } = await get(metricsPort, '/metrics');
      return status === 200 &&
        body.includes(
          'etcd_operator_reconciles_total{namespace="endpoints",cluster="m",action="seed"}',
        )
        ? body
        : undefined;
    },
    30_000,
    200,
  );
  expect(text).toContain('etcd_operator_cluster_members{namespace="endpoints",cluster="m"} 0');
  expect(text).toContain(
    'etcd_operator_cluster_desired_members{namespace="endpoints",cluster="m"} 1',
  );
  expect(text).toMatch(/controller_runtime_reconcile_total\{controller="etcdcluster"/);
  // Families reported by other parts of the operator are declared from the start.
  expect(text).toContain('# TYPE etcd_operator_backups_total counter');
  expect(text).toContain('# TYPE etcd_operator_leader_changes_total counter');

  // --help names every operator metric /metrics serves.
  const families = [...text.matchAll(/^# TYPE (etcd_operator_\w+)/gm)].map((m) => m[1]);
  expect(families.length).toBeGreaterThanOrEqual(10);
  for (const f of families) expect(HELP).toContain(f);

  for (const port of [metricsPort, healthPort]) {
    expect(await get(port, '/healthz')).toEqual({ status: 200, body: 'ok' });
    await eventually(
      `/readyz on ${port}`,
      async () => (await get(port, '/readyz')).status === 200 || undefined,
      15_000,
      200,
    );
  }
  expect((await get(healthPort, '/metrics')).status).toBe(404);
}, 90_000);
