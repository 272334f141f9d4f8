import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/types.ts';
import { pod, T0, template } from '../testing/builders.ts';
import { decideReplicaSet } from './decide.ts';

function rs(replicas: number, minReadySeconds = 0): KubeObject {
  return {
    metadata: { name: 'rs', namespace: 'ns', uid: 'rs-uid', generation: 2 },
    spec: {
      replicas,
      minReadySeconds,
      selector: { matchLabels: { app: 'web' } },
      template: template(),
    },
  };
}

describe('decideReplicaSet', () => {
  it('creates the missing pods, ignoring terminating and finished ones', () => {
    const pods = [
      pod({ ready: true }),
      pod({ deleting: true, ready: true }),
      pod({ phase: 'Failed' }),
    ];
    expect(decideReplicaSet(rs(3), pods, T0).create).toBe(2);
  });

  it('deletes not-ready before ready, and the newest first', () => {
    const oldReady = pod({ ready: true, created: T0 });
    const newReady = pod({ ready: true, created: T0 + 5000, readySince: T0 + 6000 });
    const notReady = pod({ ready: false, created: T0 - 5000 });
    const unscheduled = pod({ ready: false, created: T0 - 9000 });
    notReady.spec = { ...(notReady.spec as object), nodeName: 'node' };
    oldReady.spec = { ...(oldReady.spec as object), nodeName: 'node' };
    newReady.spec = { ...(newReady.spec as object), nodeName: 'node' };
    const plan = decideReplicaSet(rs(1), [oldReady, newReady, notReady, unscheduled], T0 + 10000);
    expect(plan.delete).toEqual([unscheduled, notReady, newReady]);
  });

  it('reports status with availability after minReadySeconds, and requeues until then', () => {
    const pods = [
      pod({ ready: true, readySince: T0 }),
      pod({ ready: true, readySince: T0 + 8000 }),
      pod({ ready: false }),
    ];
    const plan = decideReplicaSet(rs(3, 10), pods, T0 + 10000);
    expect(plan.status).toMatchObject({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 1,
      observedGeneration: 2,
    });
    expect(plan.requeueAfterMs).toBe(8000);
  });

  it('omits zero counts like the real API (replicas stays)', () => {
    expect(decideReplicaSet(rs(0), [], T0).status).toEqual({ replicas: 0, observedGeneration: 2 });
  });
});
