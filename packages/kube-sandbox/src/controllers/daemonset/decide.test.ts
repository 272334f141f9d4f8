import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/types.ts';
import { T0, template } from '../testing/builders.ts';
import { daemonPod, decideDaemonSet } from './decide.ts';

function ds(over: Record<string, unknown> = {}, tpl = template({ app: 'agent' })): KubeObject {
  return {
    metadata: { name: 'agent', namespace: 'ns', uid: 'ds-uid', generation: 1 },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: tpl, ...over },
  };
}
const node = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { name, labels },
});
function readyPod(set: KubeObject, nodeName: string, ready = true): KubeObject {
  const p = daemonPod(set, nodeName);
  return {
    ...p,
    metadata: { ...p.metadata, name: `agent-${nodeName}`, uid: `p-${nodeName}` },
    status: {
      phase: 'Running',
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          lastTransitionTime: '2025-01-01T00:00:00Z',
        },
      ],
    },
  };
}

describe('decideDaemonSet', () => {
  it('creates no pods without nodes, and one bound pod per node', () => {
    expect(decideDaemonSet(ds(), [], [], T0).createPods).toEqual([]);
    const plan = decideDaemonSet(ds(), [node('n1')], [], T0);
    expect(plan.createPods).toHaveLength(1);
    expect((plan.createPods[0]?.spec as { nodeName: string }).nodeName).toBe('n1');
    expect(plan.status).toMatchObject({
      desiredNumberScheduled: 1,
      currentNumberScheduled: 0,
      numberReady: 0,
      numberUnavailable: 1,
    });
  });

  it('respects the template nodeSelector', () => {
    const set = ds(
      {},
      { ...template({ app: 'agent' }), spec: { containers: [], nodeSelector: { role: 'edge' } } },
    );
    expect(decideDaemonSet(set, [node('n1')], [], T0).createPods).toEqual([]);
    expect(decideDaemonSet(set, [node('n1', { role: 'edge' })], [], T0).createPods).toHaveLength(1);
  });

  it('reports status and replaces an outdated pod within maxUnavailable', () => {
    const set = ds();
    const current = decideDaemonSet(set, [node('n1')], [readyPod(set, 'n1')], T0);
    expect(current.deletePods).toEqual([]);
    expect(current.status).toMatchObject({
      desiredNumberScheduled: 1,
      currentNumberScheduled: 1,
      numberReady: 1,
      numberAvailable: 1,
      updatedNumberScheduled: 1,
      numberMisscheduled: 0,
    });
    const changed = ds({}, template({ app: 'agent' }, 'agent:2'));
    const old = readyPod(set, 'n1');
    expect(decideDaemonSet(changed, [node('n1')], [old], T0).deletePods).toEqual([old]);
    expect(
      decideDaemonSet(
        { ...changed, spec: { ...(changed.spec as object), updateStrategy: { type: 'OnDelete' } } },
        [node('n1')],
        [old],
        T0,
      ).deletePods,
    ).toEqual([]);
  });

  it('deletes pods on nodes that are gone', () => {
    const set = ds();
    const orphan = readyPod(set, 'gone');
    expect(decideDaemonSet(set, [], [orphan], T0).deletePods).toEqual([orphan]);
  });
});
