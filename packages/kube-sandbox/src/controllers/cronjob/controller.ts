// CronJob controller: creates Jobs on schedule (clock-driven, so tests can move time), enforces the
// concurrency policy and history limits, and reports status.
import { GVR } from '../gvr.ts';
import {
  createIfAbsent,
  deleteIfExists,
  enqueueControllerOf,
  newQueue,
  recorder,
  writeStatus,
  type Controller,
  type ControllerContext,
} from '../runtime/context.ts';
import { objectKey, splitKey } from '../runtime/informer.ts';
import { arr, isControlledBy, name } from '../util/objects.ts';
import { decideCronJob, jobRef } from './decide.ts';

export function cronJobController(ctx: ControllerContext): Controller {
  const cronJobs = ctx.informers.for(GVR.cronJobs);
  const jobs = ctx.informers.for(GVR.jobs);
  const queue = newQueue(ctx, 'cronjob', reconcile);
  const events = recorder(ctx, 'cronjob-controller', 'batch/v1', 'CronJob');
  // Invalid schedules are reported once, not on every resync.
  const reportedErrors = new Set<string>();

  cronJobs.onEvent((_t, cj) => queue.add(objectKey(cj)));
  jobs.onEvent(enqueueControllerOf(queue, 'CronJob'));

  async function reconcile(key: string) {
    const { namespace: ns, name: cjName } = splitKey(key);
    const cj = cronJobs.get(ns, cjName);
    if (!cj) return;
    const owned = jobs.list(ns).filter((j) => isControlledBy(j, cj));
    const plan = decideCronJob(cj, owned, ctx.clock.now());
    if (plan.error) {
      ctx.log.error(`cronjob ${key}: ${plan.error}`);
      if (!reportedErrors.has(key)) events.record(cj, 'Warning', 'InvalidSchedule', plan.error);
      reportedErrors.add(key);
    } else reportedErrors.delete(key);
    for (const job of plan.deleteJobs) {
      await deleteIfExists(ctx.client, GVR.jobs, job, { propagationPolicy: 'Background' });
      events.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name(job)}`);
    }
    if (plan.createJob) {
      const created = await createIfAbsent(ctx.client, GVR.jobs, plan.createJob);
      if (created) {
        await jobs.waitForWrite(created);
        events.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${name(created)}`);
        plan.status.active = [...arr(plan.status.active), jobRef(created)];
      }
    }
    await writeStatus(ctx.client, GVR.cronJobs, cj, plan.status);
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  return {
    name: 'cronjob',
    queue,
    start: () => {
      for (const cj of cronJobs.list()) queue.add(objectKey(cj));
    },
  };
}
