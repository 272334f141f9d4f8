// ReplicaSet decisions: how many pods to create, which to delete, and the status to report.
import {
  isPodActive,
  isPodAvailable,
  isPodReady,
  minTimeout,
  msUntilAvailable,
  num,
  omitZeros,
  rec,
  setCondition,
  selectorMatches,
  spec,
  status,
  type Condition,
  type Obj,
} from '../util/objects.ts';
import { compareForDeletion } from '../util/pods.ts';

export interface ReplicaSetPlan {
  create: number;
  delete: Obj[];
  status: Record<string, unknown>;
  requeueAfterMs?: number;
}

export function decideReplicaSet(rs: Obj, ownedPods: Obj[], now: number): ReplicaSetPlan {
  const desired = num(spec(rs).replicas, 1);
  const minReadySeconds = num(spec(rs).minReadySeconds, 0);
  const active = ownedPods.filter(isPodActive);
  const diff = active.length - desired;
  const plan: ReplicaSetPlan = { create: 0, delete: [], status: {} };
  if (!rs.metadata?.deletionTimestamp) {
    if (diff < 0) plan.create = -diff;
    else if (diff > 0) plan.delete = [...active].sort(compareForDeletion).slice(0, diff);
  }
  plan.status = replicaSetStatus(rs, active, now);
  const waits = active.map((p) => msUntilAvailable(p, minReadySeconds, now));
  plan.requeueAfterMs = minTimeout(...waits);
  return plan;
}

export function replicaSetStatus(rs: Obj, activePods: Obj[], now: number): Record<string, unknown> {
  const minReadySeconds = num(spec(rs).minReadySeconds, 0);
  const templateLabels = rec(rec(spec(rs).template).metadata).labels as
    | Record<string, string>
    | undefined;
  const fullyLabeled = activePods.filter((p) =>
    selectorMatches({ matchLabels: templateLabels ?? {} }, p.metadata?.labels),
  ).length;
  const ready = activePods.filter(isPodReady).length;
  const available = activePods.filter((p) => isPodAvailable(p, minReadySeconds, now)).length;
  const previous = status(rs);
  return omitZeros(
    {
      ...previous,
      replicas: activePods.length,
      fullyLabeledReplicas: fullyLabeled,
      readyReplicas: ready,
      availableReplicas: available,
      observedGeneration: rs.metadata?.generation ?? 0,
    },
    ['replicas'],
  );
}

/**
 * The ReplicaFailure condition: set while pod creation fails (reason FailedCreate, the API's
 * message), removed once a sync creates what it must (k8s manageReplicas error handling).
 */
export function withReplicaFailure(
  status: Record<string, unknown>,
  createError: string | undefined,
  nowIso: string,
): Record<string, unknown> {
  const conds = (Array.isArray(status.conditions) ? status.conditions : []) as Condition[];
  const next = createError
    ? setCondition(
        conds,
        { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: createError },
        nowIso,
      )
    : conds.filter((c) => c.type !== 'ReplicaFailure');
  const { conditions: _old, ...rest } = status;
  return next.length ? { ...rest, conditions: next } : rest;
}
