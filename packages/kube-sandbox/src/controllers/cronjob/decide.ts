// CronJob decisions: whether a run is due (schedule, timeZone, startingDeadlineSeconds, suspend),
// what the concurrencyPolicy makes of it, history cleanup and status.
import { parseTime, rfc3339 } from '../runtime/clock.ts';
import {
  arr,
  clone,
  creationTime,
  findCondition,
  isDeleting,
  name,
  namespace,
  num,
  ownerReference,
  rec,
  spec,
  status,
  str,
  uid,
  type Json,
  type Obj,
} from '../util/objects.ts';
import { jobNameFor, scheduleTimes } from './schedule.ts';

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export interface CronJobPlan {
  createJob?: Obj;
  /** Jobs to delete with propagationPolicy Background (Replace, history limits). */
  deleteJobs: Obj[];
  status: Json;
  requeueAfterMs?: number;
  /** Why nothing ran when a run was due (for events and logs). */
  skipped?: 'Forbid' | 'MissedDeadline' | 'InvalidSchedule';
  error?: string;
}

function jobState(job: Obj): 'Complete' | 'Failed' | undefined {
  if (findCondition(job, 'Complete')?.status === 'True') return 'Complete';
  if (findCondition(job, 'Failed')?.status === 'True') return 'Failed';
  return undefined;
}

export function jobRef(job: Obj): Json {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: name(job),
    namespace: namespace(job),
    uid: uid(job),
    ...(job.metadata?.resourceVersion ? { resourceVersion: job.metadata.resourceVersion } : {}),
  };
}

function startOf(job: Obj): number {
  return parseTime(status(job).startTime) ?? creationTime(job);
}

export function newJobFor(cj: Obj, scheduled: number): Obj {
  const template = rec(spec(cj).jobTemplate);
  const meta = rec(template.metadata);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(name(cj), scheduled),
      namespace: namespace(cj),
      labels: clone(rec(meta.labels) as Record<string, string>),
      annotations: {
        ...(rec(meta.annotations) as Record<string, string>),
        [SCHEDULED_TIMESTAMP]: rfc3339(scheduled),
      },
      ownerReferences: [ownerReference(cj, 'batch/v1', 'CronJob')],
    },
    spec: clone(rec(template.spec)),
  };
}

export function decideCronJob(cj: Obj, jobs: Obj[], now: number): CronJobPlan {
  const plan: CronJobPlan = { deleteJobs: [], status: {} };
  const prev = status(cj);
  const running = jobs.filter((j) => !jobState(j) && !isDeleting(j));
  let lastSuccessful = parseTime(prev.lastSuccessfulTime);
  for (const j of jobs) {
    const done = parseTime(status(j).completionTime);
    if (
      jobState(j) === 'Complete' &&
      done !== undefined &&
      (lastSuccessful === undefined || done > lastSuccessful)
    )
      lastSuccessful = done;
  }
  let lastSchedule = parseTime(prev.lastScheduleTime);

  // History: keep the newest N successful and failed jobs.
  for (const [state, field, fallback] of [
    ['Complete', 'successfulJobsHistoryLimit', 3],
    ['Failed', 'failedJobsHistoryLimit', 1],
  ] as const) {
    const limit = num(spec(cj)[field], fallback);
    const finished = jobs
      .filter((j) => jobState(j) === state && !isDeleting(j))
      .sort((a, b) => startOf(a) - startOf(b));
    plan.deleteJobs.push(...finished.slice(0, Math.max(0, finished.length - limit)));
  }

  let active = running;
  if (!isDeleting(cj) && spec(cj).suspend !== true) {
    const earliestBase = lastSchedule ?? creationTime(cj);
    const deadline = spec(cj).startingDeadlineSeconds;
    const earliest =
      typeof deadline === 'number' ? Math.max(earliestBase, now - deadline * 1000) : earliestBase;
    try {
      const times = scheduleTimes(
        str(spec(cj).schedule) ?? '',
        str(spec(cj).timeZone),
        earliest,
        now,
      );
      if (times.next !== undefined) plan.requeueAfterMs = times.next - now + 100;
      const due = times.due;
      const tooLate =
        due !== undefined && typeof deadline === 'number' && due + deadline * 1000 < now;
      const alreadyRun =
        due !== undefined && jobs.some((j) => name(j) === jobNameFor(name(cj), due));
      const policy = str(spec(cj).concurrencyPolicy) ?? 'Allow';
      if (due === undefined) {
        // nothing due yet
      } else if (tooLate) {
        plan.skipped = 'MissedDeadline';
      } else if (alreadyRun) {
        lastSchedule = Math.max(lastSchedule ?? 0, due);
      } else if (policy === 'Forbid' && running.length > 0) {
        plan.skipped = 'Forbid';
      } else {
        if (policy === 'Replace') {
          plan.deleteJobs.push(...running);
          active = [];
        }
        plan.createJob = newJobFor(cj, due);
        lastSchedule = due;
      }
    } catch (err) {
      plan.skipped = 'InvalidSchedule';
      plan.error = err instanceof Error ? err.message : String(err);
    }
  }

  // Keep existing references as they are, so a job's own updates do not rewrite the CronJob.
  const previousRefs = new Map(arr(prev.active).map((r) => [str(r.uid) ?? '', r]));
  plan.status = {
    ...(active.length ? { active: active.map((j) => previousRefs.get(uid(j)) ?? jobRef(j)) } : {}),
    ...(lastSchedule !== undefined ? { lastScheduleTime: rfc3339(lastSchedule) } : {}),
    ...(lastSuccessful !== undefined ? { lastSuccessfulTime: rfc3339(lastSuccessful) } : {}),
  };
  return plan;
}
