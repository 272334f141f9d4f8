import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.ts';
import { GVR } from '../../src/controllers/gvr.ts';
import { eventually, markRunning } from '../../src/controllers/testing/kubelet.ts';
import { startControllerSandbox, type ControllerSandbox } from './sandbox.ts';

let env: ControllerSandbox;
const NS = 'eps';
beforeAll(async () => {
  env = await startControllerSandbox({ controllers: ['endpoints', 'disruption', 'daemonset'] });
  await env.sandbox.client.create(GVR.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS },
  });
});
afterAll(async () => {
  await env?.stop();
});

function podSpec(name: string, port: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'web' } },
    spec: {
      containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: port }] }],
      ...extra,
    },
  };
}

type Subset = {
  addresses?: { ip: string; hostname?: string }[];
  notReadyAddresses?: { ip: string }[];
  ports?: { port: number }[];
};

describe('Endpoints and EndpointSlices in a real sandbox', () => {
  it('follow pods: ready and not-ready addresses, named target ports, headless hostnames', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: NS, labels: { tier: 'front' } },
      spec: {
        clusterIP: 'None',
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 'http' }],
      },
    });
    const a = await client.create(
      GVR.pods,
      podSpec('a', 8080, { hostname: 'a', subdomain: 'web' }),
    );
    const b = await client.create(GVR.pods, podSpec('b', 8080));
    await markRunning(client, a, true);
    await markRunning(client, b, false);
    const ep = await eventually(
      async () => {
        const e = await client.get(GVR.endpoints, NS, 'web');
        const s = (e?.subsets as Subset[] | undefined)?.[0];
        return s?.addresses?.length === 1 && s.notReadyAddresses?.length === 1 ? e : undefined;
      },
      10000,
      'endpoints with a and b',
    );
    const subset = (ep.subsets as Subset[])[0];
    expect(subset.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(subset.addresses?.[0]).toMatchObject({
      hostname: 'a',
      targetRef: { kind: 'Pod', name: 'a' },
    });
    expect(ep.metadata?.labels).toMatchObject({
      tier: 'front',
      'service.kubernetes.io/headless': '',
    });

    const slices = await eventually(
      async () => {
        const { items } = await client.list(GVR.endpointSlices, {
          namespace: NS,
          labelSelector: 'kubernetes.io/service-name=web',
        });
        return items.length === 1 && (items[0]?.endpoints as unknown[] | undefined)?.length === 2
          ? items
          : undefined;
      },
      10000,
      'endpoint slice',
    );
    const slice = slices[0];
    expect(slice).toMatchObject({
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    expect(slice.metadata?.labels).toMatchObject({
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(slice.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Service',
      name: 'web',
      controller: true,
    });
    const conditions = (
      slice.endpoints as { targetRef: { name: string }; conditions: Record<string, boolean> }[]
    ).map((e) => [e.targetRef.name, e.conditions]);
    expect(conditions).toContainEqual(['a', { ready: true, serving: true, terminating: false }]);
    expect(conditions).toContainEqual(['b', { ready: false, serving: false, terminating: false }]);

    // publishNotReadyAddresses puts b among the ready addresses.
    await client.patch(GVR.services, NS, 'web', 'merge', {
      spec: { publishNotReadyAddresses: true },
    });
    await eventually(
      async () => {
        const e = await client.get(GVR.endpoints, NS, 'web');
        return (e?.subsets as Subset[] | undefined)?.[0]?.addresses?.length === 2 || undefined;
      },
      10000,
      'publishNotReadyAddresses',
    );

    // A deleted pod leaves; a deleted service takes its Endpoints and slices with it.
    await client.delete(GVR.pods, NS, 'a', { gracePeriodSeconds: 0 });
    await eventually(
      async () => {
        const e = await client.get(GVR.endpoints, NS, 'web');
        const s = (e?.subsets as Subset[] | undefined)?.[0];
        return s?.addresses?.length === 1 &&
          s.addresses[0]?.ip !== undefined &&
          !s.notReadyAddresses
          ? true
          : undefined;
      },
      10000,
      'a removed',
    );
    await client.delete(GVR.services, NS, 'web');
    await eventually(
      async () => (await client.get(GVR.endpoints, NS, 'web')) === undefined || undefined,
      10000,
      'endpoints deleted',
    );
    await eventually(
      async () =>
        (await client.list(GVR.endpointSlices, { namespace: NS })).items.length === 0 || undefined,
      10000,
      'slices deleted',
    );
  });
});

describe('PodDisruptionBudget status in a real sandbox', () => {
  it('counts healthy pods against minAvailable', async () => {
    const client = env.sandbox.client;
    for (const n of ['p1', 'p2', 'p3']) {
      const p = await client.create(GVR.pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: n, namespace: NS, labels: { app: 'db' } },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      });
      await markRunning(client, p, n !== 'p3');
    }
    await client.create(GVR.podDisruptionBudgets, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'db', namespace: NS },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } },
    });
    const pdb = await eventually(
      async () => {
        const p = await client.get(GVR.podDisruptionBudgets, NS, 'db');
        return (p?.status as { observedGeneration?: number } | undefined)?.observedGeneration ===
          p?.metadata?.generation
          ? p
          : undefined;
      },
      10000,
      'pdb status',
    );
    expect(pdb.status).toMatchObject({
      currentHealthy: 2,
      desiredHealthy: 1,
      expectedPods: 3,
      disruptionsAllowed: 1,
    });
    expect((pdb.status as { conditions: unknown[] }).conditions).toContainEqual(
      expect.objectContaining({
        type: 'DisruptionAllowed',
        status: 'True',
        reason: 'SufficientPods',
      }),
    );

    await client.delete(GVR.pods, NS, 'p1', { gracePeriodSeconds: 0 });
    await eventually(
      async () => {
        const p = await client.get(GVR.podDisruptionBudgets, NS, 'db');
        const s = p?.status as { disruptionsAllowed?: number; currentHealthy?: number } | undefined;
        return s?.currentHealthy === 1 && s.disruptionsAllowed === 0 ? true : undefined;
      },
      10000,
      'pdb blocks',
    );
  });
});

describe('DaemonSet in a real sandbox', () => {
  it('runs no pod without nodes and one pod per node once the Node exists', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.daemonSets, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: NS },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: { containers: [{ name: 'c', image: 'x' }] },
        },
      },
    });
    const owned = async () =>
      (await client.list(GVR.pods, { namespace: NS })).items.filter(
        (p) => p.metadata?.labels?.app === 'agent',
      );
    await eventually(
      async () => {
        const ds = await client.get(GVR.daemonSets, NS, 'agent');
        return (
          (ds?.status as { observedGeneration?: number } | undefined)?.observedGeneration === 1 ||
          undefined
        );
      },
      10000,
      'daemonset observed',
    );
    expect(await owned()).toEqual([]);
    await client.create(GVR.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'sandbox-node', labels: { 'kubernetes.io/hostname': 'sandbox-node' } },
    });
    const [p] = await eventually(
      async () => ((await owned()).length === 1 ? owned() : undefined),
      10000,
      'daemon pod',
    );
    expect((p.spec as { nodeName: string }).nodeName).toBe('sandbox-node');
    await markRunning(client, p, true);
    const ds = await eventually(
      async () => {
        const d = await client.get(GVR.daemonSets, NS, 'agent');
        return (d?.status as { numberReady?: number } | undefined)?.numberReady === 1
          ? d
          : undefined;
      },
      10000,
      'daemonset ready',
    );
    expect(ds.status).toMatchObject({
      desiredNumberScheduled: 1,
      currentNumberScheduled: 1,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
      numberMisscheduled: 0,
    });
  });
});
