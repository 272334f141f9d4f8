// ReplicaSet controller: keeps spec.replicas pods, owned with controller=true, and reports status.
import type { KubeObject } from '../../core/types.ts';
import { GVR } from '../gvr.ts';
import {
  enqueueControllerOf,
  newQueue,
  recorder,
  deleteIfExists,
  writeStatus,
  type Controller,
  type ControllerContext,
} from '../runtime/context.ts';
import { objectKey, splitKey } from '../runtime/informer.ts';
import {
  controllerRef,
  isControlledBy,
  isDeleting,
  name,
  namespace,
  ownerReference,
  rec,
  selectorMatches,
  spec,
  type LabelSelector,
} from '../util/objects.ts';
import { inBatches, podFromTemplate } from '../util/pods.ts';
import { decideReplicaSet, withReplicaFailure } from './decide.ts';
import { rfc3339 } from '../runtime/clock.ts';

export function replicaSetController(ctx: ControllerContext): Controller {
  const sets = ctx.informers.for(GVR.replicaSets);
  const pods = ctx.informers.for(GVR.pods);
  const queue = newQueue(ctx, 'replicaset', reconcile);
  const events = recorder(ctx, 'replicaset-controller', 'apps/v1', 'ReplicaSet');

  sets.onEvent((_t, rs) => queue.add(objectKey(rs)));
  pods.onEvent(enqueueControllerOf(queue, 'ReplicaSet'));
  pods.onEvent((_t, pod, old) => {
    for (const p of [pod, old]) {
      if (!p || controllerRef(p)) continue;
      // An orphan may be adopted by any ReplicaSet whose selector matches it.
      for (const rs of sets.list(namespace(p))) {
        if (selectorMatches(spec(rs).selector as LabelSelector, p.metadata?.labels))
          queue.add(objectKey(rs));
      }
    }
  });

  async function reconcile(key: string) {
    const { namespace: ns, name: rsName } = splitKey(key);
    const rs = sets.get(ns, rsName);
    if (!rs) return;
    const selector = spec(rs).selector as LabelSelector | undefined;
    const inNamespace = pods.list(ns);
    await claimPods(rs, inNamespace, selector);
    const owned = pods.list(ns).filter((p) => isControlledBy(p, rs));
    const plan = decideReplicaSet(rs, owned, ctx.clock.now());

    let createError: string | undefined;
    if (plan.create > 0) {
      const template = rec(spec(rs).template);
      const created: KubeObject[] = [];
      try {
        await inBatches(Array.from({ length: plan.create }), 50, async () => {
          const pod = podFromTemplate({
            template,
            namespace: ns ?? '',
            generateName: `${rsName}-`,
            owner: ownerReference(rs, 'apps/v1', 'ReplicaSet'),
          });
          const made = await ctx.client.create(GVR.pods, pod);
          created.push(made);
          events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${name(made)}`);
        });
      } catch (err) {
        createError = err instanceof Error ? err.message : String(err);
        events.record(rs, 'Warning', 'FailedCreate', `Error creating: ${createError}`);
      }
      // Expectations: do not reconcile again on a cache that has not seen our pods yet.
      await Promise.all(created.map((p) => pods.waitForWrite(p)));
    }
    if (plan.delete.length > 0) {
      await inBatches(plan.delete, 50, async (p) => {
        await deleteIfExists(ctx.client, GVR.pods, p);
        events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name(p)}`);
      });
      await Promise.all(plan.delete.map((p) => pods.waitForDeletion(p)));
    }
    if (plan.create > 0 || plan.delete.length > 0) {
      // Report status from the cache once it reflects what we just did.
      const fresh = pods.list(ns).filter((p) => isControlledBy(p, rs));
      plan.status = decideReplicaSet(rs, fresh, ctx.clock.now()).status;
    }
    const nowIso = rfc3339(ctx.clock.now());
    await writeStatus(
      ctx.client,
      GVR.replicaSets,
      rs,
      withReplicaFailure(plan.status, createError, nowIso),
    );
    // A failed creation is retried with the queue's backoff.
    if (createError) throw new Error(`creating pods of ${key}: ${createError}`);
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  /**
   * k8s ClaimPods: adopt orphans the selector matches, release owned pods it no longer matches
   * (a pod relabelled for debugging leaves the set, which replaces it).
   */
  async function claimPods(
    rs: KubeObject,
    candidates: KubeObject[],
    selector: LabelSelector | undefined,
  ) {
    for (const pod of candidates) {
      if (isDeleting(pod)) continue;
      const matches = selectorMatches(selector, pod.metadata?.labels);
      const current = pod.metadata?.ownerReferences ?? [];
      const release = isControlledBy(pod, rs) && !matches;
      const adopt = !controllerRef(pod) && matches && !isDeleting(rs);
      if (!release && !adopt) continue;
      const refs = release
        ? current.filter((r) => r.uid !== rs.metadata?.uid)
        : [...current, ownerReference(rs, 'apps/v1', 'ReplicaSet')];
      try {
        const claimed = await ctx.client.patch(GVR.pods, namespace(pod), name(pod), 'merge', {
          metadata: { ownerReferences: refs, resourceVersion: pod.metadata?.resourceVersion },
        });
        await pods.waitForWrite(claimed);
      } catch (err) {
        if ((err as { code?: number }).code !== 409 && (err as { code?: number }).code !== 404)
          throw err;
      }
    }
  }

  return {
    name: 'replicaset',
    queue,
    start: () => {
      for (const rs of sets.list()) queue.add(objectKey(rs));
    },
  };
}
