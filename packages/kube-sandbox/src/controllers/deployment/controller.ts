// Deployment controller: rolls ReplicaSets (RollingUpdate, Recreate), keeps revision history and
// reports status and conditions.
import type { KubeObject } from '../../core/types.ts';
import { GVR } from '../gvr.ts';
import {
  enqueueControllerOf,
  newQueue,
  recorder,
  deleteIfExists,
  isStatusCode,
  writeStatus,
  type Controller,
  type ControllerContext,
} from '../runtime/context.ts';
import { objectKey, splitKey } from '../runtime/informer.ts';
import {
  controllerRef,
  isControlledBy,
  isPodTerminal,
  name,
  namespace,
  num,
  spec,
  status,
  type Obj,
} from '../util/objects.ts';
import {
  decideDeployment,
  REVISION,
  replicaAnnotations,
  splitReplicaSets,
  templatesEqualIgnoringHash,
} from './decide.ts';

export function deploymentController(ctx: ControllerContext): Controller {
  const deployments = ctx.informers.for(GVR.deployments);
  const sets = ctx.informers.for(GVR.replicaSets);
  const pods = ctx.informers.for(GVR.pods);
  const queue = newQueue(ctx, 'deployment', reconcile);
  const events = recorder(ctx, 'deployment-controller', 'apps/v1', 'Deployment');

  deployments.onEvent((_t, d) => queue.add(objectKey(d)));
  sets.onEvent(enqueueControllerOf(queue, 'Deployment'));
  // Recreate waits for old pods to disappear: a pod going away may unblock a deployment.
  pods.onEvent((type, pod) => {
    if (type !== 'DELETED' && !isPodTerminal(pod)) return;
    const rsRef = controllerRef(pod);
    if (rsRef?.kind !== 'ReplicaSet') return;
    const rs = sets.get(namespace(pod), rsRef.name);
    const dRef = rs && controllerRef(rs);
    if (dRef?.kind === 'Deployment') queue.add(`${namespace(pod)}/${dRef.name}`);
  });

  async function reconcile(key: string) {
    const { namespace: ns, name: dName } = splitKey(key);
    const d = deployments.get(ns, dName);
    if (!d) return;
    const owned = sets.list(ns).filter((rs) => isControlledBy(rs, d));
    const { oldRSs } = splitReplicaSets(d, owned);
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata?.uid));
    const oldPodsRunning = pods
      .list(ns)
      .some((p) => oldUids.has(controllerRef(p)?.uid) && !isPodTerminal(p));
    const plan = decideDeployment({
      deployment: d,
      replicaSets: owned,
      oldPodsRunning,
      now: ctx.clock.now(),
    });

    if (plan.createRS) {
      const created = await createReplicaSet(d, plan.createRS);
      if (!created) return { requeueAfterMs: 0 };
      await sets.waitForWrite(created);
      const replicas = Number((created.spec as { replicas?: number } | undefined)?.replicas ?? 0);
      if (replicas > 0) {
        events.record(
          d,
          'Normal',
          'ScalingReplicaSet',
          `Scaled up replica set ${name(created)} from 0 to ${replicas}`,
        );
      }
    }
    if (plan.setRevision) {
      const rs = plan.setRevision.rs;
      const updated = await ctx.client.patch(GVR.replicaSets, namespace(rs), name(rs), 'merge', {
        metadata: {
          annotations: { [REVISION]: plan.setRevision.revision },
          resourceVersion: rs.metadata?.resourceVersion,
        },
      });
      await sets.waitForWrite(updated);
      return { requeueAfterMs: 0 }; // the cached set changed: decide again on it
    }
    if (plan.setMinReadySeconds) {
      const { rs, minReadySeconds } = plan.setMinReadySeconds;
      const updated = await ctx.client.patch(GVR.replicaSets, namespace(rs), name(rs), 'merge', {
        metadata: { resourceVersion: rs.metadata?.resourceVersion },
        spec: { minReadySeconds },
      });
      await sets.waitForWrite(updated);
      return { requeueAfterMs: 0 }; // the cached sets are stale now: decide again
    }
    for (const { rs, replicas } of plan.scale) {
      // Optimistic concurrency: a stale ReplicaSet gives 409 and the queue retries on fresh cache.
      const updated = await ctx.client.patch(GVR.replicaSets, namespace(rs), name(rs), 'merge', {
        metadata: {
          annotations: replicaAnnotations(d),
          resourceVersion: rs.metadata?.resourceVersion,
        },
        spec: { replicas },
      });
      await sets.waitForWrite(updated);
      const from = Number((rs.spec as { replicas?: number } | undefined)?.replicas ?? 0);
      if (replicas !== from) {
        const direction = replicas > from ? 'up' : 'down';
        events.record(
          d,
          'Normal',
          'ScalingReplicaSet',
          `Scaled ${direction} replica set ${name(rs)} from ${from} to ${replicas}`,
        );
      }
    }
    for (const rs of plan.deleteRSs) await deleteIfExists(ctx.client, GVR.replicaSets, rs);
    let current: KubeObject = d;
    if (plan.deploymentRevision) {
      current = await ctx.client.patch(GVR.deployments, ns, dName, 'merge', {
        metadata: { annotations: { [REVISION]: plan.deploymentRevision } },
      });
    }
    await writeStatus(ctx.client, GVR.deployments, current, plan.status);
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  /** Creates the new ReplicaSet; a name taken by a different template bumps collisionCount. */
  async function createReplicaSet(d: Obj, rs: Obj): Promise<KubeObject | undefined> {
    try {
      return await ctx.client.create(GVR.replicaSets, rs);
    } catch (err) {
      if (!isStatusCode(err, 409)) throw err;
      const existing = await ctx.client.get(GVR.replicaSets, namespace(rs), name(rs));
      if (
        existing &&
        isControlledBy(existing, d) &&
        templatesEqualIgnoringHash(spec(existing).template, spec(d).template)
      ) {
        return existing;
      }
      const count = num(status(d).collisionCount, 0) + 1;
      await writeStatus(ctx.client, GVR.deployments, d, { ...status(d), collisionCount: count });
      return undefined;
    }
  }

  return {
    name: 'deployment',
    queue,
    start: () => {
      for (const d of deployments.list()) queue.add(objectKey(d));
    },
  };
}
