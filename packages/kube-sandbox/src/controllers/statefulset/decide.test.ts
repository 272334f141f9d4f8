import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/types.ts';
import { T0, template } from '../testing/builders.ts';
import {
  decideStatefulSet,
  newPod,
  ordinalOf,
  POD_INDEX_LABEL,
  POD_NAME_LABEL,
  REVISION_LABEL,
  templateFromPod,
  updateRevisionOf,
  type StatefulSetObservation,
} from './decide.ts';

function sts(over: Record<string, unknown> = {}, tpl = template({ app: 'db' })): KubeObject {
  return {
    metadata: { name: 'db', namespace: 'ns', uid: 'sts-uid', generation: 1 },
    spec: {
      replicas: 3,
      serviceName: 'db-hl',
      selector: { matchLabels: { app: 'db' } },
      template: tpl,
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
      ...over,
    },
  };
}

function podAt(
  set: KubeObject,
  ord: number,
  o: { ready?: boolean; revision?: string; deleting?: boolean; phase?: string } = {},
): KubeObject {
  const revision = o.revision ?? updateRevisionOf(set);
  const p = newPod(
    set,
    (set.spec as { template: Record<string, unknown> }).template,
    revision,
    ord,
  );
  const ready = o.ready ?? true;
  return {
    ...p,
    metadata: {
      ...p.metadata,
      uid: `pod-${ord}-${revision}`,
      ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    status: {
      phase: o.phase ?? (ready ? 'Running' : 'Pending'),
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          lastTransitionTime: '2025-12-31T00:00:00Z',
        },
      ],
    },
  };
}

function claimsFor(set: KubeObject, ords: number[]): Map<string, KubeObject> {
  return new Map(
    ords.map((o) => [
      `data-db-${o}`,
      { metadata: { name: `data-db-${o}`, namespace: 'ns', uid: `pvc-${o}` } },
    ]),
  );
}

function observe(
  set: KubeObject,
  pods: KubeObject[],
  claims = claimsFor(set, [0, 1, 2, 3, 4]),
): StatefulSetObservation {
  return { set, pods, claims, templates: new Map(), now: T0 };
}

describe('ordinalOf', () => {
  it('parses <set>-<n> and nothing else', () => {
    expect(ordinalOf('db', 'db-0')).toBe(0);
    expect(ordinalOf('db', 'db-12')).toBe(12);
    expect(ordinalOf('db', 'db-x')).toBeUndefined();
    expect(ordinalOf('db', 'other-1')).toBeUndefined();
    expect(ordinalOf('my-db', 'my-db-1')).toBe(1);
  });
});

describe('StatefulSet pods', () => {
  it('carry identity labels, hostname, subdomain and claim volumes', () => {
    const set = sts();
    const p = newPod(set, template({ app: 'db' }), 'db-abc', 2);
    expect(p.metadata?.name).toBe('db-2');
    expect(p.metadata?.labels).toMatchObject({
      app: 'db',
      [POD_NAME_LABEL]: 'db-2',
      [POD_INDEX_LABEL]: '2',
      [REVISION_LABEL]: 'db-abc',
    });
    expect(p.spec).toMatchObject({
      hostname: 'db-2',
      subdomain: 'db-hl',
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-2' } }],
    });
  });
});

describe('decideStatefulSet: OrderedReady', () => {
  it('creates ordinal 0 with its claim first, and nothing more', () => {
    const set = sts();
    const plan = decideStatefulSet(observe(set, [], new Map()));
    expect(plan.createPods.map((p) => p.metadata?.name)).toEqual(['db-0']);
    expect(plan.createClaims.map((c) => c.metadata?.name)).toEqual(['data-db-0']);
    expect(plan.createClaims[0]?.metadata?.labels).toEqual({ app: 'db' });
  });

  it('waits for ordinal i-1 to be Running and Ready before creating i', () => {
    const set = sts();
    expect(decideStatefulSet(observe(set, [podAt(set, 0, { ready: false })])).createPods).toEqual(
      [],
    );
    expect(
      decideStatefulSet(observe(set, [podAt(set, 0)])).createPods.map((p) => p.metadata?.name),
    ).toEqual(['db-1']);
  });

  it('recreates a deleted pod under the same name (and so the same claim)', () => {
    const set = sts();
    const plan = decideStatefulSet(observe(set, [podAt(set, 0), podAt(set, 2)]));
    expect(plan.createPods.map((p) => p.metadata?.name)).toEqual(['db-1']);
    expect(plan.createClaims).toEqual([]);
  });

  it('replaces a failed pod by deleting it first', () => {
    const set = sts();
    const failed = podAt(set, 1, { ready: false, phase: 'Failed' });
    expect(decideStatefulSet(observe(set, [podAt(set, 0), failed])).deletePods).toEqual([failed]);
  });

  it('scales down from the highest ordinal, one at a time, waiting for termination', () => {
    const set = sts({ replicas: 1 });
    const pods = [podAt(set, 0), podAt(set, 1), podAt(set, 2)];
    expect(decideStatefulSet(observe(set, pods)).deletePods.map((p) => p.metadata?.name)).toEqual([
      'db-2',
    ]);
    const terminating = [podAt(set, 0), podAt(set, 1), podAt(set, 2, { deleting: true })];
    expect(decideStatefulSet(observe(set, terminating)).deletePods).toEqual([]);
  });
});

describe('decideStatefulSet: Parallel', () => {
  it('creates and deletes all at once', () => {
    const set = sts({ podManagementPolicy: 'Parallel' });
    expect(
      decideStatefulSet(observe(set, [], new Map())).createPods.map((p) => p.metadata?.name),
    ).toEqual(['db-0', 'db-1', 'db-2']);
    const down = sts({ podManagementPolicy: 'Parallel', replicas: 1 });
    const pods = [podAt(down, 0), podAt(down, 1, { ready: false }), podAt(down, 2)];
    expect(decideStatefulSet(observe(down, pods)).deletePods.map((p) => p.metadata?.name)).toEqual([
      'db-2',
      'db-1',
    ]);
  });
});

describe('decideStatefulSet: updates', () => {
  const oldTpl = template({ app: 'db' }, 'etcd:1');
  it('RollingUpdate replaces the highest outdated ordinal first, one at a time', () => {
    const set = sts({}, template({ app: 'db' }, 'etcd:2'));
    const old = updateRevisionOf(sts({}, oldTpl));
    const pods = [0, 1, 2].map((o) => podAt(set, o, { revision: old }));
    const plan = decideStatefulSet(observe({ ...set, status: { currentRevision: old } }, pods));
    expect(plan.deletePods.map((p) => p.metadata?.name)).toEqual(['db-2']);
    // db-2 replaced but not ready yet: nothing else happens.
    const next = [
      podAt(set, 0, { revision: old }),
      podAt(set, 1, { revision: old }),
      podAt(set, 2, { ready: false }),
    ];
    expect(
      decideStatefulSet(observe({ ...set, status: { currentRevision: old } }, next)).deletePods,
    ).toEqual([]);
  });

  it('honours the partition', () => {
    const set = sts(
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
      template({ app: 'db' }, 'etcd:2'),
    );
    const old = updateRevisionOf(sts({}, oldTpl));
    const pods = [
      podAt(set, 0, { revision: old }),
      podAt(set, 1, { revision: old }),
      podAt(set, 2),
    ];
    const plan = decideStatefulSet(observe({ ...set, status: { currentRevision: old } }, pods));
    expect(plan.deletePods).toEqual([]);
    expect(plan.status).toMatchObject({
      currentRevision: old,
      updateRevision: updateRevisionOf(set),
      currentReplicas: 2,
      updatedReplicas: 1,
    });
  });

  it('recreates a pod below the partition at the current revision', () => {
    const set = sts(
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
      template({ app: 'db' }, 'etcd:2'),
    );
    const old = updateRevisionOf(sts({}, oldTpl));
    const o = observe({ ...set, status: { currentRevision: old } }, [
      podAt(set, 1, { revision: old }),
      podAt(set, 2),
    ]);
    o.templates.set(old, oldTpl);
    const created = decideStatefulSet(o).createPods[0];
    expect(created?.metadata?.labels?.[REVISION_LABEL]).toBe(old);
    expect((created?.spec as { containers: { image: string }[] }).containers[0]?.image).toBe(
      'etcd:1',
    );
  });

  it('OnDelete replaces nothing itself; a deleted pod comes back at the update revision', () => {
    const set = sts({ updateStrategy: { type: 'OnDelete' } }, template({ app: 'db' }, 'etcd:2'));
    const old = updateRevisionOf(sts({}, oldTpl));
    const pods = [podAt(set, 0, { revision: old }), podAt(set, 2, { revision: old })];
    const plan = decideStatefulSet(observe({ ...set, status: { currentRevision: old } }, pods));
    expect(plan.deletePods).toEqual([]);
    expect(plan.createPods[0]?.metadata?.labels?.[REVISION_LABEL]).toBe(updateRevisionOf(set));
  });

  it('makes the update revision current once every pod is updated and ready', () => {
    const set = sts();
    const plan = decideStatefulSet(
      observe(
        { ...set, status: { currentRevision: 'db-old' } },
        [0, 1, 2].map((o) => podAt(set, o)),
      ),
    );
    expect(plan.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: updateRevisionOf(set),
      collisionCount: 0,
      observedGeneration: 1,
    });
  });
});

describe('PVC retention', () => {
  it('whenDeleted=Delete makes the set own the claims', () => {
    const set = sts({
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
    });
    const plan = decideStatefulSet(observe(set, [podAt(set, 0)], new Map()));
    expect(plan.createClaims[0]?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'StatefulSet', uid: 'sts-uid' }),
    ]);
  });

  it('whenScaled=Delete makes a condemned pod own its claim before it is deleted', () => {
    const set = sts({
      replicas: 2,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
    });
    const pods = [podAt(set, 0), podAt(set, 1), podAt(set, 2)];
    const plan = decideStatefulSet(observe(set, pods));
    expect(plan.claimOwnerUpdates).toHaveLength(1);
    expect(plan.claimOwnerUpdates[0]?.claim.metadata?.name).toBe('data-db-2');
    expect(plan.claimOwnerUpdates[0]?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Pod', name: 'db-2' }),
    ]);
    expect(plan.deletePods.map((p) => p.metadata?.name)).toEqual(['db-2']);
  });

  it('Retain/Retain leaves claims unowned', () => {
    const set = sts();
    const plan = decideStatefulSet(observe(set, [podAt(set, 0)], new Map()));
    expect(plan.createClaims[0]?.metadata?.ownerReferences).toBeUndefined();
    expect(plan.claimOwnerUpdates).toEqual([]);
  });
});

describe('templateFromPod', () => {
  it('drops identity, scheduling and injected token volumes', () => {
    const set = sts();
    const p = podAt(set, 1);
    p.spec = {
      ...(p.spec as object),
      nodeName: 'node',
      volumes: [
        ...(p.spec as { volumes: unknown[] }).volumes,
        { name: 'kube-api-access-abcde', projected: {} },
      ],
      containers: [
        {
          name: 'c',
          image: 'etcd:1',
          volumeMounts: [
            {
              name: 'kube-api-access-abcde',
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            },
            { name: 'data', mountPath: '/data' },
          ],
        },
      ],
    };
    const t = templateFromPod(p);
    expect(t.metadata).toEqual({ labels: { app: 'db' } });
    expect(t.spec).toEqual({
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } }],
      containers: [
        { name: 'c', image: 'etcd:1', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
      ],
    });
    // Recreated at another ordinal, the claim volume points at that ordinal's claim.
    const again = newPod(set, t, 'rev', 0);
    expect((again.spec as { volumes: unknown[] }).volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } },
    ]);
  });
});
