// The EtcdBackup controller. One-shot backups are one queue job (id from the EtcdBackup's uid);
// scheduled ones are a BullMQ job scheduler (id = the uid; each run a job of its own, with the
// retention applied by the worker after success). Without a queue (no --redis-url) backups are
// not run: the resource says so in a condition, and EtcdClusters are unaffected.
import {
  isBackupError,
  listBackups,
  readManifest,
  type BackupJobData,
  type JobSnapshot,
} from '@opsmith/backup-storage';
import {
  isNotFound,
  objectKey,
  type Controller,
  type KubeClient,
  type KubeObject,
  type Logger,
  type Manager,
  type Predicate,
} from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../api/types.ts';
import type { ActEvents } from '../cluster/act.ts';
import {
  backupRecord,
  backupSchedule,
  oneShotStatus,
  problemDelayMs,
  problemStatus,
  scheduledStatus,
  scheduleKey,
} from './plan.ts';
import { ETCD_CLUSTER_TYPE, type BackupRuntime } from './runtime.ts';
import { openLocation, storageRef } from './storage.ts';
import { ETCD_BACKUP, type EtcdBackup, type EtcdBackupStatus } from './types.ts';

export const BACKUP_FINALIZER = 'etcd.opsmith.io/backup-schedule';
const ANNOTATION_SCHEDULE = 'etcd.opsmith.io/registered-schedule';
const POLL_RUNNING_MS = 2000;
const STEADY_MS = 60_000;

export interface BackupReconcilerDeps {
  kube: KubeClient;
  backups: { getByName(name: string, namespace?: string): EtcdBackup | undefined };
  clusters: { getByName(name: string, namespace?: string): EtcdCluster | undefined };
  runtime: BackupRuntime | undefined;
  events: ActEvents;
  logger?: Logger;
}

export class BackupReconciler {
  readonly #d: BackupReconcilerDeps;
  /** Consecutive runtime problems per backup, for the backoff (in memory: a restart retries sooner). */
  readonly #failures = new Map<string, number>();

  constructor(d: BackupReconcilerDeps) {
    this.#d = d;
  }

  async reconcile(namespace: string, name: string): Promise<number | undefined> {
    const b = this.#d.backups.getByName(name, namespace);
    if (!b) return undefined;
    const key = `${namespace}/${name}`;
    const q = this.#d.runtime;
    const sched = backupSchedule(b.spec);
    if (b.metadata.deletionTimestamp) {
      if (q && b.metadata.uid) await q.queue.unschedule(b.metadata.uid);
      await this.#removeFinalizer(b);
      return undefined;
    }
    if (!q) {
      return await this.#problem(
        b,
        key,
        'QueueUnavailable',
        'the operator runs without a Redis URL; backups run through the BullMQ queue: start it with --redis-url=redis://host:6379 (or REDIS_URL)',
        STEADY_MS * 5,
      );
    }
    if (!b.metadata.uid) return undefined;
    const cluster = this.#d.clusters.getByName(b.spec.clusterName, namespace);
    if (!cluster) {
      return await this.#problem(
        b,
        key,
        'ClusterNotFound',
        `EtcdCluster ${namespace}/${b.spec.clusterName} does not exist; create it or fix spec.clusterName`,
      );
    }
    try {
      if (sched.kind === 'once') return await this.#oneShot(b, key);
      return await this.#scheduled(b, key, sched);
    } catch (err) {
      if (isBackupError(err)) {
        return await this.#problem(b, key, err.code, err.message);
      }
      throw err;
    }
  }

  #jobData(b: EtcdBackup): BackupJobData {
    return {
      kind: 'backup',
      owner: {
        kind: 'EtcdBackup',
        name: b.metadata.name,
        namespace: b.metadata.namespace,
        uid: b.metadata.uid ?? '',
      },
      target: `EtcdCluster/${b.metadata.namespace}/${b.spec.clusterName}`,
      storage: storageRef(b.spec.destination),
      source: {
        kind: 'EtcdCluster',
        name: b.spec.clusterName,
        namespace: b.metadata.namespace,
        ...(this.#d.clusters.getByName(b.spec.clusterName, b.metadata.namespace)?.metadata.uid
          ? {
              uid: this.#d.clusters.getByName(b.spec.clusterName, b.metadata.namespace)?.metadata
                .uid,
            }
          : {}),
      },
      labels: {
        'etcd.opsmith.io/backup': b.metadata.name,
        'etcd.opsmith.io/cluster': b.spec.clusterName,
      },
      ...(b.spec.retention ? { retention: { keepLast: b.spec.retention.maxBackups } } : {}),
      params: { cluster: b.spec.clusterName, timeoutSeconds: b.spec.timeoutSeconds ?? 600 },
    };
  }

  /** Bad input shows before anything is queued: the Secret and the bucket are checked first. */
  async #checkDestination(b: EtcdBackup): Promise<void> {
    const storage = await openLocation(
      this.#d.kube,
      b.metadata.namespace,
      storageRef(b.spec.destination),
    );
    await storage.check();
  }

  async #oneShot(b: EtcdBackup, key: string): Promise<number | undefined> {
    const q = this.#d.runtime as BackupRuntime;
    const jobId = `backup-${b.metadata.uid}`;
    let job = await q.queue.getJob(jobId);
    if (!job) {
      if (b.status?.phase === 'Succeeded' || b.status?.phase === 'Failed') return undefined; // job expired
      await this.#checkDestination(b);
      await q.queue.enqueue(this.#jobData(b));
      await this.#event(b, 'normal', 'BackupQueued', `backup of ${b.spec.clusterName} queued`);
      job = await q.queue.getJob(jobId);
    }
    this.#failures.delete(key);
    const record = job?.result
      ? backupRecord(job.result, job, await this.#facts(b, job))
      : undefined;
    const status = oneShotStatus(job, b.status ?? {}, b.metadata.generation, record);
    const before = b.status?.phase;
    await this.#patchStatus(b, status);
    if (status.phase !== before && (status.phase === 'Succeeded' || status.phase === 'Failed')) {
      const msg =
        status.conditions?.find(
          (c) => c.type === (status.phase === 'Succeeded' ? 'Succeeded' : 'Failed'),
        )?.message ?? '';
      await this.#event(
        b,
        status.phase === 'Succeeded' ? 'normal' : 'warning',
        `Backup${status.phase}`,
        msg,
      );
    }
    return status.phase === 'Succeeded' || status.phase === 'Failed' ? undefined : POLL_RUNNING_MS;
  }

  async #scheduled(
    b: EtcdBackup,
    key: string,
    sched: Exclude<ReturnType<typeof backupSchedule>, { kind: 'once' }>,
  ): Promise<number> {
    const q = this.#d.runtime as BackupRuntime;
    const uid = b.metadata.uid ?? '';
    if (!b.metadata.finalizers?.includes(BACKUP_FINALIZER)) {
      await this.#d.kube.patch(ETCD_BACKUP, b.metadata.name, b.metadata.namespace, 'merge', {
        metadata: { finalizers: [...(b.metadata.finalizers ?? []), BACKUP_FINALIZER] },
      });
    }
    const suspended = Boolean(b.spec.suspend);
    const wanted = suspended ? 'suspended' : scheduleKey(b.spec);
    const registered = b.metadata.annotations?.[ANNOTATION_SCHEDULE];
    const existing = await q.queue.queue.getJobScheduler(uid);
    if (suspended && existing) {
      await q.queue.unschedule(uid);
      await this.#event(b, 'normal', 'ScheduleSuspended', 'scheduled backups suspended');
    } else if (!suspended && (!existing || registered !== wanted)) {
      await this.#checkDestination(b);
      const data = this.#jobData(b);
      if (sched.kind === 'cron') {
        await q.queue.schedule(
          uid,
          { pattern: sched.pattern, ...(sched.timeZone ? { timeZone: sched.timeZone } : {}) },
          data,
        );
      } else {
        // BackupQueue.schedule takes cron patterns only; a fixed interval goes to BullMQ directly
        // with the same job options.
        await q.queue.queue.upsertJobScheduler(
          uid,
          { every: sched.everyMs },
          {
            name: 'backup',
            data,
            opts: {
              attempts: 3,
              backoff: { type: 'exponential', delay: 2000 },
              removeOnComplete: { age: 7 * 24 * 3600 },
              removeOnFail: { age: 30 * 24 * 3600 },
            },
          },
        );
      }
      await this.#event(
        b,
        'normal',
        'ScheduleRegistered',
        `backups of ${b.spec.clusterName} scheduled: ${b.spec.schedule}${b.spec.timeZone ? ` (${b.spec.timeZone})` : ''}`,
      );
    }
    if (registered !== wanted) {
      await this.#d.kube.patch(ETCD_BACKUP, b.metadata.name, b.metadata.namespace, 'merge', {
        metadata: { annotations: { [ANNOTATION_SCHEDULE]: wanted } },
      });
    }
    this.#failures.delete(key);
    const jobs = await this.#jobsOf(uid);
    const latest = jobs[0];
    const lastOk = jobs.find((j) => j.state === 'completed' && j.result);
    const lastSuccess =
      lastOk?.result && lastOk.result.location !== b.status?.lastBackup?.key
        ? { job: lastOk, record: backupRecord(lastOk.result, lastOk, await this.#facts(b, lastOk)) }
        : undefined;
    let backups = b.status?.backups;
    if (lastSuccess) {
      const storage = await openLocation(
        this.#d.kube,
        b.metadata.namespace,
        storageRef(b.spec.destination),
      );
      backups = (await listBackups(storage)).length;
      await this.#event(
        b,
        'normal',
        'BackupSucceeded',
        `backup ${lastSuccess.record.key} complete: revision ${lastSuccess.record.revision}, ${lastSuccess.record.size} bytes`,
      );
    }
    const next = (await q.queue.queue.getJobScheduler(uid))?.next;
    const status = scheduledStatus({
      prev: b.status ?? {},
      generation: b.metadata.generation,
      suspended,
      latest,
      lastSuccess,
      nextRun: next ? new Date(next) : undefined,
      backups,
    });
    await this.#patchStatus(b, status);
    if (latest?.state === 'active') return POLL_RUNNING_MS;
    return next
      ? Math.max(POLL_RUNNING_MS, Math.min(STEADY_MS, next - Date.now() + 500))
      : STEADY_MS;
  }

  /** This owner's jobs, newest first (the worker reports finished ones right away too). */
  async #jobsOf(uid: string): Promise<JobSnapshot[]> {
    const q = this.#d.runtime as BackupRuntime;
    const jobs = await q.queue.queue.getJobs(['active', 'completed', 'failed'], 0, 200);
    const mine = jobs
      .filter((j) => (j.data as BackupJobData | undefined)?.owner?.uid === uid && j.id)
      .sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0));
    const out: JobSnapshot[] = [];
    for (const j of mine.slice(0, 20)) {
      const s = await q.queue.getJob(j.id ?? '');
      if (s) out.push(s);
    }
    return out;
  }

  async #facts(
    b: EtcdBackup,
    job: JobSnapshot,
  ): Promise<{ etcdVersion?: string; member?: string }> {
    const r = job.result;
    if (!r) return {};
    const member = this.#d.runtime?.members.get(r.backupId);
    try {
      const storage = await openLocation(
        this.#d.kube,
        b.metadata.namespace,
        storageRef(b.spec.destination),
      );
      const m = await readManifest(storage, r.backupId);
      return {
        ...(m?.application?.version ? { etcdVersion: m.application.version } : {}),
        ...(member ? { member } : {}),
      };
    } catch {
      return member ? { member } : {};
    }
  }

  async #problem(
    b: EtcdBackup,
    key: string,
    reason: string,
    message: string,
    delay?: number,
  ): Promise<number> {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    const prevReason = b.status?.conditions?.find((c) => c.type === 'Ready')?.reason;
    await this.#patchStatus(
      b,
      problemStatus(b.status ?? {}, b.metadata.generation, reason, message),
    );
    if (prevReason !== reason) await this.#event(b, 'warning', reason, message);
    this.#d.logger?.warn({ backup: key, reason }, 'backup blocked');
    return delay ?? problemDelayMs(n);
  }

  async #event(
    b: EtcdBackup,
    type: 'normal' | 'warning',
    reason: string,
    note: string,
  ): Promise<void> {
    await this.#d.events[type](b as unknown as KubeObject, reason, 'backup', note).catch(
      () => undefined,
    );
  }

  async #removeFinalizer(b: EtcdBackup): Promise<void> {
    const rest = (b.metadata.finalizers ?? []).filter((f) => f !== BACKUP_FINALIZER);
    if (rest.length === (b.metadata.finalizers ?? []).length) return;
    try {
      await this.#d.kube.patch(ETCD_BACKUP, b.metadata.name, b.metadata.namespace, 'merge', {
        metadata: { finalizers: rest.length ? rest : null },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #patchStatus(b: EtcdBackup, status: EtcdBackupStatus): Promise<void> {
    if (JSON.stringify({ ...b.status, ...status }) === JSON.stringify(b.status ?? {})) return;
    try {
      await this.#d.kube.patch(
        ETCD_BACKUP,
        b.metadata.name,
        b.metadata.namespace,
        'merge',
        { status },
        { subresource: 'status' },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Spec changes and deletion only: the controller's own status writes must not wake it. */
const specOrDeletion: Predicate = {
  update: (o, n) =>
    o.metadata?.generation !== n.metadata?.generation ||
    (!o.metadata?.deletionTimestamp && Boolean(n.metadata?.deletionTimestamp)),
};

export interface EtcdBackupControllerOptions {
  runtime: BackupRuntime | undefined;
  events?: ActEvents;
}

export function addEtcdBackupController(
  mgr: Manager,
  o: EtcdBackupControllerOptions,
): { controller: Controller; reconciler: BackupReconciler } {
  const backups = mgr.informers.informerFor<EtcdBackup & KubeObject>(ETCD_BACKUP);
  const clusters = mgr.informers.informerFor<EtcdCluster & KubeObject>(ETCD_CLUSTER_TYPE);
  const reconciler = new BackupReconciler({
    kube: mgr.client,
    backups,
    clusters,
    runtime: o.runtime,
    events: o.events ?? mgr.eventRecorder('etcd.opsmith.io/etcd-backup'),
    logger: mgr.logger,
  });
  const controller = mgr
    .controller('etcdbackup')
    .for(ETCD_BACKUP, { predicates: [specOrDeletion] })
    .withOptions({ maxConcurrentReconciles: 2, reconcileTimeoutMs: 60_000 })
    .complete(async (req) => {
      const after = await reconciler.reconcile(req.namespace ?? '', req.name);
      return after ? { requeueAfter: after } : undefined;
    });
  return { controller, reconciler };
}

/** Reconcile an EtcdBackup as soon as its job moves (wired to BackupRuntime.onJobFinished). */
export function backupNotifier(controller: () => Controller | undefined) {
  return (owner: { name: string; namespace?: string }) => {
    controller()?.queue.add(objectKey(owner));
  };
}
