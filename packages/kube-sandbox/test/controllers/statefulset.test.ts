import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.ts';
import { GVR } from '../../src/controllers/gvr.ts';
import { eventually, markRunning } from '../../src/controllers/testing/kubelet.ts';
import { startControllerSandbox, type ControllerSandbox } from './sandbox.ts';

let env: ControllerSandbox;
const NS = 'sts';
beforeAll(async () => {
  env = await startControllerSandbox();
  await env.sandbox.client.create(GVR.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS },
  });
});
afterAll(async () => {
  await env?.stop();
});

// The container mounts the claim template "data", which only the StatefulSet turns into a volume.
const podTemplate = (image: string) => ({
  metadata: { labels: { app: 'etcd' } },
  spec: {
    containers: [
      { name: 'etcd', image, volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }] },
    ],
  },
});

const isReady = (p: KubeObject | undefined) =>
  (p?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
    (c) => c.type === 'Ready' && c.status === 'True',
  ) ?? false;

async function podNames(): Promise<string[]> {
  const { items } = await env.sandbox.client.list(GVR.pods, { namespace: NS });
  return items
    .filter((p) => !p.metadata?.deletionTimestamp)
    .map((p) => p.metadata?.name ?? '')
    .sort();
}

/** Plays the kubelet one pod at a time, recording the order in which pods appeared. */
async function readyInOrder(expected: string[]): Promise<string[]> {
  const client = env.sandbox.client;
  const order: string[] = [];
  await eventually(
    async () => {
      const { items } = await client.list(GVR.pods, { namespace: NS });
      for (const p of items) {
        if (p.metadata?.deletionTimestamp) {
          await client
            .delete(GVR.pods, NS, p.metadata.name ?? '', { gracePeriodSeconds: 0 })
            .catch(() => undefined);
          continue;
        }
        const live = items
          .filter((x) => !x.metadata?.deletionTimestamp)
          .map((x) => x.metadata?.name ?? '');
        // OrderedReady: never two not-ready pods at once.
        expect(
          live.filter((n) => !isReady(items.find((x) => x.metadata?.name === n))).length,
        ).toBeLessThanOrEqual(1);
        if (!isReady(p)) {
          order.push(p.metadata?.name ?? '');
          await markRunning(client, p);
        }
      }
      const names = await podNames();
      const all = (await client.list(GVR.pods, { namespace: NS })).items;
      return JSON.stringify(names) === JSON.stringify(expected) && all.every(isReady)
        ? true
        : undefined;
    },
    15000,
    `pods ${expected.join(',')}`,
  );
  return order;
}

describe('StatefulSet controller in a real sandbox', () => {
  it('creates ordinals in order with provisioned PVCs, keeps identity across deletion, scales down and rolls', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.statefulSets, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'etcd', namespace: NS },
      spec: {
        replicas: 3,
        serviceName: 'etcd-hl',
        selector: { matchLabels: { app: 'etcd' } },
        template: podTemplate('etcd:3.5'),
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
      },
    });
    const order = await readyInOrder(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(order).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);

    const pod1 = await client.get(GVR.pods, NS, 'etcd-1');
    expect(pod1?.spec).toMatchObject({ hostname: 'etcd-1', subdomain: 'etcd-hl' });
    expect(pod1?.metadata?.labels).toMatchObject({
      'statefulset.kubernetes.io/pod-name': 'etcd-1',
      'apps.kubernetes.io/pod-index': '1',
    });
    expect((pod1?.spec as { volumes: unknown[] }).volumes).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'data-etcd-1' },
    });

    // Each claim is bound to a provisioned PV whose directory exists under <dataDir>/volumes.
    const pvc = await eventually(
      async () => {
        const c = await client.get(GVR.persistentVolumeClaims, NS, 'data-etcd-1');
        return (c?.status as { phase?: string } | undefined)?.phase === 'Bound' ? c : undefined;
      },
      10000,
      'claim bound',
    );
    const pvName = (pvc.spec as { volumeName: string }).volumeName;
    const pv = await client.get(GVR.persistentVolumes, undefined, pvName);
    expect(pv?.spec).toMatchObject({
      storageClassName: 'standard',
      persistentVolumeReclaimPolicy: 'Delete',
      claimRef: { name: 'data-etcd-1', namespace: NS, uid: pvc.metadata?.uid },
      capacity: { storage: '1Gi' },
    });
    expect(existsSync(join(env.dataDir, 'volumes', pvName))).toBe(true);

    // A deleted pod comes back under the same name with the same claim.
    const oldUid = pod1?.metadata?.uid;
    await client.delete(GVR.pods, NS, 'etcd-1', { gracePeriodSeconds: 0 });
    const back = await eventually(
      async () => {
        const p = await client.get(GVR.pods, NS, 'etcd-1');
        return p && p.metadata?.uid !== oldUid ? p : undefined;
      },
      10000,
      'etcd-1 recreated',
    );
    expect((back.spec as { volumes: unknown[] }).volumes).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'data-etcd-1' },
    });
    await readyInOrder(['etcd-0', 'etcd-1', 'etcd-2']);

    // Rolling update: highest ordinal first, each only after the previous is ready.
    await client.patch(GVR.statefulSets, NS, 'etcd', 'merge', {
      spec: { template: podTemplate('etcd:3.6') },
    });
    const replaced: string[] = [];
    await eventually(
      async () => {
        const { items } = await client.list(GVR.pods, { namespace: NS });
        for (const p of items) {
          const image = (p.spec as { containers: { image: string }[] }).containers[0]?.image;
          if (image === 'etcd:3.6' && !isReady(p)) {
            replaced.push(p.metadata?.name ?? '');
            await markRunning(client, p);
          }
        }
        const s = await client.get(GVR.statefulSets, NS, 'etcd');
        const st = s?.status as Record<string, unknown>;
        const observed = st.observedGeneration === s?.metadata?.generation;
        return observed &&
          st.updatedReplicas === 3 &&
          st.readyReplicas === 3 &&
          st.currentRevision === st.updateRevision
          ? true
          : undefined;
      },
      15000,
      'rolling update',
    );
    expect(replaced).toEqual(['etcd-2', 'etcd-1', 'etcd-0']);

    // Scale down: highest ordinal goes, and whenScaled=Delete removes its claim (and PV).
    await client.patch(GVR.statefulSets, NS, 'etcd', 'merge', { spec: { replicas: 2 } });
    await eventually(
      async () =>
        JSON.stringify(await podNames()) === JSON.stringify(['etcd-0', 'etcd-1']) || undefined,
      10000,
      'scale down',
    );
    await env.sandbox.settle();
    await eventually(
      async () =>
        (await client.get(GVR.persistentVolumeClaims, NS, 'data-etcd-2')) === undefined ||
        undefined,
      10000,
      'claim of etcd-2 deleted',
    );
    expect(await client.get(GVR.persistentVolumeClaims, NS, 'data-etcd-1')).toBeDefined();

    const status = (await client.get(GVR.statefulSets, NS, 'etcd'))?.status as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      replicas: 2,
      readyReplicas: 2,
      currentReplicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      collisionCount: 0,
    });
  });
});
