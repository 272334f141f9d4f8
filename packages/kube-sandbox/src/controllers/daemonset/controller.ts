// DaemonSet controller: a pod on every node (the sandbox has one), bound directly to it.
import { GVR } from '../gvr.ts';
import {
  createOwnedPod,
  deleteOwnedPod,
  enqueueControllerOf,
  newQueue,
  recorder,
  writeStatus,
  type Controller,
  type ControllerContext,
} from '../runtime/context.ts';
import { objectKey, splitKey } from '../runtime/informer.ts';
import { isControlledBy } from '../util/objects.ts';
import { decideDaemonSet } from './decide.ts';

export function daemonSetController(ctx: ControllerContext): Controller {
  const sets = ctx.informers.for(GVR.daemonSets);
  const pods = ctx.informers.for(GVR.pods);
  const nodes = ctx.informers.for(GVR.nodes);
  const queue = newQueue(ctx, 'daemonset', reconcile);
  const events = recorder(ctx, 'daemonset-controller', 'apps/v1', 'DaemonSet');

  sets.onEvent((_t, ds) => queue.add(objectKey(ds)));
  pods.onEvent(enqueueControllerOf(queue, 'DaemonSet'));
  nodes.onEvent((type, node, old) => {
    const labelsChanged =
      JSON.stringify(node.metadata?.labels) !== JSON.stringify(old?.metadata?.labels);
    if (type !== 'MODIFIED' || labelsChanged)
      for (const ds of sets.list()) queue.add(objectKey(ds));
  });

  async function reconcile(key: string) {
    const { namespace: ns, name: dsName } = splitKey(key);
    const ds = sets.get(ns, dsName);
    if (!ds) return;
    const owned = pods.list(ns).filter((p) => isControlledBy(p, ds));
    const plan = decideDaemonSet(ds, nodes.list(), owned, ctx.clock.now());
    const waits: Promise<boolean>[] = [];
    for (const pod of plan.createPods)
      waits.push((await createOwnedPod(ctx, events, ds, pods, pod)).synced);
    for (const pod of plan.deletePods)
      waits.push((await deleteOwnedPod(ctx, events, ds, pods, pod)).synced);
    await Promise.all(waits);
    await writeStatus(ctx.client, GVR.daemonSets, ds, plan.status);
  }

  return {
    name: 'daemonset',
    queue,
    start: () => {
      for (const ds of sets.list()) queue.add(objectKey(ds));
    },
  };
}
