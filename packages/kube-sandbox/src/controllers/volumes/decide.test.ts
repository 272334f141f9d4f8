import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/types.ts';
import {
  defaultStorageClass,
  findDefaultClass,
  matchingVolume,
  provisionedVolume,
  reclaimAction,
  storageBytes,
} from './decide.ts';

const pvc = (over: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'data', namespace: 'ns', uid: 'pvc-uid', resourceVersion: '5' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...over },
});
const pv = (
  name: string,
  size: string,
  over: Record<string, unknown> = {},
  phase = 'Available',
): KubeObject => ({
  metadata: { name },
  spec: {
    capacity: { storage: size },
    accessModes: ['ReadWriteOnce', 'ReadOnlyMany'],
    storageClassName: '',
    persistentVolumeReclaimPolicy: 'Retain',
    ...over,
  },
  status: { phase },
});

describe('volumes', () => {
  it('parses quantities', () => {
    expect(storageBytes('1Gi')).toBe(2 ** 30);
    expect(storageBytes('500M')).toBe(5e8);
    expect(storageBytes('2')).toBe(2);
    expect(storageBytes(4096)).toBe(4096);
    expect(storageBytes('lots')).toBe(0);
  });

  it('declares standard as the default class', () => {
    const sc = defaultStorageClass();
    expect(sc).toMatchObject({
      provisioner: 'opsmith.io/local-path',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    });
    expect(findDefaultClass([{ metadata: { name: 'x' } }, sc])).toBe(sc);
  });

  it('provisions a hostPath PV sized from the request, pre-bound to the claim', () => {
    const v = provisionedVolume(pvc(), defaultStorageClass(), '/data/volumes/pvc-pvc-uid');
    expect(v.metadata?.name).toBe('pvc-pvc-uid');
    expect(v.spec).toMatchObject({
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'standard',
      hostPath: { path: '/data/volumes/pvc-pvc-uid' },
      claimRef: { kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'data', uid: 'pvc-uid' },
    });
  });

  it('binds to the smallest Available PV of the class that fits', () => {
    const pvs = [
      pv('big', '10Gi'),
      pv('small', '2Gi'),
      pv('tiny', '100Mi'),
      pv('taken', '1Gi', { claimRef: { name: 'other', namespace: 'ns' } }),
      pv('fast', '1Gi', { storageClassName: 'fast' }),
    ];
    expect(matchingVolume(pvc({ storageClassName: '' }), pvs, '')?.metadata?.name).toBe('small');
    expect(matchingVolume(pvc({ storageClassName: 'fast' }), pvs, 'fast')?.metadata?.name).toBe(
      'fast',
    );
    expect(matchingVolume(pvc({ accessModes: ['ReadWriteMany'] }), pvs, '')).toBeUndefined();
  });

  it('reclaims by policy once the claim is gone', () => {
    const bound = (policy: string, phase = 'Bound') =>
      pv(
        'v',
        '1Gi',
        {
          persistentVolumeReclaimPolicy: policy,
          claimRef: { name: 'data', namespace: 'ns', uid: 'pvc-uid' },
        },
        phase,
      );
    expect(reclaimAction(bound('Delete'), pvc())).toBe('bound');
    expect(reclaimAction(bound('Delete'), undefined)).toBe('delete');
    expect(reclaimAction(bound('Retain'), undefined)).toBe('release');
    expect(reclaimAction(bound('Retain', 'Released'), undefined)).toBe('none');
    expect(
      reclaimAction(bound('Retain'), {
        ...pvc(),
        metadata: { name: 'data', namespace: 'ns', uid: 'new-uid' },
      }),
    ).toBe('release');
    expect(reclaimAction(pv('free', '1Gi'), undefined)).toBe('available');
  });
});
