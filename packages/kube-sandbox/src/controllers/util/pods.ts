// Pod construction and ordering shared by the ReplicaSet, Job and DaemonSet controllers.
import type { OwnerReference } from '../../core/types.ts';
import {
  arr,
  clone,
  creationTime,
  findCondition,
  isPodReady,
  podPhase,
  rec,
  status,
  type Json,
  type Obj,
} from './objects.ts';

/** A pod from a pod template, as controller.GetPodFromTemplate builds it. */
export function podFromTemplate(args: {
  template: Json;
  namespace: string;
  owner: OwnerReference;
  name?: string;
  generateName?: string;
  extraLabels?: Record<string, string>;
  extraAnnotations?: Record<string, string>;
}): Obj {
  const meta = rec(args.template.metadata);
  const labels = { ...(rec(meta.labels) as Record<string, string>), ...args.extraLabels };
  const annotations = {
    ...(rec(meta.annotations) as Record<string, string>),
    ...args.extraAnnotations,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(args.name ? { name: args.name } : { generateName: args.generateName }),
      namespace: args.namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(Array.isArray(meta.finalizers) ? { finalizers: clone(meta.finalizers as string[]) } : {}),
      ownerReferences: [args.owner],
    },
    spec: clone(rec(args.template.spec)),
  };
}

function phaseRank(pod: Obj): number {
  switch (podPhase(pod)) {
    case 'Pending':
      return 0;
    case 'Unknown':
      return 1;
    default:
      return 2;
  }
}

function restarts(pod: Obj): number {
  return arr(status(pod).containerStatuses).reduce(
    (sum, c) => sum + (typeof c.restartCount === 'number' ? c.restartCount : 0),
    0,
  );
}

function readySince(pod: Obj): number {
  const t = findCondition(pod, 'Ready')?.lastTransitionTime;
  return t ? Date.parse(t) : 0;
}

/**
 * k8s ActivePods ordering: the pods to delete first come first. Unscheduled before scheduled,
 * Pending before Unknown before Running, not ready before ready, recently ready before long ready,
 * more restarts first, newer before older.
 */
export function compareForDeletion(a: Obj, b: Obj): number {
  const assignedA = rec(a.spec).nodeName ? 1 : 0;
  const assignedB = rec(b.spec).nodeName ? 1 : 0;
  if (assignedA !== assignedB) return assignedA - assignedB;
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  const readyA = isPodReady(a) ? 1 : 0;
  const readyB = isPodReady(b) ? 1 : 0;
  if (readyA !== readyB) return readyA - readyB;
  if (readyA && readySince(a) !== readySince(b)) return readySince(b) - readySince(a);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  if (creationTime(a) !== creationTime(b)) return creationTime(b) - creationTime(a);
  return (b.metadata?.name ?? '').localeCompare(a.metadata?.name ?? '');
}

/** Runs tasks with at most `limit` in flight; rejects with the first error after all settle. */
export async function inBatches<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let firstError: unknown;
  for (let i = 0; i < items.length; i += limit) {
    const results = await Promise.allSettled(items.slice(i, i + limit).map(task));
    for (const r of results) if (r.status === 'rejected') firstError ??= r.reason;
  }
  if (firstError !== undefined) throw firstError;
}
