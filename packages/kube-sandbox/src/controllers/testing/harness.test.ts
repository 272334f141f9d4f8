import { afterEach, describe, expect, it } from 'vitest';
import { FakeClient } from './fake-client.ts';
import { startControllers, type RunningControllers } from '../index.ts';
import { GVR } from '../gvr.ts';
import { eventually, markFinished, readyAll } from './kubelet.ts';
import { template } from './builders.ts';
import type { KubeObject } from '../../core/types.ts';
import { errors } from '../../core/errors.ts';

let running: RunningControllers | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('controllers on the fake client', () => {
  it('roll a deployment through a template change', async () => {
    const client = new FakeClient();
    running = await startControllers({
      client,
      controllers: ['deployment', 'replicaset'],
      jobBackoffBaseMs: 0,
    });
    await client.create(GVR.deployments, {
      metadata: { name: 'web', namespace: 'ns' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: template(),
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      },
    });
    const ready = async () => {
      await readyAll(client, 'ns');
      const d = client.peek(GVR.deployments, 'ns', 'web') as KubeObject & {
        status?: Record<string, number>;
      };
      const s = d.status;
      const done =
        s?.observedGeneration === d.metadata?.generation &&
        s?.availableReplicas === 3 &&
        s.updatedReplicas === 3 &&
        s.replicas === 3;
      return done ? d : undefined;
    };
    const d1 = await eventually(ready, 5000, 'first rollout');
    expect(d1.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const d = client.peek(GVR.deployments, 'ns', 'web') ?? {};
    await client.update(GVR.deployments, {
      ...d,
      spec: { ...(d.spec as object), template: template({ app: 'web' }, 'nginx:2') },
    });
    let maxPods = 0;
    await eventually(
      async () => {
        // maxSurge bounds the ReplicaSets' replicas (pods of a set scaled down may linger briefly).
        const total = client
          .all(GVR.replicaSets, 'ns')
          .reduce((sum, rs) => sum + ((rs.spec as { replicas?: number }).replicas ?? 0), 0);
        maxPods = Math.max(maxPods, total);
        return ready();
      },
      5000,
      'second rollout',
    );
    const sets = client.all(GVR.replicaSets, 'ns');
    expect(sets).toHaveLength(2);
    const d2 = client.peek(GVR.deployments, 'ns', 'web') ?? {};
    expect(d2.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(maxPods).toBeLessThanOrEqual(4);
    const conds = (d2.status as { conditions: { type: string; reason: string }[] }).conditions;
    expect(conds.find((c) => c.type === 'Available')?.reason).toBe('MinimumReplicasAvailable');
    expect(conds.find((c) => c.type === 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
  });
});

describe('job controller on the fake client', () => {
  it('runs a job to completion and fails another on its backoff limit', async () => {
    const client = new FakeClient();
    running = await startControllers({ client, controllers: ['job'], jobBackoffBaseMs: 1 });
    const jobSpec = (name: string, spec: Record<string, unknown>) => ({
      metadata: { name, namespace: 'ns' },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } },
        ...spec,
      },
    });
    await client.create(GVR.jobs, jobSpec('ok', { completions: 2, parallelism: 2 }));
    await client.create(GVR.jobs, jobSpec('bad', { backoffLimit: 1 }));
    const owned = (job: string) =>
      client.all(GVR.pods, 'ns').filter((p) => p.metadata?.ownerReferences?.[0]?.name === job);
    const phase = (p: KubeObject) => (p.status as { phase?: string } | undefined)?.phase;
    const cond = (job: string, type: string) =>
      (
        (
          client.peek(GVR.jobs, 'ns', job)?.status as
            | { conditions?: { type: string; status: string; reason: string }[] }
            | undefined
        )?.conditions ?? []
      ).find((c) => c.type === type && c.status === 'True');
    await eventually(
      async () => {
        for (const p of owned('ok')) if (!phase(p)) await markFinished(client, p, 0);
        for (const p of owned('bad')) if (!phase(p)) await markFinished(client, p, 1);
        return cond('ok', 'Complete') && cond('bad', 'Failed') ? true : undefined;
      },
      5000,
      'jobs finished',
    );
    expect(cond('ok', 'Complete')?.reason).toBe('CompletionsReached');
    expect(cond('bad', 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(owned('ok')).toHaveLength(2);
    expect(owned('bad')).toHaveLength(2);
  });
});

describe('steady state', () => {
  it('writes nothing once everything converged (no reconcile hot loop)', async () => {
    const client = new FakeClient();
    running = await startControllers({ client, resyncMs: 50 });
    await client.create(GVR.deployments, {
      metadata: { name: 'web', namespace: 'ns' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template() },
    });
    await client.create(GVR.services, {
      metadata: { name: 'web', namespace: 'ns' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await client.create(GVR.statefulSets, {
      metadata: { name: 'db', namespace: 'ns' },
      spec: {
        replicas: 2,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: template({ app: 'db' }),
      },
    });
    await client.create(GVR.podDisruptionBudgets, {
      metadata: { name: 'p', namespace: 'ns' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    const status = (gvr: typeof GVR.pods, name: string) =>
      (client.peek(gvr, 'ns', name)?.status ?? {}) as Record<string, unknown>;
    await eventually(
      async () => {
        await readyAll(client, 'ns');
        return (
          client.all(GVR.pods, 'ns').length === 4 &&
          status(GVR.deployments, 'web').availableReplicas === 2 &&
          status(GVR.statefulSets, 'db').readyReplicas === 2 &&
          status(GVR.podDisruptionBudgets, 'p').currentHealthy === 2
        );
      },
      5000,
      'convergence',
    );
    await new Promise((r) => setTimeout(r, 200));
    await running.idle();
    const before = client.writes.length;
    // Several informer re-lists happen meanwhile (resyncMs 50).
    await new Promise((r) => setTimeout(r, 400));
    await running.idle();
    expect(client.writes.slice(before)).toEqual([]);
  });
});

describe('replicaset controller on the fake client', () => {
  it('releases a relabelled pod and replaces it; adopts a matching orphan', async () => {
    const client = new FakeClient();
    running = await startControllers({ client, controllers: ['replicaset'] });
    await client.create(GVR.replicaSets, {
      metadata: { name: 'rs', namespace: 'ns' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: template() },
    });
    const [first] = await eventually(
      () => (client.all(GVR.pods, 'ns').length === 1 ? client.all(GVR.pods, 'ns') : undefined),
      5000,
      'pod',
    );
    await client.patch(GVR.pods, 'ns', first?.metadata?.name ?? '', 'merge', {
      metadata: { labels: { app: 'debug' } },
    });
    await eventually(
      () => client.all(GVR.pods, 'ns').length === 2 || undefined,
      5000,
      'replacement',
    );
    const released = client.peek(GVR.pods, 'ns', first?.metadata?.name ?? '');
    expect(released?.metadata?.ownerReferences).toEqual([]);
    // Relabelled back, it is an orphan the set adopts; one of the two then goes.
    await client.patch(GVR.pods, 'ns', first?.metadata?.name ?? '', 'merge', {
      metadata: { labels: { app: 'web' } },
    });
    await eventually(
      () => client.all(GVR.pods, 'ns').length === 1 || undefined,
      5000,
      'back to one pod',
    );
  });
});

describe('pod creation failures', () => {
  it('show as ReplicaFailure on the ReplicaSet and the Deployment, with FailedCreate events, and clear', async () => {
    const client = new FakeClient();
    client.failCreate = (gvr) =>
      gvr.resource === 'pods'
        ? errors.forbidden('pods "web-x" is forbidden: exceeded quota: compute')
        : undefined;
    running = await startControllers({ client, controllers: ['deployment', 'replicaset'] });
    await client.create(GVR.deployments, {
      metadata: { name: 'web', namespace: 'ns' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: template() },
    });
    type Conds = {
      conditions?: { type: string; status: string; reason: string; message: string }[];
    };
    const failure = (obj: KubeObject | undefined) =>
      (obj?.status as Conds | undefined)?.conditions?.find((c) => c.type === 'ReplicaFailure');
    const rsFailure = await eventually(
      () => failure(client.all(GVR.replicaSets, 'ns')[0]),
      5000,
      'RS ReplicaFailure',
    );
    expect(rsFailure).toMatchObject({
      status: 'True',
      reason: 'FailedCreate',
      message: expect.stringContaining('exceeded quota'),
    });
    await eventually(
      () => failure(client.peek(GVR.deployments, 'ns', 'web')),
      5000,
      'Deployment ReplicaFailure',
    );
    const events = client.all(GVR.events, 'ns').map((e) => `${String(e.type)} ${String(e.reason)}`);
    expect(events).toContain('Warning FailedCreate');
    client.failCreate = undefined;
    await eventually(
      () =>
        client.all(GVR.pods, 'ns').length === 1 &&
        !failure(client.all(GVR.replicaSets, 'ns')[0]) &&
        !failure(client.peek(GVR.deployments, 'ns', 'web')),
      10000,
      'recovery',
    );
  });
});
