import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.ts';
import { GVR } from '../../src/controllers/gvr.ts';
import { eventually } from '../../src/controllers/testing/kubelet.ts';
import { startControllerSandbox, type ControllerSandbox } from './sandbox.ts';

let env: ControllerSandbox;
const NS = 'vols';
beforeAll(async () => {
  env = await startControllerSandbox({ controllers: ['volumes'] });
  await env.sandbox.client.create(GVR.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS },
  });
});
afterAll(async () => {
  await env?.stop();
});

const claim = (name: string, storageClassName?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: NS },
  spec: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '2Gi' } },
    ...(storageClassName !== undefined ? { storageClassName } : {}),
  },
});

async function bound(name: string): Promise<{ pvc: KubeObject; pv: KubeObject; path: string }> {
  const client = env.sandbox.client;
  return eventually(
    async () => {
      const pvc = await client.get(GVR.persistentVolumeClaims, NS, name);
      if (!pvc || (pvc.status as { phase?: string } | undefined)?.phase !== 'Bound')
        return undefined;
      const pv = await client.get(
        GVR.persistentVolumes,
        undefined,
        (pvc.spec as { volumeName: string }).volumeName,
      );
      if (!pv || (pv.status as { phase?: string } | undefined)?.phase !== 'Bound') return undefined;
      return { pvc, pv, path: (pv.spec as { hostPath: { path: string } }).hostPath.path };
    },
    10000,
    `claim ${name} bound`,
  );
}

describe('PersistentVolume provisioning in a real sandbox', () => {
  it('creates the default StorageClass', async () => {
    const sc = await eventually(
      () => env.sandbox.client.get(GVR.storageClasses, undefined, 'standard'),
      10000,
      'storage class',
    );
    expect(sc).toMatchObject({
      provisioner: 'opsmith.io/local-path',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    });
    expect(sc.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class']).toBe('true');
  });

  it('provisions and binds both ways; reclaim Delete removes PV and directory', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.persistentVolumeClaims, claim('one'));
    const { pvc, pv, path } = await bound('one');
    expect(pvc.status).toMatchObject({
      phase: 'Bound',
      capacity: { storage: '2Gi' },
      accessModes: ['ReadWriteOnce'],
    });
    expect(pvc.metadata?.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes' });
    expect(pv.spec).toMatchObject({
      claimRef: {
        kind: 'PersistentVolumeClaim',
        namespace: NS,
        name: 'one',
        uid: pvc.metadata?.uid,
      },
      capacity: { storage: '2Gi' },
    });
    expect(path.startsWith(env.dataDir)).toBe(true);
    expect(existsSync(path)).toBe(true);
    await client.delete(GVR.persistentVolumeClaims, NS, 'one');
    await eventually(
      async () =>
        (await client.get(GVR.persistentVolumes, undefined, pv.metadata?.name ?? '')) ===
          undefined || undefined,
      10000,
      'pv deleted',
    );
    expect(existsSync(path)).toBe(false);
  });

  it('reclaim Retain leaves a Released PV and its directory', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.storageClasses, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'keep' },
      provisioner: 'opsmith.io/local-path',
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'Immediate',
    });
    await client.create(GVR.persistentVolumeClaims, claim('two', 'keep'));
    const { pv, path } = await bound('two');
    expect(pv.spec).toMatchObject({
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: 'keep',
    });
    await client.delete(GVR.persistentVolumeClaims, NS, 'two');
    await eventually(
      async () => {
        const v = await client.get(GVR.persistentVolumes, undefined, pv.metadata?.name ?? '');
        return (v?.status as { phase?: string } | undefined)?.phase === 'Released' || undefined;
      },
      10000,
      'pv released',
    );
    expect(existsSync(path)).toBe(true);
  });

  it('binds a claim to a pre-created Available PV of its class', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.persistentVolumes, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'manual' },
      spec: {
        capacity: { storage: '5Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'manual',
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: '/tmp/nowhere' },
      },
    });
    await client.create(GVR.persistentVolumeClaims, claim('three', 'manual'));
    const { pv } = await bound('three');
    expect(pv.metadata?.name).toBe('manual');
  });
});

describe('retroactive default StorageClass', () => {
  it('gives a claim made while no class was default the default class once there is one', async () => {
    const client = env.sandbox.client;
    const markDefault = (value: string) =>
      client.patch(GVR.storageClasses, undefined, 'standard', 'merge', {
        metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': value } },
      });
    await markDefault('false');
    try {
      await client.create(GVR.persistentVolumeClaims, claim('late'));
      await eventually(
        async () => {
          const c = await client.get(GVR.persistentVolumeClaims, NS, 'late');
          return (c?.status as { phase?: string } | undefined)?.phase === 'Pending' || undefined;
        },
        10000,
        'pending claim without a class',
      );
      expect((await client.get(GVR.persistentVolumeClaims, NS, 'late'))?.spec).not.toHaveProperty(
        'storageClassName',
      );
    } finally {
      await markDefault('true');
    }
    const { pvc, pv } = await bound('late');
    expect(pvc.spec).toMatchObject({ storageClassName: 'standard' });
    expect(pv.spec).toMatchObject({ storageClassName: 'standard' });
  });
});

describe('WaitForFirstConsumer', () => {
  it('binds a claim only once a pod uses it', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.storageClasses, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'lazy' },
      provisioner: 'opsmith.io/local-path',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    await client.create(GVR.persistentVolumeClaims, claim('four', 'lazy'));
    await eventually(
      async () => {
        const c = await client.get(GVR.persistentVolumeClaims, NS, 'four');
        return (c?.status as { phase?: string } | undefined)?.phase === 'Pending' || undefined;
      },
      10000,
      'pending claim',
    );
    expect((await client.get(GVR.persistentVolumeClaims, NS, 'four'))?.spec).not.toHaveProperty(
      'volumeName',
    );
    await client.create(GVR.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'consumer', namespace: NS },
      spec: {
        containers: [{ name: 'c', image: 'x' }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'four' } }],
      },
    });
    await bound('four');
  });
});
