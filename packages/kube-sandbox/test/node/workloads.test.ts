// The node together with the workload controllers: a Deployment behind a ClusterIP Service answers by
// DNS name from another pod and from the host (through the service namespace), and scaling it
// changes what the Service reaches.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllersComponent } from '../../src/controllers/index.ts';
import type { KubeObject } from '../../src/core/types.ts';
import { prepareNode, type NodeHandle } from '../../src/node/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox.ts';
import { ENDPOINTS, pod, PODS, podStatus, readLogs, SERVICES, waitFor } from './helpers.ts';

const run = promisify(execFile);
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
let sandbox: Sandbox;
let node: NodeHandle | undefined;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ksbx-workloads-'));
  const prepared = await prepareNode(
    { dataDir, heartbeatSeconds: 2 },
    (n: NodeHandle) => (node = n),
  );
  sandbox = await startSandbox({
    dataDir,
    port: 0,
    extraSANs: prepared.extraSANs,
    components: [controllersComponent, prepared.component],
  });
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function readyAddresses(ep: KubeObject | undefined): string[] {
  const subsets = (ep?.subsets ?? []) as Array<{ addresses?: Array<{ ip: string }> }>;
  return subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.ip));
}

describe('node with workload controllers', () => {
  it('serves a Deployment behind a Service by DNS name, and follows scaling', async () => {
    const client = sandbox.client;
    const handle = node;
    if (!handle) throw new Error('node did not start');
    await client.create(DEPLOYMENTS, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 2,
            containers: [
              {
                name: 'echo',
                image: 'sandbox/http-echo',
                args: ['-listen=:8080', '-text=web'],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    });
    await client.create(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    await waitFor(
      '2 ready endpoints',
      async () => readyAddresses(await client.get(ENDPOINTS, 'default', 'web')).length === 2,
    );

    await client.create(
      PODS,
      pod('client', {
        restartPolicy: 'Never',
        containers: [
          { name: 'c', image: 'busybox', command: ['wget', '-qO-', '-T', '5', 'http://web/'] },
        ],
      }),
    );
    await waitFor(
      'client done',
      async () => (await podStatus(client, 'default', 'client')).phase === 'Succeeded',
    );
    expect(await readLogs(handle, 'default', 'client')).toBe('web\n');

    await client.patch(DEPLOYMENTS, 'default', 'web', 'merge', { spec: { replicas: 3 } });
    const addresses = await waitFor('3 ready endpoints', async () => {
      const a = readyAddresses(await client.get(ENDPOINTS, 'default', 'web'));
      return a.length === 3 ? a : undefined;
    });
    // from the host, through the ClusterIP: round-robin reaches every backend (X-Hostname = pod name)
    const svc = await client.get(SERVICES, 'default', 'web');
    const ip = String((svc?.spec as { clusterIP?: string }).clusterIP);
    const pods = (await client.list(PODS, { namespace: 'default', labelSelector: 'app=web' }))
      .items;
    expect(pods.map((p) => String((p.status as { podIP?: string }).podIP)).sort()).toEqual(
      [...addresses].sort(),
    );
    const seen = new Set<string>();
    await waitFor('all backends reached', async () => {
      const { stdout, stderr } = await run('ip', [
        'netns',
        'exec',
        handle.svcNetns,
        'wget',
        '-qO-',
        '-S',
        '-T',
        '5',
        `http://${ip}/`,
      ]);
      expect(stdout).toBe('web\n');
      const host = /X-Hostname: (\S+)/i.exec(stderr)?.[1];
      if (host) seen.add(host);
      return pods.every((p) => seen.has(p.metadata?.name ?? ''));
    });
  }, 90_000);
});
