import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/types.ts';
import { iso, T0, template } from '../testing/builders.ts';
import {
  DESIRED_REPLICAS,
  isScalingEvent,
  MAX_REPLICAS,
  proportionalScale,
  decideDeployment,
  deploymentStatus,
  newReplicaSetFor,
  POD_TEMPLATE_HASH,
  REVISION,
} from './decide.ts';

function deployment(over: Record<string, unknown> = {}, tpl = template()): KubeObject {
  return {
    metadata: { name: 'web', namespace: 'ns', uid: 'd-uid', generation: 1 },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: tpl, ...over },
  };
}

function rsFrom(
  d: KubeObject,
  replicas: number,
  available: number,
  revision: number,
  created: number,
  tpl?: Record<string, unknown>,
): KubeObject {
  const base = newReplicaSetFor(
    tpl ? { ...d, spec: { ...(d.spec as object), template: tpl } } : d,
    replicas,
    revision,
  );
  return {
    ...base,
    metadata: { ...base.metadata, uid: `rs-${revision}`, creationTimestamp: iso(created) },
    status: { replicas, readyReplicas: available, availableReplicas: available },
  };
}

const old = template({ app: 'web' }, 'nginx:0');

describe('decideDeployment', () => {
  it('creates the first ReplicaSet with the pod-template-hash and revision 1', () => {
    const d = deployment();
    const plan = decideDeployment({
      deployment: d,
      replicaSets: [],
      oldPodsRunning: false,
      now: T0,
    });
    const rs = plan.createRS;
    if (!rs) throw new Error('no ReplicaSet planned');
    const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata?.name).toBe(`web-${hash}`);
    expect(rs.metadata?.annotations?.[REVISION]).toBe('1');
    expect((rs.spec as { replicas: number }).replicas).toBe(3);
    expect(
      (rs.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
    ).toEqual({ app: 'web', [POD_TEMPLATE_HASH]: hash });
    expect(rs.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      controller: true,
    });
    const progressing = (plan.status.conditions as { type: string; reason: string }[]).find(
      (c) => c.type === 'Progressing',
    );
    expect(progressing?.reason).toBe('NewReplicaSetCreated');
  });

  it('hashes the same template the same way and a different one differently', () => {
    const a = newReplicaSetFor(deployment(), 1, 1).metadata?.name;
    expect(newReplicaSetFor(deployment(), 1, 1).metadata?.name).toBe(a);
    expect(newReplicaSetFor(deployment({}, old), 1, 1).metadata?.name).not.toBe(a);
  });

  it('starts a rolling update with maxSurge extra pods at revision max+1', () => {
    const d = deployment({
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
    const oldRS = rsFrom(d, 3, 3, 1, T0, old);
    const plan = decideDeployment({
      deployment: d,
      replicaSets: [oldRS],
      oldPodsRunning: true,
      now: T0,
    });
    expect((plan.createRS?.spec as { replicas: number } | undefined)?.replicas).toBe(1);
    expect(plan.createRS?.metadata?.annotations?.[REVISION]).toBe('2');
    expect(plan.scale).toEqual([]);
  });

  it('scales old sets down as new pods become available', () => {
    const d = deployment({
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
    const oldRS = rsFrom(d, 3, 3, 1, T0, old);
    const newRS = rsFrom(d, 1, 1, 2, T0 + 1000);
    const plan = decideDeployment({
      deployment: d,
      replicaSets: [oldRS, newRS],
      oldPodsRunning: true,
      now: T0,
    });
    expect(plan.scale.map((s) => [s.rs.metadata?.name, s.replicas])).toEqual([
      [oldRS.metadata?.name, 2],
    ]);
    expect(plan.deploymentRevision).toBe('2');
  });

  it('scales the new set up when total is below replicas + surge', () => {
    const d = deployment({
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
    const oldRS = rsFrom(d, 2, 2, 1, T0, old);
    const newRS = rsFrom(d, 1, 1, 2, T0 + 1000);
    const plan = decideDeployment({
      deployment: d,
      replicaSets: [oldRS, newRS],
      oldPodsRunning: true,
      now: T0,
    });
    expect(plan.scale.map((s) => [s.rs.metadata?.name, s.replicas])).toEqual([
      [newRS.metadata?.name, 2],
    ]);
  });

  it('Recreate scales old sets to zero, waits for their pods, then creates the new one', () => {
    const d = deployment({ strategy: { type: 'Recreate' } });
    const oldRS = rsFrom(d, 3, 3, 1, T0, old);
    const step1 = decideDeployment({
      deployment: d,
      replicaSets: [oldRS],
      oldPodsRunning: true,
      now: T0,
    });
    expect(step1.scale.map((s) => s.replicas)).toEqual([0]);
    expect(step1.createRS).toBeUndefined();
    const emptied = { ...oldRS, spec: { ...(oldRS.spec as object), replicas: 0 } };
    const step2 = decideDeployment({
      deployment: d,
      replicaSets: [emptied],
      oldPodsRunning: true,
      now: T0,
    });
    expect(step2.scale).toEqual([]);
    expect(step2.createRS).toBeUndefined();
    const step3 = decideDeployment({
      deployment: d,
      replicaSets: [emptied],
      oldPodsRunning: false,
      now: T0,
    });
    expect((step3.createRS?.spec as { replicas: number } | undefined)?.replicas).toBe(3);
  });

  it('follows spec.replicas directly when not rolling out (scale subresource)', () => {
    const d = deployment({ replicas: 5 });
    const rs = rsFrom(d, 3, 3, 1, T0);
    const plan = decideDeployment({
      deployment: d,
      replicaSets: [rs],
      oldPodsRunning: false,
      now: T0,
    });
    expect(plan.scale.map((s) => s.replicas)).toEqual([5]);
  });

  it('renumbers an old ReplicaSet on rollback', () => {
    const d = deployment({}, old);
    const rs1 = rsFrom(d, 0, 0, 1, T0, old);
    const rs2 = rsFrom(d, 3, 3, 2, T0 + 1000, template());
    const plan = decideDeployment({
      deployment: d,
      replicaSets: [rs1, rs2],
      oldPodsRunning: true,
      now: T0,
    });
    expect(plan.setRevision?.revision).toBe('3');
    expect(plan.setRevision?.rs).toBe(rs1);
  });

  it('deletes empty old sets beyond revisionHistoryLimit once complete, oldest revision first', () => {
    const d = deployment({ revisionHistoryLimit: 1 });
    const empty = (rev: number) => ({
      ...rsFrom(d, 0, 0, rev, T0 + rev, template({ app: 'web' }, `nginx:v${rev}`)),
      status: { replicas: 0 },
    });
    const current = rsFrom(d, 3, 3, 4, T0 + 10);
    const plan = decideDeployment({
      deployment: d,
      replicaSets: [empty(1), empty(2), empty(3), current],
      oldPodsRunning: false,
      now: T0,
    });
    expect(plan.deleteRSs.map((rs) => rs.metadata?.uid)).toEqual(['rs-1', 'rs-2']);
  });
});

describe('deploymentStatus', () => {
  it('reports counts and Available/Progressing with the real reasons', () => {
    const d = deployment({
      replicas: 3,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    });
    const newRS = rsFrom(d, 3, 2, 1, T0);
    const s = deploymentStatus(d, newRS, [], T0);
    expect(s).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
    });
    const conds = s.conditions as {
      type: string;
      status: string;
      reason: string;
      message: string;
    }[];
    expect(conds.find((c) => c.type === 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.',
    });
    expect(conds.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'ReplicaSetUpdated',
    });
    const done = deploymentStatus(d, rsFrom(d, 3, 3, 1, T0), [], T0);
    const progressing = (
      done.conditions as { type: string; reason: string; message: string }[]
    ).find((c) => c.type === 'Progressing');
    expect(progressing?.reason).toBe('NewReplicaSetAvailable');
    expect(progressing?.message).toMatch(/^ReplicaSet "web-\w+" has successfully progressed\.$/);
  });

  it('reports MinimumReplicasUnavailable below replicas - maxUnavailable', () => {
    const d = deployment({
      replicas: 4,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    });
    const s = deploymentStatus(d, rsFrom(d, 4, 2, 1, T0), [], T0);
    const available = (s.conditions as { type: string; status: string; reason: string }[]).find(
      (c) => c.type === 'Available',
    );
    expect(available).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });

  it('times out progressing after progressDeadlineSeconds without progress', () => {
    const d = deployment({ progressDeadlineSeconds: 10 });
    const rs = rsFrom(d, 3, 1, 1, T0);
    const first = deploymentStatus(d, rs, [], T0);
    const later = deploymentStatus({ ...d, status: first }, rs, [], T0 + 11000);
    const progressing = (
      later.conditions as { type: string; status: string; reason: string }[]
    ).find((c) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
  });
});

describe('proportional scaling during a rollout', () => {
  const sized = (rs: KubeObject, desired: number, max: number): KubeObject => ({
    ...rs,
    metadata: {
      ...rs.metadata,
      annotations: {
        ...rs.metadata?.annotations,
        [DESIRED_REPLICAS]: String(desired),
        [MAX_REPLICAS]: String(max),
      },
    },
  });

  it('spreads extra replicas over old and new sets by size (the k8s docs example)', () => {
    // 10 replicas, maxSurge 3: old 8 + new 5 = 13 mid-rollout; scaled to 15 -> 18 allowed, 5 to add.
    const d = deployment({
      replicas: 15,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } },
    });
    const oldRS = sized(rsFrom(d, 8, 8, 1, T0, old), 10, 13);
    const newRS = sized(rsFrom(d, 5, 0, 2, T0 + 1000), 10, 13);
    expect(isScalingEvent(d, newRS, [oldRS])).toBe(true);
    const result = proportionalScale(d, newRS, [oldRS]);
    expect(result.map((r) => [r.rs.metadata?.uid, r.replicas])).toEqual([
      ['rs-1', 11],
      ['rs-2', 7],
    ]);
    const plan = decideDeployment({
      deployment: d,
      replicaSets: [oldRS, newRS],
      oldPodsRunning: true,
      now: T0,
    });
    expect(plan.scale.map((r) => r.replicas)).toEqual([11, 7]);
  });

  it('removes replicas proportionally when scaled down', () => {
    const d = deployment({
      replicas: 5,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
    const oldRS = sized(rsFrom(d, 6, 6, 1, T0, old), 10, 11);
    const newRS = sized(rsFrom(d, 5, 5, 2, T0 + 1000), 10, 11);
    const total = proportionalScale(d, newRS, [oldRS]).reduce((s, r) => s + r.replicas, 0);
    expect(total).toBe(6); // replicas + maxSurge
  });

  it('is not a scaling event when annotations match spec.replicas', () => {
    const d = deployment({ replicas: 3 });
    expect(isScalingEvent(d, sized(rsFrom(d, 3, 3, 1, T0), 3, 4), [])).toBe(false);
  });
});

describe('minReadySeconds', () => {
  it('is copied to the new ReplicaSet when it changes', () => {
    const d = deployment({ minReadySeconds: 5 });
    const rs = rsFrom(deployment(), 3, 3, 1, T0);
    expect(
      decideDeployment({ deployment: d, replicaSets: [rs], oldPodsRunning: false, now: T0 })
        .setMinReadySeconds,
    ).toEqual({ rs, minReadySeconds: 5 });
  });
});

describe('ReplicaSet annotations', () => {
  it('inherit the deployment annotations except the ones kubectl and the controller own', () => {
    const d = deployment();
    d.metadata = {
      ...d.metadata,
      annotations: {
        'kubernetes.io/change-cause': 'kubectl set image',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        [REVISION]: '7',
      },
    };
    const rs = newReplicaSetFor(d, 1, 8);
    expect(rs.metadata?.annotations).toEqual({
      'kubernetes.io/change-cause': 'kubectl set image',
      [REVISION]: '8',
      [DESIRED_REPLICAS]: '3',
      [MAX_REPLICAS]: '4',
    });
  });
});

describe('pause and resume', () => {
  it('reports DeploymentPaused, rolls nothing out, then DeploymentResumed', () => {
    const d = deployment({ paused: true });
    const oldRS = rsFrom(d, 3, 3, 1, T0, old);
    const paused = decideDeployment({
      deployment: d,
      replicaSets: [oldRS],
      oldPodsRunning: true,
      now: T0,
    });
    expect(paused.createRS).toBeUndefined();
    const cond = (s: Record<string, unknown>) =>
      (s.conditions as { type: string; status: string; reason: string }[]).find(
        (c) => c.type === 'Progressing',
      );
    expect(cond(paused.status)).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
    const resumed = deploymentStatus(
      { ...deployment(), status: paused.status },
      rsFrom(d, 3, 3, 1, T0, old),
      [],
      T0,
    );
    expect(cond(resumed)).toMatchObject({ status: 'Unknown', reason: 'DeploymentResumed' });
  });
});
