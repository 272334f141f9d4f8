// Once everything converged, the controllers write nothing more against the real server: no
// reconcile loop fights the server's defaulting or its own status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupVersionResource } from '../../src/core/types.ts';
import { GVR } from '../../src/controllers/gvr.ts';
import { eventually, readyAll } from '../../src/controllers/testing/kubelet.ts';
import { startControllerSandbox, type ControllerSandbox } from './sandbox.ts';

let env: ControllerSandbox;
const NS = 'quiet';
beforeAll(async () => {
  env = await startControllerSandbox({ resyncMs: 100 });
  await env.sandbox.client.create(GVR.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS },
  });
});
afterAll(async () => {
  await env?.stop();
});

const WATCHED: GroupVersionResource[] = [
  GVR.pods,
  GVR.services,
  GVR.endpoints,
  GVR.endpointSlices,
  GVR.deployments,
  GVR.replicaSets,
  GVR.statefulSets,
  GVR.daemonSets,
  GVR.persistentVolumeClaims,
  GVR.persistentVolumes,
  GVR.podDisruptionBudgets,
  GVR.storageClasses,
];

describe('steady state against the real server', () => {
  it('writes nothing once converged', async () => {
    const client = env.sandbox.client;
    const tpl = (app: string) => ({
      metadata: { labels: { app } },
      spec: {
        containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }],
      },
    });
    await client.create(GVR.deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: tpl('web') },
    });
    await client.create(GVR.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: NS },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    await client.create(GVR.statefulSets, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: NS },
      spec: {
        replicas: 2,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: tpl('db'),
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    });
    await client.create(GVR.podDisruptionBudgets, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: NS },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    await eventually(
      async () => {
        await readyAll(client, NS);
        const d = await client.get(GVR.deployments, NS, 'web');
        const s = await client.get(GVR.statefulSets, NS, 'db');
        const ep = await client.get(GVR.endpoints, NS, 'web');
        const pdb = await client.get(GVR.podDisruptionBudgets, NS, 'web');
        return (d?.status as { availableReplicas?: number } | undefined)?.availableReplicas === 2 &&
          (s?.status as { readyReplicas?: number } | undefined)?.readyReplicas === 2 &&
          ((ep?.subsets as { addresses?: unknown[] }[] | undefined)?.[0]?.addresses?.length ??
            0) === 2 &&
          (pdb?.status as { currentHealthy?: number } | undefined)?.currentHealthy === 2
          ? true
          : undefined;
      },
      15000,
      'convergence',
    );
    await new Promise((r) => setTimeout(r, 300));
    await env.controllers.idle();
    const versions = async () => {
      const out = new Map<string, string>();
      for (const gvr of WATCHED) {
        for (const o of (await client.list(gvr)).items)
          out.set(
            `${gvr.resource}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`,
            o.metadata?.resourceVersion ?? '',
          );
      }
      return out;
    };
    const before = await versions();
    // Several informer re-lists (resyncMs 100) happen meanwhile.
    await new Promise((r) => setTimeout(r, 600));
    await env.controllers.idle();
    const after = await versions();
    const changed = [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);
    expect(changed).toEqual([]);
  });
});
