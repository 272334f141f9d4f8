import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.ts';
import { GVR } from '../../src/controllers/gvr.ts';
import { eventually, readyAll } from '../../src/controllers/testing/kubelet.ts';
import { startControllerSandbox, type ControllerSandbox } from './sandbox.ts';

let env: ControllerSandbox;
beforeAll(async () => {
  env = await startControllerSandbox();
  await env.sandbox.client.create(GVR.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'deploy' },
  });
});
afterAll(async () => {
  await env?.stop();
});

const podTemplate = (image: string) => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image, ports: [{ name: 'http', containerPort: 8080 }] }] },
});

type Status = Record<string, number | undefined> & {
  conditions?: { type: string; status: string; reason: string }[];
};

async function rolledOut(name: string, replicas: number): Promise<KubeObject | undefined> {
  const client = env.sandbox.client;
  await readyAll(client, 'deploy');
  const d = await client.get(GVR.deployments, 'deploy', name);
  const s = d?.status as Status | undefined;
  const done =
    s?.observedGeneration === d?.metadata?.generation &&
    s?.updatedReplicas === replicas &&
    s?.replicas === replicas &&
    s?.availableReplicas === replicas;
  return done ? d : undefined;
}

describe('Deployment controller in a real sandbox', () => {
  it('creates a ReplicaSet and pods, rolls a new template within maxSurge/maxUnavailable, scales', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'deploy' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: podTemplate('nginx:1'),
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      },
    });
    const first = await eventually(() => rolledOut('web', 3), 15000, 'first rollout');
    expect(first.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const pods = (await client.list(GVR.pods, { namespace: 'deploy' })).items;
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata?.labels?.['pod-template-hash']).toMatch(/^[a-z0-9]+$/);
      expect(p.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        controller: true,
      });
    }

    // Roll out a new image, checking the bounds at every observed step.
    await client.patch(GVR.deployments, 'deploy', 'web', 'merge', {
      spec: { template: podTemplate('nginx:2') },
    });
    let maxTotal = 0;
    let minReady = 3;
    await eventually(
      async () => {
        const live = (await client.list(GVR.pods, { namespace: 'deploy' })).items.filter(
          (p) => !p.metadata?.deletionTimestamp,
        );
        // maxSurge bounds the ReplicaSets' replicas (pods of a set scaled down may linger briefly).
        const sets = (await client.list(GVR.replicaSets, { namespace: 'deploy' })).items;
        const total = sets.reduce(
          (sum, rs) => sum + ((rs.spec as { replicas?: number }).replicas ?? 0),
          0,
        );
        maxTotal = Math.max(maxTotal, total);
        const ready = live.filter((p) =>
          (p.status as Status | undefined)?.conditions?.some(
            (c) => c.type === 'Ready' && c.status === 'True',
          ),
        ).length;
        minReady = Math.min(minReady, ready);
        return rolledOut('web', 3);
      },
      15000,
      'second rollout',
    );
    expect(maxTotal).toBeLessThanOrEqual(4);
    expect(minReady).toBeGreaterThanOrEqual(2);
    const sets = (await client.list(GVR.replicaSets, { namespace: 'deploy' })).items;
    expect(sets).toHaveLength(2);
    const d = await client.get(GVR.deployments, 'deploy', 'web');
    expect(d?.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const conds = (d?.status as Status).conditions ?? [];
    expect(conds.find((c) => c.type === 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
    });
    expect(conds.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
    });

    // Every step is told in events, worded like kube-controller-manager's.
    const { items: events } = await client.list(GVR.events, { namespace: 'deploy' });
    const messages = events.map((e) => `${String(e.reason)}: ${String(e.message)}`);
    expect(messages).toContainEqual(
      expect.stringMatching(/^ScalingReplicaSet: Scaled up replica set web-\w+ from 0 to 3$/),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(/^SuccessfulCreate: Created pod: web-\w+-\w+$/),
    );

    // The scale subresource changes spec.replicas; the controller follows.
    await client.update(
      GVR.deployments,
      {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'web', namespace: 'deploy' },
        spec: { replicas: 1 },
      },
      { subresource: 'scale' },
    );
    await eventually(() => rolledOut('web', 1), 15000, 'scale down');
    const left = (await client.list(GVR.pods, { namespace: 'deploy' })).items.filter(
      (p) => !p.metadata?.deletionTimestamp,
    );
    expect(left).toHaveLength(1);
  });

  it('Recreate removes every old pod before the new template gets any', async () => {
    const client = env.sandbox.client;
    const labels = { app: 'batch' };
    const tpl = (image: string) => ({
      metadata: { labels },
      spec: { containers: [{ name: 'c', image }] },
    });
    await client.create(GVR.deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'recreate', namespace: 'deploy' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: tpl('app:1'),
        strategy: { type: 'Recreate' },
      },
    });
    const pods = async () =>
      (
        await client.list(GVR.pods, { namespace: 'deploy', labelSelector: 'app=batch' })
      ).items.filter((p) => !p.metadata?.deletionTimestamp);
    const done = async (image: string) => {
      await readyAll(client, 'deploy');
      const d = await client.get(GVR.deployments, 'deploy', 'recreate');
      const s = d?.status as Status | undefined;
      const live = await pods();
      const images = live.map(
        (p) => (p.spec as { containers: { image: string }[] }).containers[0]?.image,
      );
      return s?.observedGeneration === d?.metadata?.generation &&
        s?.availableReplicas === 2 &&
        images.length === 2 &&
        images.every((i) => i === image)
        ? true
        : undefined;
    };
    await eventually(() => done('app:1'), 15000, 'first version');
    await client.patch(GVR.deployments, 'deploy', 'recreate', 'merge', {
      spec: { template: tpl('app:2') },
    });
    let mixed = false;
    await eventually(
      async () => {
        const images = new Set(
          (await pods()).map(
            (p) => (p.spec as { containers: { image: string }[] }).containers[0]?.image,
          ),
        );
        if (images.has('app:1') && images.has('app:2')) mixed = true;
        return done('app:2');
      },
      15000,
      'second version',
    );
    expect(mixed).toBe(false);
  });
});
