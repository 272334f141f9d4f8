// Deployment decisions: which ReplicaSet is new, what to create, scale or delete next, and the
// status to report. One step per reconcile; the ReplicaSets' status changes bring the next one.
import { rfc3339 } from '../runtime/clock.ts';
import { templateHash } from '../util/hash.ts';
import {
  clone,
  conditions,
  deepEqual,
  isDeleting,
  name,
  namespace,
  num,
  omitZeros,
  ownerReference,
  rec,
  semanticNormalize,
  setCondition,
  spec,
  status,
  type Condition,
  type Json,
  type Obj,
} from '../util/objects.ts';
import {
  availableReplicas,
  byCreation,
  isRollingUpdate,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  replicasOf,
  scaleDownOld,
  specReplicas,
  sumSpecReplicas,
} from './rolling.ts';

export const REVISION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH = 'pod-template-hash';

export interface DeploymentPlan {
  createRS?: Obj;
  scale: { rs: Obj; replicas: number }[];
  /** Revision annotation to (re)write on an existing new ReplicaSet (rollback to an old template). */
  setRevision?: { rs: Obj; revision: string };
  /** The new ReplicaSet follows the deployment's minReadySeconds (k8s syncs only the new set). */
  setMinReadySeconds?: { rs: Obj; minReadySeconds: number };
  deleteRSs: Obj[];
  /** The deployment's revision annotation, when it must change. */
  deploymentRevision?: string;
  status: Json;
  requeueAfterMs?: number;
}

export interface DeploymentObservation {
  deployment: Obj;
  /** ReplicaSets controlled by the deployment. */
  replicaSets: Obj[];
  /** Whether pods of old ReplicaSets still exist (Recreate waits for them to be gone). */
  oldPodsRunning: boolean;
  now: number;
}

export function revisionOf(rs: Obj): number {
  const v = Number(rs.metadata?.annotations?.[REVISION]);
  return Number.isFinite(v) ? v : 0;
}

function withoutHash(template: unknown): Json {
  const t = clone(rec(template));
  const meta = rec(t.metadata);
  const labels = { ...(rec(meta.labels) as Record<string, string>) };
  delete labels[POD_TEMPLATE_HASH];
  t.metadata = { ...meta, labels };
  return t;
}

export function templatesEqualIgnoringHash(a: unknown, b: unknown): boolean {
  return deepEqual(semanticNormalize(withoutHash(a)), semanticNormalize(withoutHash(b)));
}

/** The ReplicaSet whose template is the deployment's (oldest first if several), and the others. */
export function splitReplicaSets(d: Obj, sets: Obj[]): { newRS?: Obj; oldRSs: Obj[] } {
  const sorted = [...sets].sort(byCreation);
  const newRS = sorted.find((rs) =>
    templatesEqualIgnoringHash(spec(rs).template, spec(d).template),
  );
  return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
}

export function newReplicaSetFor(d: Obj, replicas: number, revision: number): Obj {
  const hash = templateHash(spec(d).template, num(status(d).collisionCount, 0));
  const template = clone(rec(spec(d).template));
  const tmeta = rec(template.metadata);
  const labels = { ...(rec(tmeta.labels) as Record<string, string>), [POD_TEMPLATE_HASH]: hash };
  template.metadata = { ...tmeta, labels };
  const selector = clone(rec(spec(d).selector));
  selector.matchLabels = {
    ...(rec(selector.matchLabels) as Record<string, string>),
    [POD_TEMPLATE_HASH]: hash,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${name(d)}-${hash}`,
      namespace: namespace(d),
      labels,
      annotations: { ...copiedAnnotations(d), ...replicaAnnotations(d, String(revision)) },
      ownerReferences: [ownerReference(d, 'apps/v1', 'Deployment')],
    },
    spec: {
      replicas,
      minReadySeconds: num(spec(d).minReadySeconds, 0),
      selector,
      template,
    },
  };
}

export function replicaAnnotations(d: Obj, revision?: string): Record<string, string> {
  const surge = maxSurge(d);
  return {
    ...(revision ? { [REVISION]: revision } : {}),
    [DESIRED_REPLICAS]: String(replicasOf(d)),
    [MAX_REPLICAS]: String(replicasOf(d) + surge),
  };
}

export function decideDeployment(o: DeploymentObservation): DeploymentPlan {
  const d = o.deployment;
  const { newRS, oldRSs } = splitReplicaSets(d, o.replicaSets);
  const maxOldRevision = Math.max(0, ...oldRSs.map(revisionOf));
  const plan: DeploymentPlan = { scale: [], deleteRSs: [], status: {} };
  const paused = spec(d).paused === true;
  let createdName: string | undefined;

  if (isDeleting(d)) {
    plan.status = deploymentStatus(d, newRS, oldRSs, o.now, { paused });
    return plan;
  }

  // Revisions: the new ReplicaSet always carries the highest one (a rollback renumbers it).
  const revision =
    newRS && revisionOf(newRS) > maxOldRevision ? revisionOf(newRS) : maxOldRevision + 1;
  if (newRS && revisionOf(newRS) !== revision)
    plan.setRevision = { rs: newRS, revision: String(revision) };
  if (newRS && d.metadata?.annotations?.[REVISION] !== String(revision))
    plan.deploymentRevision = String(revision);
  const minReadySeconds = num(spec(d).minReadySeconds, 0);
  if (newRS && num(spec(newRS).minReadySeconds, 0) !== minReadySeconds)
    plan.setMinReadySeconds = { rs: newRS, minReadySeconds };

  const scaling = isScalingEvent(d, newRS, oldRSs)
    ? proportionalScale(d, newRS, oldRSs)
    : undefined;
  if (scaling) {
    // spec.replicas changed (kubectl scale, the scale subresource): resize, roll out next round.
    plan.scale.push(...scaling);
  } else if (paused) {
    // A paused deployment does not roll out.
  } else if (!isRollingUpdate(d)) {
    recreate(o, d, newRS, oldRSs, revision, plan, (n) => (createdName = n));
  } else {
    rolling(o, d, newRS, oldRSs, revision, plan, (n) => (createdName = n));
  }

  // History: keep revisionHistoryLimit old, empty sets once the rollout is complete.
  const complete = newRS !== undefined && isComplete(d, newRS, oldRSs);
  if (complete && plan.scale.length === 0 && !plan.createRS) {
    const limit = num(spec(d).revisionHistoryLimit, 10);
    const cleanable = oldRSs
      .filter(
        (rs) => specReplicas(rs) === 0 && num(status(rs).replicas, 0) === 0 && !isDeleting(rs),
      )
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    plan.deleteRSs = cleanable.slice(0, Math.max(0, cleanable.length - limit));
  }

  plan.status = deploymentStatus(d, newRS, oldRSs, o.now, { paused, createdName });
  const deadline = num(spec(d).progressDeadlineSeconds, 600);
  const progressing = (plan.status.conditions as Condition[] | undefined)?.find(
    (c) => c.type === 'Progressing',
  );
  if (
    progressing?.status === 'True' &&
    (progressing.reason === 'ReplicaSetUpdated' || progressing.reason === 'NewReplicaSetCreated') &&
    progressing.lastUpdateTime
  ) {
    const at = Date.parse(progressing.lastUpdateTime) + deadline * 1000;
    plan.requeueAfterMs = Math.max(0, at - o.now) + 1000;
  }
  return plan;
}

function recreate(
  o: DeploymentObservation,
  d: Obj,
  newRS: Obj | undefined,
  oldRSs: Obj[],
  revision: number,
  plan: DeploymentPlan,
  created: (name: string) => void,
): void {
  const activeOld = oldRSs.filter((rs) => specReplicas(rs) > 0);
  if (activeOld.length > 0) {
    for (const rs of activeOld) plan.scale.push({ rs, replicas: 0 });
    return;
  }
  if (o.oldPodsRunning) return; // wait until every old pod is gone
  if (!newRS) {
    plan.createRS = newReplicaSetFor(d, replicasOf(d), revision);
    created(name(plan.createRS));
    return;
  }
  if (specReplicas(newRS) !== replicasOf(d))
    plan.scale.push({ rs: newRS, replicas: replicasOf(d) });
}

function rolling(
  _o: DeploymentObservation,
  d: Obj,
  newRS: Obj | undefined,
  oldRSs: Obj[],
  revision: number,
  plan: DeploymentPlan,
  created: (name: string) => void,
): void {
  const desired = replicasOf(d);
  const active = [newRS, ...oldRSs].filter((rs): rs is Obj => !!rs && specReplicas(rs) > 0);
  // Not rolling out, only scaling: the single active set follows spec.replicas directly.
  if (newRS && active.length <= 1 && (active.length === 0 || active[0] === newRS)) {
    if (specReplicas(newRS) !== desired) plan.scale.push({ rs: newRS, replicas: desired });
    return;
  }
  if (!newRS) {
    const replicas = newRSNewReplicas(d, oldRSs, 0);
    plan.createRS = newReplicaSetFor(d, replicas, revision);
    created(name(plan.createRS));
    return;
  }
  const current = specReplicas(newRS);
  const next = current > desired ? desired : newRSNewReplicas(d, [newRS, ...oldRSs], current);
  if (next !== current) {
    plan.scale.push({ rs: newRS, replicas: next });
    if (next > current) return; // scaled up: wait for the next round before scaling down
  }
  for (const [rs, replicas] of scaleDownOld(d, newRS, oldRSs, next))
    plan.scale.push({ rs, replicas });
}

function isComplete(d: Obj, newRS: Obj, oldRSs: Obj[]): boolean {
  const desired = replicasOf(d);
  const all = [newRS, ...oldRSs];
  return (
    num(status(newRS).replicas, 0) === desired &&
    all.reduce((s, rs) => s + num(status(rs).replicas, 0), 0) === desired &&
    all.reduce((s, rs) => s + availableReplicas(rs), 0) >= desired &&
    sumSpecReplicas(oldRSs) === 0 &&
    specReplicas(newRS) === desired
  );
}

export function deploymentStatus(
  d: Obj,
  newRS: Obj | undefined,
  oldRSs: Obj[],
  now: number,
  opts: { paused?: boolean; createdName?: string } = {},
): Json {
  const all = [newRS, ...oldRSs].filter((rs): rs is Obj => !!rs);
  const sum = (f: (rs: Obj) => number) => all.reduce((s, rs) => s + f(rs), 0);
  const desired = replicasOf(d);
  const replicas = sum((rs) => num(status(rs).replicas, 0));
  const updated = newRS ? num(status(newRS).replicas, 0) : 0;
  const ready = sum((rs) => num(status(rs).readyReplicas, 0));
  const available = sum(availableReplicas);
  const unavailable = Math.max(0, sumSpecReplicas(all) - available);
  const nowIso = rfc3339(now);
  const prev = status(d);

  let conds = conditions(d);
  const minAvailable = desired - maxUnavailable(d);
  conds = setCondition(
    conds,
    available >= minAvailable
      ? {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
          lastUpdateTime: nowIso,
        }
      : {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
          lastUpdateTime: nowIso,
        },
    nowIso,
  );

  // A new ReplicaSet that cannot create pods says why on the deployment too.
  const failure = newRS
    ? conditions(newRS).find((c) => c.type === 'ReplicaFailure' && c.status === 'True')
    : undefined;
  conds = failure
    ? setCondition(
        conds,
        {
          type: 'ReplicaFailure',
          status: 'True',
          reason: failure.reason ?? 'FailedCreate',
          message: failure.message ?? '',
          lastUpdateTime: nowIso,
        },
        nowIso,
      )
    : conds.filter((c) => c.type !== 'ReplicaFailure');

  const progressing = conds.find((c) => c.type === 'Progressing');
  const rsName = opts.createdName ?? (newRS ? name(newRS) : undefined);
  const progress = progressMade(prev, { updated, ready, available, replicas });
  let next: Condition | undefined;
  let touch = false;
  if (opts.paused) {
    next = {
      type: 'Progressing',
      status: 'Unknown',
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    };
  } else if (progressing?.reason === 'DeploymentPaused') {
    // Resuming is reported first (k8s checkPausedConditions); the rollout status follows.
    next = {
      type: 'Progressing',
      status: 'Unknown',
      reason: 'DeploymentResumed',
      message: 'Deployment is resumed',
    };
  } else if (opts.createdName) {
    next = {
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetCreated',
      message: `Created new replica set "${opts.createdName}"`,
    };
  } else if (newRS && isComplete(d, newRS, oldRSs)) {
    next = {
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${rsName}" has successfully progressed.`,
    };
  } else if (newRS) {
    const inRollout = [
      'ReplicaSetUpdated',
      'NewReplicaSetCreated',
      'ProgressDeadlineExceeded',
    ].includes(progressing?.reason ?? '');
    const deadline = num(spec(d).progressDeadlineSeconds, 600);
    const lastUpdate = Date.parse(progressing?.lastUpdateTime ?? '') || now;
    if (progress || !inRollout) {
      next = {
        type: 'Progressing',
        status: 'True',
        reason: 'ReplicaSetUpdated',
        message: `ReplicaSet "${rsName}" is progressing.`,
      };
      touch = true;
    } else if (
      progressing?.reason === 'ProgressDeadlineExceeded' ||
      lastUpdate + deadline * 1000 <= now
    ) {
      next = {
        type: 'Progressing',
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: `ReplicaSet "${rsName}" has timed out progressing.`,
      };
    }
  }
  if (next) conds = setProgressing(conds, next, nowIso, touch);

  return omitZeros({
    observedGeneration: d.metadata?.generation ?? 0,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    unavailableReplicas: unavailable,
    ...(conds.length ? { conditions: conds } : {}),
    ...(prev.collisionCount !== undefined ? { collisionCount: prev.collisionCount } : {}),
  });
}

function progressMade(
  prev: Json,
  now: { updated: number; ready: number; available: number; replicas: number },
): boolean {
  return (
    now.updated > num(prev.updatedReplicas, 0) ||
    now.ready > num(prev.readyReplicas, 0) ||
    now.available > num(prev.availableReplicas, 0) ||
    now.replicas - now.updated < num(prev.replicas, 0) - num(prev.updatedReplicas, 0)
  );
}

/** Progressing keeps lastUpdateTime unless it changes or progress was made (touch). */
function setProgressing(
  list: Condition[],
  next: Condition,
  nowIso: string,
  touch: boolean,
): Condition[] {
  const existing = list.find((c) => c.type === next.type);
  const same =
    existing?.status === next.status &&
    existing.reason === next.reason &&
    existing.message === next.message;
  if (same && !touch) return list;
  const merged: Condition = {
    type: next.type,
    status: next.status,
    lastUpdateTime: nowIso,
    lastTransitionTime:
      existing?.status === next.status ? (existing.lastTransitionTime ?? nowIso) : nowIso,
    reason: next.reason,
    message: next.message,
  };
  return [...list.filter((c) => c.type !== next.type), merged];
}

/** Active sets whose desired-replicas annotation differs from spec.replicas mean a resize (k8s isScalingEvent). */
export function isScalingEvent(d: Obj, newRS: Obj | undefined, oldRSs: Obj[]): boolean {
  const active = [newRS, ...oldRSs].filter((rs): rs is Obj => !!rs && specReplicas(rs) > 0);
  return active.some((rs) => {
    const desired = rs.metadata?.annotations?.[DESIRED_REPLICAS];
    return desired !== undefined && Number(desired) !== replicasOf(d);
  });
}

/**
 * k8s DeploymentController.scale: a single active (or the latest) set takes spec.replicas; a
 * saturated new set empties the old ones; otherwise the change (bounded by replicas + maxSurge)
 * is spread over the active sets in proportion to their size, the remainder to the largest.
 * Every active set is rewritten so its desired-replicas annotation follows.
 */
export function proportionalScale(
  d: Obj,
  newRS: Obj | undefined,
  oldRSs: Obj[],
): { rs: Obj; replicas: number }[] {
  const desired = replicasOf(d);
  const all = [newRS, ...oldRSs].filter((rs): rs is Obj => !!rs);
  const active = all.filter((rs) => specReplicas(rs) > 0);
  if (active.length <= 1) {
    const target = active[0] ?? newRS ?? [...oldRSs].sort(byCreation).at(-1);
    return target ? [{ rs: target, replicas: desired }] : [];
  }
  const saturated =
    newRS !== undefined &&
    specReplicas(newRS) === desired &&
    Number(newRS.metadata?.annotations?.[DESIRED_REPLICAS]) === desired &&
    availableReplicas(newRS) === desired;
  if (saturated) return active.filter((rs) => rs !== newRS).map((rs) => ({ rs, replicas: 0 }));
  if (!isRollingUpdate(d)) return [];

  const allowed = desired > 0 ? desired + maxSurge(d) : 0;
  const toAdd = allowed - sumSpecReplicas(active);
  const bySize = [...active].sort((a, b) => {
    if (specReplicas(a) !== specReplicas(b)) return specReplicas(b) - specReplicas(a);
    return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
  });
  const sizes = new Map(bySize.map((rs) => [rs, specReplicas(rs)]));
  let added = 0;
  for (const rs of bySize) {
    if (toAdd === 0) break;
    const fraction = replicaSetFraction(rs, d);
    const room = toAdd - added;
    const proportion = toAdd > 0 ? Math.min(fraction, room) : Math.max(fraction, room);
    sizes.set(rs, specReplicas(rs) + proportion);
    added += proportion;
  }
  const largest = bySize[0];
  if (largest && added !== toAdd)
    sizes.set(largest, Math.max(0, (sizes.get(largest) ?? 0) + toAdd - added));
  return bySize.map((rs) => ({ rs, replicas: Math.max(0, sizes.get(rs) ?? 0) }));
}

/** A set's share of a resize, from the max-replicas it was sized for (k8s getReplicaSetFraction). */
function replicaSetFraction(rs: Obj, d: Obj): number {
  if (replicasOf(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = Number(rs.metadata?.annotations?.[MAX_REPLICAS]);
  const base =
    Number.isFinite(annotated) && annotated > 0 ? annotated : num(status(d).replicas, 0) || 1;
  return Math.round((specReplicas(rs) * deploymentReplicas) / base) - specReplicas(rs);
}

/** Deployment annotations the ReplicaSet inherits (e.g. kubernetes.io/change-cause for rollout history). */
export function copiedAnnotations(d: Obj): Record<string, string> {
  const skip = new Set([
    'kubectl.kubernetes.io/last-applied-configuration',
    REVISION,
    'deployment.kubernetes.io/revision-history',
    DESIRED_REPLICAS,
    MAX_REPLICAS,
  ]);
  return Object.fromEntries(
    Object.entries(d.metadata?.annotations ?? {}).filter(([k]) => !skip.has(k)),
  );
}
