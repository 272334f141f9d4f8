import { describe, expect, it } from 'vitest';
import type { KubeClient } from '@opsmith/k8s-runtime';
import { BackupReconciler } from './controller.ts';
import type { EtcdBackup } from './types.ts';

const backup: EtcdBackup = {
  apiVersion: 'etcd.opsmith.io/v1alpha1',
  kind: 'EtcdBackup',
  metadata: { name: 'b', namespace: 'ns', uid: 'u-1', generation: 1 },
  spec: { clusterName: 'c', destination: { url: 's3://bucket/p' } },
};

function harness() {
  const patches: unknown[] = [];
  const events: string[] = [];
  const kube = {
    patch: (_t: unknown, _n: string, _ns: string, _k: string, body: unknown) => {
      patches.push(body);
      return Promise.resolve({});
    },
  } as unknown as KubeClient;
  const reconciler = new BackupReconciler({
    kube,
    backups: { getByName: () => backup },
    clusters: { getByName: () => undefined },
    runtime: undefined,
    events: {
      normal: (_o, reason) => Promise.resolve(void events.push(reason)),
      warning: (_o, reason) => Promise.resolve(void events.push(reason)),
    },
  });
  return { reconciler, patches, events };
}

describe('EtcdBackup without a queue', () => {
  it('reports QueueUnavailable with what to do, and looks again later (no hot loop)', async () => {
    const h = harness();
    const after = await h.reconciler.reconcile('ns', 'b');
    expect(after).toBeGreaterThanOrEqual(60_000);
    const status = (h.patches[0] as { status: EtcdBackup['status'] }).status;
    expect(status?.phase).toBe('Pending');
    const ready = status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'QueueUnavailable' });
    expect(ready?.message).toContain('--redis-url');
    expect(h.events).toEqual(['QueueUnavailable']);
  });
});
