import { describe, expect, it } from 'vitest';
import {
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  resolveFenceposts,
  scaleDownOld,
} from './rolling.ts';
import type { KubeObject } from '../../core/types.ts';

function deployment(
  replicas: number,
  rollingUpdate?: Record<string, unknown>,
  type = 'RollingUpdate',
): KubeObject {
  return {
    metadata: { name: 'd' },
    spec: { replicas, strategy: { type, ...(rollingUpdate ? { rollingUpdate } : {}) } },
  };
}

function rs(name: string, replicas: number, available: number, created: number): KubeObject {
  return {
    metadata: { name, creationTimestamp: new Date(created).toISOString() },
    spec: { replicas },
    status: { replicas, availableReplicas: available },
  };
}

describe('resolveFenceposts', () => {
  it('rounds maxSurge up and maxUnavailable down for percentages', () => {
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts('50%', '50%', 3)).toEqual({ surge: 2, unavailable: 1 });
    expect(resolveFenceposts('10%', '10%', 1)).toEqual({ surge: 1, unavailable: 0 });
  });

  it('uses ints as they are and defaults both to 25%', () => {
    expect(resolveFenceposts(2, 1, 10)).toEqual({ surge: 2, unavailable: 1 });
    expect(resolveFenceposts(undefined, undefined, 4)).toEqual({ surge: 1, unavailable: 1 });
  });

  it('turns zero surge and zero unavailable into one unavailable', () => {
    expect(resolveFenceposts(0, 0, 5)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts('0%', '0%', 5)).toEqual({ surge: 0, unavailable: 1 });
  });

  it('rejects malformed percentages', () => {
    expect(() => resolveFenceposts('abc', 1, 5)).toThrow(/invalid value/);
  });
});

describe('maxSurge/maxUnavailable of a deployment', () => {
  it('are zero for Recreate and caps unavailable at replicas', () => {
    expect(maxSurge(deployment(3, undefined, 'Recreate'))).toBe(0);
    expect(maxUnavailable(deployment(3, undefined, 'Recreate'))).toBe(0);
    expect(maxUnavailable(deployment(2, { maxUnavailable: 5 }))).toBe(2);
    expect(maxUnavailable(deployment(0, { maxUnavailable: 1 }))).toBe(0);
  });
});

describe('newRSNewReplicas', () => {
  it('scales the new set up to replicas + maxSurge in total', () => {
    const d = deployment(4, { maxSurge: 1, maxUnavailable: 0 });
    expect(newRSNewReplicas(d, [rs('old', 4, 4, 1)], 0)).toBe(1);
    expect(newRSNewReplicas(d, [rs('old', 3, 3, 1), rs('new', 2, 1, 2)], 2)).toBe(2);
    expect(newRSNewReplicas(d, [rs('old', 2, 2, 1), rs('new', 2, 2, 2)], 2)).toBe(3);
  });

  it('never exceeds spec.replicas for the new set', () => {
    const d = deployment(2, { maxSurge: 5, maxUnavailable: 0 });
    expect(newRSNewReplicas(d, [rs('old', 2, 2, 1)], 0)).toBe(2);
  });

  it('is spec.replicas for Recreate', () => {
    expect(newRSNewReplicas(deployment(3, undefined, 'Recreate'), [rs('old', 3, 3, 1)], 0)).toBe(3);
  });
});

describe('scaleDownOld', () => {
  it('keeps availability at replicas - maxUnavailable', () => {
    const d = deployment(4, { maxSurge: 1, maxUnavailable: 1 });
    const old = rs('old', 4, 4, 1);
    const fresh = rs('new', 1, 0, 2);
    // 4 available, minAvailable 3 -> one old replica may go.
    const result = scaleDownOld(d, fresh, [old], 1);
    expect(result.get(old)).toBe(3);
  });

  it('does nothing while the new pods are unavailable and the budget is used', () => {
    const d = deployment(4, { maxSurge: 1, maxUnavailable: 0 });
    const old = rs('old', 4, 4, 1);
    const fresh = rs('new', 1, 0, 2);
    expect(scaleDownOld(d, fresh, [old], 1).size).toBe(0);
  });

  it('removes unhealthy old replicas first, oldest set first', () => {
    const d = deployment(3, { maxSurge: 1, maxUnavailable: 0 });
    const older = rs('older', 1, 0, 1);
    const old = rs('old', 2, 2, 2);
    const fresh = rs('new', 1, 1, 3);
    const result = scaleDownOld(d, fresh, [old, older], 1);
    expect(result.get(older)).toBe(0);
    // 3 available (2 old + 1 new), minAvailable 3: no healthy old replica may go.
    expect(result.has(old)).toBe(false);
  });
});
