import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/types.ts';
import { ownerRef, pod, T0 } from '../testing/builders.ts';
import { pdbCounts, pdbStatus, type ScaleLookup } from './decide.ts';

function pdb(spec: Record<string, unknown>): KubeObject {
  return {
    metadata: { name: 'p', namespace: 'ns', generation: 3 },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  };
}

const rsRef = ownerRef('ReplicaSet', 'rs', 'rs-uid');
const pods = (ready: number, notReady: number) => [
  ...Array.from({ length: ready }, () => pod({ ready: true, owner: rsRef })),
  ...Array.from({ length: notReady }, () => pod({ ready: false, owner: rsRef })),
];
const scaleOf =
  (replicas: number): ScaleLookup =>
  () => ({ uid: 'd-uid', replicas });

describe('pdbCounts', () => {
  it('minAvailable as an int: desired is the int, expected the pods', () => {
    expect(pdbCounts(pdb({ minAvailable: 2 }), pods(3, 1), scaleOf(5))).toEqual({
      expectedPods: 4,
      desiredHealthy: 2,
      currentHealthy: 3,
      disruptionsAllowed: 1,
    });
  });

  it('minAvailable as a percentage rounds up against the controllers scale', () => {
    expect(pdbCounts(pdb({ minAvailable: '50%' }), pods(3, 0), scaleOf(5))).toEqual({
      expectedPods: 5,
      desiredHealthy: 3,
      currentHealthy: 3,
      disruptionsAllowed: 0,
    });
  });

  it('maxUnavailable (int and percentage) subtracts from the expected count', () => {
    expect(pdbCounts(pdb({ maxUnavailable: 1 }), pods(3, 0), scaleOf(3))).toEqual({
      expectedPods: 3,
      desiredHealthy: 2,
      currentHealthy: 3,
      disruptionsAllowed: 1,
    });
    expect(pdbCounts(pdb({ maxUnavailable: '34%' }), pods(3, 0), scaleOf(3))).toEqual({
      expectedPods: 3,
      desiredHealthy: 1,
      currentHealthy: 3,
      disruptionsAllowed: 2,
    });
  });

  it('does not count terminating pods as healthy and never allows negative disruptions', () => {
    const list = [pod({ ready: true, deleting: true, owner: rsRef }), ...pods(1, 0)];
    expect(pdbCounts(pdb({ minAvailable: 2 }), list, scaleOf(2))).toMatchObject({
      currentHealthy: 1,
      disruptionsAllowed: 0,
    });
  });

  it('falls back to the pods when a pod has no controller', () => {
    expect(
      pdbCounts(
        pdb({ maxUnavailable: 1 }),
        [pod({ ready: true }), pod({ ready: true })],
        scaleOf(9),
      ),
    ).toMatchObject({ expectedPods: 2, desiredHealthy: 1 });
  });
});

describe('pdbStatus', () => {
  it('sets DisruptionAllowed and observedGeneration', () => {
    const s = pdbStatus(
      pdb({ minAvailable: 1 }),
      { expectedPods: 2, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1 },
      T0,
    );
    expect(s).toMatchObject({
      observedGeneration: 3,
      disruptionsAllowed: 1,
      currentHealthy: 2,
      desiredHealthy: 1,
      expectedPods: 2,
      disruptedPods: {},
    });
    expect((s.conditions as { type: string; status: string; reason: string }[])[0]).toMatchObject({
      type: 'DisruptionAllowed',
      status: 'True',
      reason: 'SufficientPods',
    });
    const blocked = pdbStatus(
      pdb({ minAvailable: 2 }),
      { expectedPods: 2, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 },
      T0,
    );
    expect((blocked.conditions as { status: string; reason: string }[])[0]).toMatchObject({
      status: 'False',
      reason: 'InsufficientPods',
    });
  });
});

describe('disruptedPods', () => {
  it('holds evicted pods out of currentHealthy until they go or the entry expires', () => {
    const list = pods(3, 0);
    const name = list[0]?.metadata?.name ?? '';
    const budget = {
      ...pdb({ minAvailable: 1 }),
      status: { disruptedPods: { [name]: '2026-01-01T00:00:00Z', gone: '2026-01-01T00:00:00Z' } },
    };
    expect(pdbCounts(budget, list, scaleOf(3), T0 + 1000)).toMatchObject({
      currentHealthy: 2,
      disruptionsAllowed: 1,
    });
    expect(
      pdbStatus(budget, pdbCounts(budget, list, scaleOf(3), T0 + 1000), T0 + 1000, list)
        .disruptedPods,
    ).toEqual({ [name]: '2026-01-01T00:00:00Z' });
    // After two minutes the eviction is assumed lost and the pod counts again.
    expect(pdbCounts(budget, list, scaleOf(3), T0 + 120000)).toMatchObject({ currentHealthy: 3 });
  });
});
