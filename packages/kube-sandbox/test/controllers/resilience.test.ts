import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GVR } from '../../src/controllers/gvr.ts';
import { eventually } from '../../src/controllers/testing/kubelet.ts';
import { startControllerSandbox, type ControllerSandbox } from './sandbox.ts';

let env: ControllerSandbox;
beforeAll(async () => {
  env = await startControllerSandbox({ controllers: ['replicaset'], resyncMs: 200 });
});
afterAll(async () => {
  await env?.stop();
});

describe('controllers after the server closes their watches', () => {
  it('still converge (re-list and re-watch)', async () => {
    const client = env.sandbox.client;
    expect(env.sandbox.faults.closeWatches()).toBeGreaterThan(0);
    await client.create(GVR.replicaSets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'r' } },
        template: {
          metadata: { labels: { app: 'r' } },
          spec: { containers: [{ name: 'c', image: 'x' }] },
        },
      },
    });
    await eventually(
      async () =>
        (await client.list(GVR.pods, { namespace: 'default', labelSelector: 'app=r' })).items
          .length === 2 || undefined,
      10000,
      'pods after closed watches',
    );
    const rs = await eventually(
      async () => {
        const r = await client.get(GVR.replicaSets, 'default', 'rs');
        return (r?.status as { replicas?: number } | undefined)?.replicas === 2 ? r : undefined;
      },
      10000,
      'status',
    );
    expect(rs.status).toMatchObject({ replicas: 2, observedGeneration: 1 });
  });
});
