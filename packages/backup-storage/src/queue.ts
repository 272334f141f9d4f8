import { CronExpressionParser } from 'cron-parser';
import { DelayedError, Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Readable } from 'node:stream';
import { writeBackup } from './backup.ts';
import { latestBackup } from './catalog.ts';
import type { Compression } from './compression.ts';
import { BackupError, errorMessage, isBackupError, type BackupErrorCode } from './errors.ts';
import type {
  BackupJobKind,
  BackupJobResult,
  JobProgress,
  JobSnapshot,
  JobState,
} from './job-status.ts';
import { backupIdFor, validateBackupId, type BackupManifest } from './manifest.ts';
import { fetchBackupToFile, readManifest, requireManifest, verifyBackup } from './restore.ts';
import { applyRetention, type RetentionPolicy } from './retention.ts';
import type { StorageSpec } from './open-storage.ts';
import type { BackupStorage } from './storage.ts';
import { TargetLock, type LockRedis } from './target-lock.ts';

export const DEFAULT_QUEUE_NAME = 'opsmith-backup';

/** The Kubernetes object a job is for; its uid makes the job id, so enqueueing twice is harmless. */
export interface JobOwner {
  kind: string;
  name: string;
  namespace?: string;
  uid: string;
}

/**
 * Where the backups live. Only references travel through Redis, never credentials: the
 * worker's resolveStorage() reads the named Secret and opens the storage.
 */
export interface StorageRef extends StorageSpec {
  /** Name of the Secret with the S3 credentials (in the owner's namespace). */
  credentialsSecret?: string;
}

export interface EncryptionRef {
  secret: string;
  key?: string;
}

interface CommonJobData {
  owner: JobOwner;
  /** Concurrency key: one job per target at a time (e.g. "EtcdCluster/ns/name"). */
  target: string;
  storage: StorageRef;
  encryption?: EncryptionRef;
}

export interface BackupJobData extends CommonJobData {
  kind: 'backup';
  /** Fixed id; default <owner name>-<job creation time>, stable across retries. */
  backupId?: string;
  /** What is backed up (recorded in the manifest); defaults to the owner. */
  source?: { kind: string; name: string; namespace?: string; uid?: string };
  compression?: Compression;
  labels?: Record<string, string>;
  retention?: RetentionPolicy;
  /** Operator-specific parameters for openSource (endpoints, TLS Secret names, ...). */
  params?: Record<string, unknown>;
}

export interface RestoreFetchJobData extends CommonJobData {
  kind: 'restore-fetch';
  /** A backup id or "latest" (the newest complete backup). */
  backupId: string;
  destination: string;
}

export interface VerifyJobData extends CommonJobData {
  kind: 'verify';
  backupId: string;
}

export type BackupQueueJobData = BackupJobData | RestoreFetchJobData | VerifyJobData;

export interface QueueOptions {
  /**
   * Redis connection options (ioredis: host, port, username, password, db, tls, ...). The
   * package creates its own clients: BullMQ cannot load ioredis itself under native ESM.
   */
  connection: RedisOptions;
  queueName?: string;
  /** Redis key prefix (default "bull"). */
  prefix?: string;
  /** Attempts per job including the first (default 5) and the first backoff delay (default 5 s, doubling). */
  attempts?: number;
  backoffMs?: number;
  /**
   * Called on each Redis connection error (refused, auth, DNS, lost) and each error BullMQ
   * reports outside a job; both keep retrying on their own. Use it, or `connectionError`, to
   * surface the problem (e.g. as a status condition) instead of jobs silently not moving.
   */
  onError?: (err: Error) => void;
}

/**
 * Tracks the Redis connection's health for one side (queue or worker): the last error since the
 * connection was last ready. ioredis emits an error per failed attempt and reconnects by itself.
 */
class ConnectionHealth {
  error: Error | undefined;
  private last: Error | undefined;
  private readonly report: ((err: Error) => void) | undefined;

  constructor(redis: Redis, report?: (err: Error) => void) {
    this.report = report;
    redis.on('ready', () => {
      this.error = undefined;
    });
    redis.on('error', (err: Error) => {
      this.error = err;
      this.note(err);
    });
  }

  /** Reports an error (BullMQ re-emits its client's errors: each is reported once). */
  note(err: Error): void {
    if (err === this.last) return;
    this.last = err;
    try {
      this.report?.(err);
    } catch {
      // a throwing callback must not become an unhandled 'error' event
    }
  }
}

export function jobIdFor(kind: BackupJobKind, ownerUid: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(ownerUid))
    throw new BackupError(
      'InvalidArgument',
      `owner uid ${JSON.stringify(ownerUid)} is not a Kubernetes uid`,
    );
  return `${kind}-${ownerUid}`;
}

/** The raw ioredis commands used beside BullMQ's own (BullMQ types its client abstractly). */
type RawRedis = LockRedis & {
  exists(key: string): Promise<number>;
  set(key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>;
};

async function rawClient(owner: { backend: { client: Promise<unknown> } }): Promise<RawRedis> {
  return (await owner.backend.client) as RawRedis;
}

function cancelKey(prefix: string, queueName: string, jobId: string): string {
  return `${prefix}:${queueName}:opsmith-cancel:${jobId}`;
}

const TERMINAL: readonly BackupErrorCode[] = [
  'InvalidLocation',
  'InvalidArgument',
  'MissingSecretKey',
  'InvalidEncryptionKey',
  'NoSuchBucket',
  'AccessDenied',
  'NotFound',
  'IntegrityError',
  'DecryptionFailed',
  'Cancelled',
];

/** Producer side: enqueue, schedule, inspect and cancel jobs. Use from the operator's reconcilers. */
export class BackupQueue {
  readonly queue: Queue<BackupQueueJobData, BackupJobResult>;
  private readonly redis: Redis;
  private readonly opts: QueueOptions;
  private readonly prefix: string;
  private readonly name: string;
  private readonly health: ConnectionHealth;

  constructor(opts: QueueOptions) {
    this.opts = opts;
    this.prefix = opts.prefix ?? 'bull';
    this.name = opts.queueName ?? DEFAULT_QUEUE_NAME;
    this.redis = new Redis({ ...opts.connection, lazyConnect: false });
    this.health = new ConnectionHealth(this.redis, opts.onError);
    this.queue = new Queue(this.name, { connection: this.redis, prefix: this.prefix });
    // Calls fail with their own errors too; reported here, never unhandled events.
    this.queue.on('error', (err) => this.health.note(err));
  }

  /** The last Redis connection error since the connection was last ready, if any. */
  get connectionError(): Error | undefined {
    return this.health.error;
  }

  private jobOpts(jobId?: string) {
    return {
      ...(jobId ? { jobId } : {}),
      attempts: this.opts.attempts ?? 5,
      backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 5000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    };
  }

  /** Adds the job for this owner unless it already exists; returns its id either way. */
  async enqueue(data: BackupQueueJobData): Promise<string> {
    validateJobData(data);
    const jobId = jobIdFor(data.kind, data.owner.uid);
    await this.queue.add(data.kind, data, this.jobOpts(jobId));
    return jobId;
  }

  /**
   * Creates or updates a cron schedule (BullMQ job scheduler) that enqueues a backup each time it
   * fires, in the given IANA time zone. The id is usually the schedule resource's uid.
   */
  async schedule(
    schedulerId: string,
    cron: { pattern: string; timeZone?: string },
    data: BackupJobData,
  ): Promise<Date> {
    validateJobData(data);
    const next = nextRun(cron.pattern, cron.timeZone);
    await this.queue.upsertJobScheduler(
      schedulerId,
      { pattern: cron.pattern, ...(cron.timeZone ? { tz: cron.timeZone } : {}) },
      { name: 'backup', data, opts: this.jobOpts() },
    );
    return next;
  }

  async unschedule(schedulerId: string): Promise<void> {
    await this.queue.removeJobScheduler(schedulerId);
  }

  async getJob(jobId: string): Promise<JobSnapshot | undefined> {
    // State first, then the job: BullMQ finishes a job atomically, so a finished state read
    // first always comes with the job's final fields (the other order can pair stale ones).
    const state = (await this.queue.getJobState(jobId)) as JobState;
    const job = await Job.fromId<BackupQueueJobData, BackupJobResult>(this.queue, jobId);
    const client = await rawClient(this.queue);
    const cancelled = (await client.exists(cancelKey(this.prefix, this.name, jobId))) === 1;
    if (!job) {
      // Removed by cancel() before it ran: still report it as cancelled.
      const kind = (['restore-fetch', 'backup', 'verify'] as const).find((k) =>
        jobId.startsWith(`${k}-`),
      );
      return cancelled && kind
        ? { id: jobId, kind, state: 'cancelled', attemptsMade: 0, attempts: 0 }
        : undefined;
    }
    return snapshotOf(job, state, cancelled);
  }

  /**
   * Cancels a job: a queued one is removed, a running one is aborted by its worker (which
   * deletes nothing it finished and writes no manifest). Works across processes.
   */
  async cancel(jobId: string): Promise<void> {
    const client = await rawClient(this.queue);
    await client.set(cancelKey(this.prefix, this.name, jobId), '1', 'EX', 7 * 24 * 3600);
    const job = await Job.fromId(this.queue, jobId);
    if (!job) return;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      await job.remove().catch(() => undefined); // it may have just become active: the worker sees the flag
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export function nextRun(pattern: string, timeZone?: string, from = new Date()): Date {
  try {
    return CronExpressionParser.parse(pattern, {
      currentDate: from,
      ...(timeZone ? { tz: timeZone } : {}),
    })
      .next()
      .toDate();
  } catch (err) {
    throw new BackupError(
      'InvalidArgument',
      `invalid schedule ${JSON.stringify(pattern)}${timeZone ? ` in time zone ${timeZone}` : ''}: ${errorMessage(err)}`,
    );
  }
}

function validateJobData(d: BackupQueueJobData): void {
  if (!d.owner?.uid || !d.owner.name || !d.owner.kind)
    throw new BackupError('InvalidArgument', 'job owner needs kind, name and uid');
  if (!d.target)
    throw new BackupError('InvalidArgument', 'job target (concurrency key) is required');
  if (!d.storage?.location)
    throw new BackupError('InvalidArgument', 'job storage.location is required');
  if (d.kind === 'backup' && d.backupId !== undefined) validateBackupId(d.backupId);
  if (d.kind !== 'backup' && d.backupId !== 'latest') validateBackupId(d.backupId);
  if (d.kind === 'restore-fetch' && !d.destination)
    throw new BackupError('InvalidArgument', 'restore-fetch job needs a destination path');
}

function snapshotOf(
  job: Job<BackupQueueJobData, BackupJobResult>,
  state: JobState,
  cancelled: boolean,
): JobSnapshot {
  const p = job.progress as Partial<JobProgress> | number | undefined;
  return {
    id: job.id ?? '',
    kind: job.data.kind,
    state: cancelled && state !== 'completed' && state !== 'active' ? 'cancelled' : state,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    ...(typeof p === 'object' && typeof p.bytes === 'number' ? { progress: p as JobProgress } : {}),
    ...(state === 'completed' && job.returnvalue ? { result: job.returnvalue } : {}),
    ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    ...(job.processedOn ? { startedAt: new Date(job.processedOn) } : {}),
    ...(job.finishedOn ? { finishedAt: new Date(job.finishedOn) } : {}),
  };
}

/** What an operator plugs into the worker: how to reach storage and how to produce backup bytes. */
export interface WorkerHandlers {
  resolveStorage(data: BackupQueueJobData): Promise<BackupStorage>;
  /** The encryption key for data.encryption (read from the named Secret). */
  resolveEncryptionKey?(data: BackupQueueJobData): Promise<Buffer | undefined>;
  /** Opens the stream of bytes to back up (e.g. an etcd snapshot). Called once per attempt. */
  openSource?(
    data: BackupJobData,
    ctx: { signal: AbortSignal; backupId: string },
  ): Promise<{
    stream: Readable;
    position?: string;
    application?: { name: string; version?: string };
  }>;
}

export interface WorkerOptions extends QueueOptions {
  handlers: WorkerHandlers;
  /** Jobs this process runs at once (default 2); targets are further limited to one at a time. */
  concurrency?: number;
  /** BullMQ lock and stalled-job check: a killed worker's job is retried after about these (ms). */
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
  /** How long a per-target lock outlives a dead holder (default 60 s) and the re-check delay when busy. */
  targetLockTtlMs?: number;
  targetBusyDelayMs?: number;
  cancelPollMs?: number;
  progressIntervalMs?: number;
  /** Don't start processing until run() (default: start at once). */
  autorun?: boolean;
}

/** Consumer side: a BullMQ worker that runs backup, restore-fetch and verify jobs. Embed it or run it alone. */
export class BackupWorker {
  readonly worker: Worker<BackupQueueJobData, BackupJobResult>;
  private readonly redis: Redis;
  private readonly opts: WorkerOptions;
  private readonly prefix: string;
  private readonly name: string;
  private readonly health: ConnectionHealth;

  constructor(opts: WorkerOptions) {
    this.opts = opts;
    this.prefix = opts.prefix ?? 'bull';
    this.name = opts.queueName ?? DEFAULT_QUEUE_NAME;
    // Workers block on Redis and must retry forever across Redis restarts (BullMQ requires null here).
    this.redis = new Redis({ ...opts.connection, maxRetriesPerRequest: null });
    this.health = new ConnectionHealth(this.redis, opts.onError);
    this.worker = new Worker<BackupQueueJobData, BackupJobResult>(
      this.name,
      (job, token, signal) => this.process(job, token, signal),
      {
        connection: this.redis,
        prefix: this.prefix,
        concurrency: opts.concurrency ?? 2,
        lockDuration: opts.lockDuration ?? 30_000,
        stalledInterval: opts.stalledInterval ?? 30_000,
        maxStalledCount: opts.maxStalledCount ?? 2,
        autorun: opts.autorun ?? true,
      },
    );
    // Mostly connection errors (ioredis reconnects by itself); reported, never unhandled.
    this.worker.on('error', (err) => this.health.note(err));
  }

  /** The last Redis connection error since the connection was last ready, if any. */
  get connectionError(): Error | undefined {
    return this.health.error;
  }

  run(): Promise<void> {
    return this.worker.run();
  }

  async close(force = false): Promise<void> {
    await this.worker.close(force);
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async process(
    job: Job<BackupQueueJobData, BackupJobResult>,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<BackupJobResult> {
    const jobId = job.id ?? '';
    const redis = await rawClient(this.worker);
    const ckey = cancelKey(this.prefix, this.name, jobId);
    if ((await redis.exists(ckey)) === 1)
      throw new UnrecoverableError('Cancelled: cancelled before it started');
    const ac = new AbortController();
    // Losing the target lock mid-run means another job may start on the target: stop, retry later.
    const lock = new TargetLock(
      redis,
      `${this.prefix}:${this.name}:opsmith-target:${job.data.target}`,
      jobId,
      this.opts.targetLockTtlMs ?? 60_000,
      () =>
        ac.abort(
          new BackupError('Unavailable', `lost the lock on target ${job.data.target}; retrying`),
        ),
    );
    if (!(await lock.acquire())) {
      // Another job holds this target: wait without using up an attempt.
      await job.moveToDelayed(Date.now() + (this.opts.targetBusyDelayMs ?? 2000), token);
      throw new DelayedError();
    }
    const onAbort = () => ac.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const poll = setInterval(() => {
      redis
        .exists(ckey)
        .then((n) => {
          if (n === 1) ac.abort(new BackupError('Cancelled', 'cancelled'));
        })
        .catch(() => undefined);
    }, this.opts.cancelPollMs ?? 1000);
    try {
      return await this.run1(job, ac.signal);
    } catch (err) {
      if (ac.signal.aborted) {
        const reason: unknown = ac.signal.reason;
        if (isBackupError(reason, 'Unavailable')) throw new Error(`Unavailable: ${reason.message}`);
        throw new UnrecoverableError('Cancelled: the job was cancelled');
      }
      // Unclassified errors (e.g. from the operator's source) keep their own message.
      const code = err instanceof BackupError ? err.code : 'Error';
      const text = `${code}: ${errorMessage(err)}`;
      if (
        err instanceof BackupError &&
        TERMINAL.includes(err.code) &&
        !(job.data.kind === 'backup' && err.code === 'NotFound')
      )
        throw new UnrecoverableError(text);
      throw new Error(text);
    } finally {
      clearInterval(poll);
      signal?.removeEventListener('abort', onAbort);
      await lock.release();
    }
  }

  private progressReporter(
    job: Job<BackupQueueJobData, BackupJobResult>,
  ): (p: JobProgress) => void {
    let last = 0;
    return (p) => {
      const now = Date.now();
      if (now - last < (this.opts.progressIntervalMs ?? 1000)) return;
      last = now;
      job.updateProgress(p).catch(() => undefined);
    };
  }

  private async run1(
    job: Job<BackupQueueJobData, BackupJobResult>,
    signal: AbortSignal,
  ): Promise<BackupJobResult> {
    const { handlers } = this.opts;
    const data = job.data;
    const storage = await handlers.resolveStorage(data);
    const key = data.encryption ? await handlers.resolveEncryptionKey?.(data) : undefined;
    if (data.encryption && !key)
      throw new BackupError(
        'InvalidEncryptionKey',
        `no encryption key resolved for Secret ${data.encryption.secret}`,
      );
    const report = this.progressReporter(job);
    switch (data.kind) {
      case 'backup': {
        if (!handlers.openSource)
          throw new BackupError(
            'InvalidArgument',
            'this worker has no openSource handler for backups',
          );
        const backupId = data.backupId ?? backupIdFor(data.owner.name, new Date(job.timestamp));
        // A previous attempt may have finished just before its worker died: reuse it.
        const done = await readManifest(storage, backupId);
        if (done) return resultOf(storage, done);
        const src = await handlers.openSource(data, { signal, backupId });
        const manifest = await writeBackup(storage, src.stream, {
          id: backupId,
          source: data.source ?? {
            kind: data.owner.kind,
            name: data.owner.name,
            namespace: data.owner.namespace,
            uid: data.owner.uid,
          },
          ...(src.application ? { application: src.application } : {}),
          ...(src.position !== undefined ? { position: src.position } : {}),
          ...(data.labels ? { labels: data.labels } : {}),
          compression: data.compression ?? 'zstd',
          ...(key ? { encryption: { key } } : {}),
          signal,
          onProgress: (p) =>
            report({ bytes: p.rawBytes, storedBytes: p.storedBytes, phase: p.phase }),
        });
        const result = resultOf(storage, manifest);
        if (data.retention) {
          try {
            result.retentionDeleted = (await applyRetention(storage, data.retention)).delete;
          } catch (err) {
            result.retentionError = errorMessage(err);
          }
        }
        return result;
      }
      case 'verify': {
        const m = await verifyBackup(storage, data.backupId, {
          key,
          signal,
          record: true, // under the target lock: no retention run deletes it meanwhile
          onProgress: (bytes) => report({ bytes, phase: 'verifying' }),
        });
        return resultOf(storage, m);
      }
      case 'restore-fetch': {
        const m =
          data.backupId === 'latest'
            ? await latestBackup(storage)
            : await requireManifest(storage, data.backupId);
        if (!m) throw new BackupError('NotFound', `no complete backup in ${storage.url}`);
        await fetchBackupToFile(storage, m, data.destination, {
          key,
          signal,
          onProgress: (bytes) => report({ bytes, phase: 'fetching' }),
        });
        return { ...resultOf(storage, m), destination: data.destination };
      }
    }
  }
}

function resultOf(storage: BackupStorage, m: BackupManifest): BackupJobResult {
  return {
    backupId: m.id,
    location: `${storage.url}/${m.id}`,
    size: m.size,
    compressedSize: m.compressedSize,
    sha256: m.sha256,
    rawSha256: m.rawSha256,
    ...(m.position !== undefined ? { position: m.position } : {}),
    completedAt: m.completedAt,
    verified: m.verifiedAt !== undefined,
  };
}
