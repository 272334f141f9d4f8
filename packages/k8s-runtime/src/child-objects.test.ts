import { describe, expect, it } from 'vitest';
import type { UnknownObject } from './types.ts';
import { hasDrifted, isSubset } from './child-objects.ts';
import { isDeploymentReady, isPodReady, isStatefulSetReady } from './readiness.ts';

describe('drift detection', () => {
  const desired: UnknownObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'n', labels: { a: '1' } },
    data: { k: 'v' },
  };
  it('ignores server-added fields and detects changed or missing ones', () => {
    const live: UnknownObject = {
      ...desired,
      metadata: {
        ...desired.metadata,
        uid: 'u',
        resourceVersion: '5',
        labels: { a: '1', extra: 'x' },
      },
    };
    expect(hasDrifted(desired, live)).toBe(false);
    const changed: UnknownObject = { ...live, data: { k: 'other' } };
    expect(hasDrifted(desired, changed)).toBe(true);
    expect(hasDrifted(desired, { ...live, metadata: { ...live.metadata, labels: {} } })).toBe(true);
    expect(hasDrifted(desired, undefined)).toBe(true);
  });
  it('compares arrays element-wise', () => {
    expect(isSubset({ l: [1, { a: 1 }] }, { l: [1, { a: 1, b: 2 }] })).toBe(true);
    expect(isSubset({ l: [1] }, { l: [1, 2] })).toBe(false);
  });
});

describe('readiness', () => {
  it('pods, deployments and statefulsets', () => {
    expect(
      isPodReady({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }),
    ).toBe(true);
    expect(isPodReady({ status: { phase: 'Pending' } })).toBe(false);
    const d = { metadata: { generation: 2 }, spec: { replicas: 2 } };
    expect(
      isDeploymentReady({
        ...d,
        status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      }),
    ).toBe(true);
    expect(
      isDeploymentReady({
        ...d,
        status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      }),
    ).toBe(false);
    const s = { metadata: { generation: 1 }, spec: { replicas: 3 } };
    expect(
      isStatefulSetReady({
        ...s,
        status: {
          observedGeneration: 1,
          readyReplicas: 3,
          currentRevision: 'a',
          updateRevision: 'a',
        },
      }),
    ).toBe(true);
    expect(
      isStatefulSetReady({
        ...s,
        status: {
          observedGeneration: 1,
          readyReplicas: 3,
          currentRevision: 'a',
          updateRevision: 'b',
        },
      }),
    ).toBe(false);
  });
});
