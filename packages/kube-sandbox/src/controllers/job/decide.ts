// Job decisions: pods to start or stop for completions/parallelism, when the job succeeds or
// fails (backoffLimit, activeDeadlineSeconds; FailureTarget/SuccessCriteriaMet before the terminal
// condition, as Kubernetes 1.31+), status, and when ttlSecondsAfterFinished removes the job.
import { parseTime, rfc3339 } from '../runtime/clock.ts';
import {
  arr,
  findCondition,
  isDeleting,
  isPodReady,
  num,
  ownerReference,
  podPhase,
  rec,
  setCondition,
  spec,
  status,
  str,
  conditions,
  type Condition,
  type Json,
  type Obj,
} from '../util/objects.ts';
import { compareForDeletion, podFromTemplate } from '../util/pods.ts';

export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

export interface JobPlan {
  create: number;
  /** completionMode Indexed: the completion index of each pod to create. */
  createIndexes?: number[];
  deletePods: Obj[];
  deleteJob: boolean;
  status: Json;
  requeueAfterMs?: number;
}

export interface JobObservation {
  job: Obj;
  /** Pods controlled by the job. */
  pods: Obj[];
  now: number;
  /** First delay before re-creating pods after a failure (k8s: 10 s, doubling, max 6 min). */
  backoffBaseMs?: number;
}

const MAX_BACKOFF_MS = 6 * 60 * 1000;

export function isJobFinished(job: Obj): { type: 'Complete' | 'Failed'; at: number } | undefined {
  for (const type of ['Complete', 'Failed'] as const) {
    const c = findCondition(job, type);
    if (c?.status === 'True') return { type, at: parseTime(c.lastTransitionTime) ?? 0 };
  }
  return undefined;
}

function containerRestarts(pod: Obj): number {
  return [...arr(status(pod).initContainerStatuses), ...arr(status(pod).containerStatuses)].reduce(
    (sum, c) => sum + num(c.restartCount, 0),
    0,
  );
}

/** When a failed pod finished: its last container termination, else its creation. */
function failedAt(pod: Obj): number {
  let latest = 0;
  for (const c of arr(status(pod).containerStatuses)) {
    const t = parseTime(rec(rec(c.state).terminated).finishedAt);
    if (t !== undefined && t > latest) latest = t;
  }
  return latest || (parseTime(pod.metadata?.creationTimestamp) ?? 0);
}

/**
 * restartPolicy Never: each failed pod counts. OnFailure: the kubelet restarts containers in place,
 * so restarts count (k8s pastBackoffLimitOnFailure: limit 0 -> any restart fails the job).
 */
export function backoffExceeded(job: Obj, failed: number, pods: Obj[]): boolean {
  const limit = num(spec(job).backoffLimit, 6);
  if (failed > limit) return true;
  const restartPolicy = str(rec(rec(spec(job).template).spec).restartPolicy);
  if (restartPolicy !== 'OnFailure') return false;
  const restarts = pods
    .filter((p) => podPhase(p) !== 'Pending')
    .reduce((s, p) => s + containerRestarts(p), 0);
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

export function decideJob(o: JobObservation): JobPlan {
  const { job, pods, now } = o;
  const nowIso = rfc3339(now);
  const prev = status(job);
  const plan: JobPlan = { create: 0, deletePods: [], deleteJob: false, status: prev };

  const finished = isJobFinished(job);
  if (finished) {
    const ttl = spec(job).ttlSecondsAfterFinished;
    if (typeof ttl === 'number') {
      const expires = finished.at + ttl * 1000;
      if (now >= expires) plan.deleteJob = true;
      else plan.requeueAfterMs = expires - now;
    }
    return plan;
  }

  const active = pods.filter(
    (p) => !isDeleting(p) && podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed',
  );
  const terminating = pods.filter(
    (p) => isDeleting(p) && podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed',
  );
  const indexed = spec(job).completionMode === 'Indexed';
  const completedIndexes = new Set(parseIndexes(str(prev.completedIndexes)));
  if (indexed) {
    for (const p of pods) {
      const i = completionIndex(p);
      if (podPhase(p) === 'Succeeded' && i !== undefined) completedIndexes.add(i);
    }
  }
  const succeeded = indexed
    ? completedIndexes.size
    : Math.max(num(prev.succeeded, 0), pods.filter((p) => podPhase(p) === 'Succeeded').length);
  const failedPods = pods.filter((p) => podPhase(p) === 'Failed');
  const failed = Math.max(num(prev.failed, 0), failedPods.length);
  const suspended = spec(job).suspend === true;
  const completions =
    typeof spec(job).completions === 'number' ? (spec(job).completions as number) : undefined;
  const parallelism = num(spec(job).parallelism, 1);
  let conds = conditions(job);
  const startTime = str(prev.startTime) ?? (suspended ? undefined : nowIso);

  // A failure or success already decided: stop what still runs, then make it terminal.
  const target = conds.find(
    (c) => (c.type === 'FailureTarget' || c.type === 'SuccessCriteriaMet') && c.status === 'True',
  );
  let failure: { reason: string; message: string } | undefined;
  let success: { reason: string; message: string } | undefined;
  if (target?.type === 'FailureTarget')
    failure = { reason: target.reason ?? '', message: target.message ?? '' };
  else if (target?.type === 'SuccessCriteriaMet')
    success = { reason: target.reason ?? '', message: target.message ?? '' };
  else if (backoffExceeded(job, failed, pods)) {
    failure = {
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    };
  } else if (pastDeadline(job, startTime, now)) {
    failure = {
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    };
  } else if (
    completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0
  ) {
    success = {
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
    };
  }

  let requeueAfterMs: number | undefined;
  const outcome = failure ?? success;
  if (outcome) {
    const targetType = failure ? 'FailureTarget' : 'SuccessCriteriaMet';
    conds = setCondition(
      conds,
      {
        type: targetType,
        status: 'True',
        reason: outcome.reason,
        message: outcome.message,
        lastProbeTime: nowIso,
      },
      nowIso,
    );
    plan.deletePods = active;
    if (active.length === 0 && terminating.length === 0) {
      conds = setCondition(
        conds,
        {
          type: failure ? 'Failed' : 'Complete',
          status: 'True',
          reason: outcome.reason,
          message: outcome.message,
          lastProbeTime: nowIso,
        },
        nowIso,
      );
    }
  } else if (suspended) {
    plan.deletePods = active;
    conds = setCondition(
      conds,
      {
        type: 'Suspended',
        status: 'True',
        reason: 'JobSuspended',
        message: 'Job suspended',
        lastProbeTime: nowIso,
      },
      nowIso,
    );
  } else {
    if (findCondition(job, 'Suspended')?.status === 'True') {
      conds = setCondition(
        conds,
        {
          type: 'Suspended',
          status: 'False',
          reason: 'JobResumed',
          message: 'Job resumed',
          lastProbeTime: nowIso,
        },
        nowIso,
      );
    }
    const wantActive =
      completions !== undefined
        ? Math.max(0, Math.min(parallelism, completions - succeeded))
        : succeeded > 0
          ? 0
          : parallelism;
    if (active.length > wantActive) {
      plan.deletePods = [...active].sort(compareForDeletion).slice(0, active.length - wantActive);
    } else if (active.length < wantActive) {
      const wait = backoffRemaining(failedPods, o.backoffBaseMs ?? 10000, now, succeeded);
      if (wait > 0) requeueAfterMs = wait;
      else if (indexed && completions !== undefined) {
        const busy = new Set(active.map(completionIndex));
        const free: number[] = [];
        for (let i = 0; i < completions && free.length < wantActive - active.length; i++) {
          if (!completedIndexes.has(i) && !busy.has(i)) free.push(i);
        }
        plan.createIndexes = free;
        plan.create = free.length;
      } else plan.create = wantActive - active.length;
    }
    const deadline = num(spec(job).activeDeadlineSeconds, -1);
    if (deadline >= 0 && startTime) {
      const left = (parseTime(startTime) ?? now) + deadline * 1000 - now;
      requeueAfterMs = requeueAfterMs === undefined ? left : Math.min(requeueAfterMs, left);
    }
  }

  const complete = conds.find((c) => c.type === 'Complete' && c.status === 'True');
  const nextActive = active.length - plan.deletePods.length + plan.create;
  const nextStatus: Json = {
    ...(conds.length ? { conditions: conds } : {}),
    ...(startTime ? { startTime } : {}),
    ...(complete ? { completionTime: prev.completionTime ?? nowIso } : {}),
    ...(nextActive > 0 ? { active: nextActive } : {}),
    ...(succeeded > 0 ? { succeeded } : {}),
    ...(indexed && completedIndexes.size
      ? { completedIndexes: formatIndexes([...completedIndexes]) }
      : {}),
    ...(failed > 0 ? { failed } : {}),
    ...(terminating.length + plan.deletePods.length > 0
      ? { terminating: terminating.length + plan.deletePods.length }
      : {}),
    uncountedTerminatedPods: rec(prev.uncountedTerminatedPods),
    ready: active.filter(isPodReady).length,
  };
  plan.status = nextStatus;
  plan.requeueAfterMs = requeueAfterMs;
  const finishedNow = conds.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  const ttl = spec(job).ttlSecondsAfterFinished;
  if (finishedNow && typeof ttl === 'number') plan.requeueAfterMs = ttl * 1000;
  return plan;
}

function pastDeadline(job: Obj, startTime: string | undefined, now: number): boolean {
  const deadline = spec(job).activeDeadlineSeconds;
  if (typeof deadline !== 'number' || !startTime) return false;
  return (parseTime(startTime) ?? now) + deadline * 1000 <= now;
}

/** Exponential delay after consecutive failures since the last success (k8s pod failure backoff). */
export function backoffRemaining(
  failedPods: Obj[],
  baseMs: number,
  now: number,
  _succeeded: number,
): number {
  if (failedPods.length === 0 || baseMs <= 0) return 0;
  const last = Math.max(...failedPods.map(failedAt));
  const delay = Math.min(baseMs * 2 ** (failedPods.length - 1), MAX_BACKOFF_MS);
  return Math.max(0, last + delay - now);
}

export type { Condition };

export function completionIndex(pod: Obj): number | undefined {
  const v =
    pod.metadata?.labels?.[COMPLETION_INDEX] ?? pod.metadata?.annotations?.[COMPLETION_INDEX];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** "1,3-5" -> [1, 3, 4, 5], the format of status.completedIndexes. */
export function parseIndexes(text: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

export function formatIndexes(indexes: number[]): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i] ?? 0;
    let end = start;
    while (sorted[i + 1] === end + 1) end = sorted[++i] ?? end;
    parts.push(end > start ? `${start}-${end}` : String(start));
  }
  return parts.join(',');
}

/** A pod of the job: template labels plus the job labels; Indexed pods carry their index. */
export function jobPod(job: Obj, index?: number): Obj {
  const jobName = job.metadata?.name ?? '';
  const extraLabels: Record<string, string> = {
    'batch.kubernetes.io/controller-uid': job.metadata?.uid ?? '',
    'batch.kubernetes.io/job-name': jobName,
    'controller-uid': job.metadata?.uid ?? '',
    'job-name': jobName,
    ...(index !== undefined ? { [COMPLETION_INDEX]: String(index) } : {}),
  };
  const pod = podFromTemplate({
    template: rec(spec(job).template),
    namespace: job.metadata?.namespace ?? '',
    generateName: index !== undefined ? `${jobName}-${index}-` : `${jobName}-`,
    owner: ownerReference(job, 'batch/v1', 'Job'),
    extraLabels,
    ...(index !== undefined ? { extraAnnotations: { [COMPLETION_INDEX]: String(index) } } : {}),
  });
  if (index === undefined) return pod;
  const podSpec = rec(pod.spec);
  podSpec.hostname ??= `${jobName}-${index}`;
  // As the real controller: every container learns its index through the downward API.
  const env = {
    name: 'JOB_COMPLETION_INDEX',
    valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } },
  };
  for (const key of ['initContainers', 'containers']) {
    for (const c of arr(podSpec[key]))
      c.env = [...arr(c.env).filter((e) => e.name !== env.name), env];
  }
  return pod;
}
