// StatefulSet controller: ordinal pods with stable names, their PVCs, rolling updates and status.
import type { KubeObject } from '../../core/types.ts';
import { GVR } from '../gvr.ts';
import {
  createIfAbsent,
  deleteIfExists,
  enqueueControllerOf,
  newQueue,
  reportingFailedCreate,
  recorder,
  writeStatus,
  type Controller,
  type ControllerContext,
} from '../runtime/context.ts';
import { objectKey, splitKey } from '../runtime/informer.ts';
import { isControlledBy, name, namespace, rec, spec, type Json } from '../util/objects.ts';
import { decideStatefulSet, updateRevisionOf } from './decide.ts';

export function statefulSetController(ctx: ControllerContext): Controller {
  const sets = ctx.informers.for(GVR.statefulSets);
  const pods = ctx.informers.for(GVR.pods);
  const claims = ctx.informers.for(GVR.persistentVolumeClaims);
  const queue = newQueue(ctx, 'statefulset', reconcile);
  const events = recorder(ctx, 'statefulset-controller', 'apps/v1', 'StatefulSet');
  // Templates of revisions seen while running; pods below a partition are recreated from these.
  const templates = new Map<string, Json>();

  sets.onEvent((_t, s) => queue.add(objectKey(s)));
  pods.onEvent(enqueueControllerOf(queue, 'StatefulSet'));
  claims.onEvent((type, claim) => {
    if (type === 'ADDED') return;
    // A claim that finished terminating may unblock a pod of a set in its namespace.
    for (const s of sets.list(namespace(claim))) queue.add(objectKey(s));
  });

  async function reconcile(key: string) {
    const { namespace: ns, name: setName } = splitKey(key);
    const set = sets.get(ns, setName);
    if (!set) return;
    templates.set(updateRevisionOf(set), rec(spec(set).template));
    const owned = pods.list(ns).filter((p) => isControlledBy(p, set));
    const claimMap = new Map(claims.list(ns).map((c) => [name(c), c]));
    const plan = decideStatefulSet({
      set,
      pods: owned,
      claims: claimMap,
      templates,
      now: ctx.clock.now(),
    });

    for (const { claim, ownerReferences } of plan.claimOwnerUpdates) {
      const updated = await ctx.client.patch(
        GVR.persistentVolumeClaims,
        namespace(claim),
        name(claim),
        'merge',
        {
          metadata: { ownerReferences, resourceVersion: claim.metadata?.resourceVersion },
        },
      );
      await claims.waitForWrite(updated);
    }
    const writes: Promise<unknown>[] = [];
    for (const claim of plan.createClaims) {
      const created = await reportingFailedCreate(
        events,
        set,
        (e) => `create Claim ${name(claim)} for StatefulSet ${setName} failed error: ${e}`,
        () => createIfAbsent(ctx.client, GVR.persistentVolumeClaims, claim),
      );
      if (created) {
        writes.push(claims.waitForWrite(created));
        events.record(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Claim ${name(claim)} in StatefulSet ${setName} success`,
        );
      }
    }
    for (const pod of plan.createPods) {
      const created: KubeObject | undefined = await reportingFailedCreate(
        events,
        set,
        (e) => `create Pod ${name(pod)} in StatefulSet ${setName} failed error: ${e}`,
        () => createIfAbsent(ctx.client, GVR.pods, pod),
      );
      if (created) {
        writes.push(pods.waitForWrite(created));
        events.record(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Pod ${name(pod)} in StatefulSet ${setName} successful`,
        );
      }
    }
    for (const pod of plan.deletePods) {
      await deleteIfExists(ctx.client, GVR.pods, pod);
      writes.push(pods.waitForDeletion(pod));
      events.record(
        set,
        'Normal',
        'SuccessfulDelete',
        `delete Pod ${name(pod)} in StatefulSet ${setName} successful`,
      );
    }
    await Promise.all(writes);
    await writeStatus(ctx.client, GVR.statefulSets, set, plan.status);
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  return {
    name: 'statefulset',
    queue,
    start: () => {
      for (const s of sets.list()) queue.add(objectKey(s));
    },
  };
}
