// Job controller: runs pods to completion and reports status; deletes finished jobs after their TTL.
import { GVR } from '../gvr.ts';
import {
  deleteIfExists,
  enqueueControllerOf,
  newQueue,
  createOwnedPod,
  deleteOwnedPod,
  recorder,
  writeStatus,
  type Controller,
  type ControllerContext,
} from '../runtime/context.ts';
import { objectKey, splitKey } from '../runtime/informer.ts';
import { findCondition, isControlledBy } from '../util/objects.ts';
import { inBatches } from '../util/pods.ts';
import { decideJob, isJobFinished, jobPod } from './decide.ts';

export interface JobControllerOptions {
  /** First pod re-creation delay after a failure; Kubernetes uses 10 s. */
  backoffBaseMs?: number;
}

export function jobController(ctx: ControllerContext, opts: JobControllerOptions = {}): Controller {
  const jobs = ctx.informers.for(GVR.jobs);
  const pods = ctx.informers.for(GVR.pods);
  const queue = newQueue(ctx, 'job', reconcile);
  const events = recorder(ctx, 'job-controller', 'batch/v1', 'Job');

  jobs.onEvent((_t, job) => queue.add(objectKey(job)));
  pods.onEvent(enqueueControllerOf(queue, 'Job'));

  async function reconcile(key: string) {
    const { namespace: ns, name: jobName } = splitKey(key);
    const job = jobs.get(ns, jobName);
    if (!job) return;
    const owned = pods.list(ns).filter((p) => isControlledBy(p, job));
    const plan = decideJob({
      job,
      pods: owned,
      now: ctx.clock.now(),
      backoffBaseMs: opts.backoffBaseMs,
    });
    if (plan.deleteJob) {
      await deleteIfExists(ctx.client, GVR.jobs, job, { propagationPolicy: 'Background' });
      return;
    }
    const waits: Promise<boolean>[] = [];
    if (plan.create > 0) {
      const indexes: (number | undefined)[] =
        plan.createIndexes ?? Array.from({ length: plan.create });
      await inBatches(indexes, 50, async (index) => {
        waits.push((await createOwnedPod(ctx, events, job, pods, jobPod(job, index))).synced);
      });
    }
    for (const pod of plan.deletePods)
      waits.push((await deleteOwnedPod(ctx, events, job, pods, pod)).synced);
    await Promise.all(waits);
    const written = await writeStatus(ctx.client, GVR.jobs, job, plan.status);
    const finished = written && !isJobFinished(job) ? isJobFinished(written) : undefined;
    if (finished?.type === 'Complete') events.record(job, 'Normal', 'Completed', 'Job completed');
    else if (finished) {
      const failed = findCondition(written ?? job, 'Failed');
      events.record(job, 'Warning', failed?.reason ?? 'Failed', failed?.message ?? 'Job failed');
    }
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  return {
    name: 'job',
    queue,
    start: () => {
      for (const job of jobs.list()) queue.add(objectKey(job));
    },
  };
}
