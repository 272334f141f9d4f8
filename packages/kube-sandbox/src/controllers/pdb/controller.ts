// PodDisruptionBudget controller: keeps status current for the eviction API to read.
import { GVR } from '../gvr.ts';
import {
  newQueue,
  writeStatus,
  type Controller,
  type ControllerContext,
} from '../runtime/context.ts';
import { objectKey, splitKey } from '../runtime/informer.ts';
import { controllerRef, namespace, num, spec, uid, type Obj } from '../util/objects.ts';
import {
  DISRUPTION_TIMEOUT_MS,
  matchingPods,
  pdbCounts,
  pdbStatus,
  pendingDisruptions,
  type ScaleLookup,
} from './decide.ts';

export function pdbController(ctx: ControllerContext): Controller {
  const pdbs = ctx.informers.for(GVR.podDisruptionBudgets);
  const pods = ctx.informers.for(GVR.pods);
  const replicaSets = ctx.informers.for(GVR.replicaSets);
  const deployments = ctx.informers.for(GVR.deployments);
  const statefulSets = ctx.informers.for(GVR.statefulSets);
  const queue = newQueue(ctx, 'disruption', reconcile);

  pdbs.onEvent((_t, pdb) => queue.add(objectKey(pdb)));
  const enqueueNamespace = (_t: string, obj: Obj) => {
    for (const pdb of pdbs.list(namespace(obj))) queue.add(objectKey(pdb));
  };
  pods.onEvent(enqueueNamespace);
  replicaSets.onEvent(enqueueNamespace);
  deployments.onEvent(enqueueNamespace);
  statefulSets.onEvent(enqueueNamespace);

  /** Deployment (through its ReplicaSet), ReplicaSet or StatefulSet replicas, like getExpectedScale. */
  const scaleOf: ScaleLookup = (pod) => {
    const ref = controllerRef(pod);
    const ns = namespace(pod);
    if (ref?.kind === 'ReplicaSet') {
      const rs = replicaSets.get(ns, ref.name);
      if (!rs || uid(rs) !== ref.uid) return undefined;
      const dRef = controllerRef(rs);
      if (dRef?.kind === 'Deployment') {
        const d = deployments.get(ns, dRef.name);
        if (!d || uid(d) !== dRef.uid) return undefined;
        return { uid: uid(d), replicas: num(spec(d).replicas, 1) };
      }
      return { uid: uid(rs), replicas: num(spec(rs).replicas, 1) };
    }
    if (ref?.kind === 'StatefulSet') {
      const s = statefulSets.get(ns, ref.name);
      if (!s || uid(s) !== ref.uid) return undefined;
      return { uid: uid(s), replicas: num(spec(s).replicas, 1) };
    }
    return undefined;
  };

  async function reconcile(key: string) {
    const { namespace: ns, name } = splitKey(key);
    const pdb = pdbs.get(ns, name);
    if (!pdb) return;
    const selected = matchingPods(pdb, pods.list(ns));
    const now = ctx.clock.now();
    const counts = pdbCounts(pdb, selected, scaleOf, now);
    await writeStatus(
      ctx.client,
      GVR.podDisruptionBudgets,
      pdb,
      pdbStatus(pdb, counts, now, selected),
    );
    // Eviction entries expire after DISRUPTION_TIMEOUT_MS: look again then.
    const pending = Object.values(pendingDisruptions(pdb, selected, now)).map(
      (t) => Date.parse(t) + DISRUPTION_TIMEOUT_MS - now,
    );
    return pending.length ? { requeueAfterMs: Math.max(0, Math.min(...pending)) } : undefined;
  }

  return {
    name: 'disruption',
    queue,
    start: () => {
      for (const pdb of pdbs.list()) queue.add(objectKey(pdb));
    },
  };
}
