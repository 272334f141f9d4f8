// The chart e2e path on a fixture chart: render with the Helm-compatible renderer, install into a
// full kube-sandbox (pods run as real processes when root, as in CI), see the Deployment
// Available, uninstall leaving nothing; and prove the chart's RBAC is what an in-cluster client
// gets: without one rule of the rendered Role, the client's request is Forbidden, naming the verb
// and resource.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChartRenderer, renderChart } from '@opsmith/chart-render';
import type { KubeClient, KubeObject } from '@opsmith/k8s-runtime';
import {
  installRendered,
  podLogs,
  remainingObjects,
  startE2eSandbox,
  uninstallRendered,
  waitForDeletion,
  waitForDeploymentAvailable,
  waitForPodCompleted,
  waitForPodReady,
  type E2eSandbox,
} from '../src/index.ts';

const chart = join(import.meta.dirname, '..', 'fixtures', 'echo');
let sandbox: E2eSandbox;

beforeAll(async () => {
  buildChartRenderer();
  sandbox = await startE2eSandbox();
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
});

// An in-cluster client: reads the mounted service-account token and CA and calls the API at the
// `kubernetes` Service, printing one JSON line per request. Transport failures are retried (as
// client-go does) and each retry is logged to stderr.
const CLIENT_SCRIPT = `
const fs = require('node:fs');
const https = require('node:https');
const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
const token = fs.readFileSync(dir + '/token', 'utf8');
const ca = fs.readFileSync(dir + '/ca.crt');
const checks = JSON.parse(process.env.CHECKS);
const once = (path) => new Promise((resolve, reject) => {
  https.get({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path, ca,
    headers: { Authorization: 'Bearer ' + token } }, (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => resolve({ status: res.statusCode, body }));
  }).on('error', reject).setTimeout(5000, function () { this.destroy(new Error('no answer from ' + path + ' within 5 s')); });
});
const get = async (path) => {
  for (let attempt = 1; ; attempt++) {
    try { return await once(path); } catch (err) {
      if (attempt >= 6) throw err;
      console.error('retrying after transport error: ' + err.message);
    }
  }
};
(async () => {
  for (const [name, path] of checks) {
    const r = await get(path);
    let message;
    try { message = JSON.parse(r.body).message; } catch {}
    console.log(JSON.stringify({ check: name, status: r.status, message }));
  }
})().catch((err) => { console.error(err); process.exit(1); });
`;

interface CheckResult {
  check: string;
  status: number;
  message?: string;
}

/** Runs the in-cluster client as the release's service account; returns its results by check name. */
async function runClient(
  client: KubeClient,
  namespace: string,
  serviceAccount: string,
  checks: [string, string][],
): Promise<Record<string, CheckResult>> {
  const name = `client-${Date.now().toString(36)}`;
  await client.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      serviceAccountName: serviceAccount,
      restartPolicy: 'Never',
      containers: [
        {
          name: 'client',
          image: 'node:24',
          command: ['/usr/local/bin/node', '-e', CLIENT_SCRIPT],
          env: [{ name: 'CHECKS', value: JSON.stringify(checks) }],
        },
      ],
    },
  } as KubeObject);
  const pod = await waitForPodCompleted(client, namespace, name, { timeoutMs: 60_000 }).catch(
    async (err: Error) => {
      const logs = await podLogs(client, namespace, name).catch(String);
      throw new Error(`${err.message}\nclient logs:\n${logs}`);
    },
  );
  const logs = await podLogs(client, namespace, name);
  expect(pod.status?.phase, `client pod failed; logs:\n${logs}`).toBe('Succeeded');
  await client.delete({ apiVersion: 'v1', kind: 'Pod' }, name, namespace, {
    gracePeriodSeconds: 0,
  });
  await waitForDeletion(client, { apiVersion: 'v1', kind: 'Pod', name, namespace });
  const results = logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as CheckResult);
  return Object.fromEntries(results.map((r) => [r.check, r]));
}

const checksFor = (namespace: string, configMap: string): [string, string][] => [
  ['get configmap', `/api/v1/namespaces/${namespace}/configmaps/${configMap}`],
  ['list pods', `/api/v1/namespaces/${namespace}/pods`],
];

describe('fixture chart on kube-sandbox', () => {
  it('installs, becomes Available, serves its RBAC to in-cluster clients and uninstalls leaving nothing', async () => {
    expect(
      sandbox.node,
      'pods only run with the kube-sandbox node, which needs root (CI runs tests as root)',
    ).toBe(true);
    const namespace = 'e2e-echo';
    const { objects } = await renderChart(chart, { releaseName: 'demo', namespace });
    expect(objects.map((o) => o.kind)).toEqual([
      'ServiceAccount',
      'ConfigMap',
      'Role',
      'RoleBinding',
      'Deployment',
    ]);
    const client = sandbox.client;

    const installed = await installRendered(client, objects, {
      namespace,
      fieldManager: 'e2e-test',
    });
    expect(installed.createdNamespaces).toEqual([namespace]);
    expect(installed.applied.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'ServiceAccount/demo-echo',
      'ConfigMap/demo-echo',
      'Role/demo-echo',
      'RoleBinding/demo-echo',
      'Deployment/demo-echo',
    ]);
    await waitForDeploymentAvailable(client, namespace, 'demo-echo', { timeoutMs: 60_000 });
    const ready = await waitForPodReady(client, namespace, {
      labelSelector: 'app.kubernetes.io/instance=demo',
    });
    expect(ready).toHaveLength(1);

    const results = await runClient(
      client,
      namespace,
      'demo-echo',
      checksFor(namespace, 'demo-echo'),
    );
    expect(results['get configmap']).toMatchObject({ status: 200 });
    expect(results['list pods']).toMatchObject({ status: 200 });

    const deleted = await uninstallRendered(client, objects, { namespace, timeoutMs: 60_000 });
    expect(deleted.map((r) => r.kind)).toEqual([
      'Deployment',
      'RoleBinding',
      'Role',
      'ConfigMap',
      'ServiceAccount',
    ]);
    expect(await remainingObjects(client, objects, { namespace })).toEqual([]);
    const pods = await client.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace });
    const replicaSets = await client.list(
      { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
      { namespace },
    );
    expect([...pods.items, ...replicaSets.items].map((o) => o.metadata?.name)).toEqual([]);
  });

  it('without one rule of the rendered Role, the in-cluster client is Forbidden, naming verb and resource', async () => {
    const namespace = 'e2e-rbac';
    const { objects } = await renderChart(chart, { releaseName: 'limited', namespace });
    const role = objects.find((o) => o.kind === 'Role') as { rules: { resources: string[] }[] };
    const before = role.rules.length;
    role.rules = role.rules.filter((r) => !r.resources.includes('pods'));
    expect(role.rules).toHaveLength(before - 1);
    const client = sandbox.client;
    // The workload itself is not needed to prove the RBAC: install everything but the Deployment.
    const rbacOnly = objects.filter((o) => o.kind !== 'Deployment');
    await installRendered(client, rbacOnly, { namespace });

    const results = await runClient(
      client,
      namespace,
      'limited-echo',
      checksFor(namespace, 'limited-echo'),
    );
    expect(results['get configmap']).toMatchObject({ status: 200 });
    expect(results['list pods'].status).toBe(403);
    expect(results['list pods'].message).toBe(
      `pods is forbidden: User "system:serviceaccount:${namespace}:limited-echo" cannot list resource "pods" in API group "" in the namespace "${namespace}"`,
    );

    await uninstallRendered(client, rbacOnly, { namespace });
    expect(await remainingObjects(client, rbacOnly, { namespace })).toEqual([]);
  });
});
