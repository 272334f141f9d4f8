import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupQueue,
  BackupWorker,
  dataKey,
  requireManifest,
  jobToResourceStatus,
  listBackups,
  nextRun,
  openStorage,
  S3Storage,
  verifyBackup,
  type BackupJobData,
  type JobSnapshot,
  type WorkerHandlers,
  type WorkerOptions,
} from '../src/index.ts';
import { sha256Of, generated } from './support/data.ts';
import { testHandlers, type TestSourceParams } from './support/handlers.ts';
import {
  freePort,
  S3RVER_CREDENTIALS,
  startRedis,
  startS3Server,
  stopProcess,
  tempDir,
  waitForLine,
  type RedisServer,
  type S3Server,
} from './support/processes.ts';

let redis: RedisServer;
let s3: S3Server;
let dir: string;
const secrets = {
  's3-creds': {
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  },
  'half-secret': { AWS_ACCESS_KEY_ID: 'S3RVER' },
};

beforeAll(async () => {
  [redis, s3, dir] = await Promise.all([
    startRedis(),
    startS3Server(['queue-tests']),
    tempDir('queue'),
  ]);
});
afterAll(async () => {
  await Promise.all([
    redis?.stop(),
    s3?.stop(),
    dir ? rm(dir, { recursive: true, force: true }) : undefined,
  ]);
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

let seq = 0;
function setup(workerOpts: Partial<WorkerOptions> = {}, withWorker = true) {
  const queueName = `q${++seq}-${randomBytes(3).toString('hex')}`;
  const prefix = `run${seq}`;
  const queue = new BackupQueue({
    connection: redis.connection,
    queueName,
    attempts: 4,
    backoffMs: 200,
  });
  const handlers = testHandlers(secrets);
  const worker = withWorker
    ? new BackupWorker({
        connection: redis.connection,
        queueName,
        handlers,
        concurrency: 2,
        progressIntervalMs: 50,
        cancelPollMs: 100,
        targetBusyDelayMs: 200,
        ...workerOpts,
      })
    : undefined;
  cleanups.push(async () => {
    await worker?.close(true);
    await queue.close();
  });
  const storage = new S3Storage({
    bucket: 'queue-tests',
    prefix,
    endpoint: s3.endpoint,
    credentials: S3RVER_CREDENTIALS,
  });
  const job = (
    uid: string,
    params: TestSourceParams,
    extra: Partial<BackupJobData> = {},
  ): BackupJobData => ({
    kind: 'backup',
    owner: { kind: 'EtcdBackup', name: `backup-${uid}`, namespace: 'db', uid },
    target: 'EtcdCluster/db/main',
    storage: {
      location: `s3://queue-tests/${prefix}`,
      endpoint: s3.endpoint,
      credentialsSecret: 's3-creds',
    },
    params: params as unknown as Record<string, unknown>,
    ...extra,
  });
  return { queue, worker, handlers, storage, job, queueName, prefix };
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const finished = (queue: BackupQueue, id: string, timeoutMs?: number) =>
  waitFor<JobSnapshot>(
    `job ${id} to finish`,
    async () => {
      const s = await queue.getJob(id);
      return s && ['completed', 'failed', 'cancelled'].includes(s.state) ? s : undefined;
    },
    timeoutMs,
  );

describe('backup job queue', () => {
  it('runs a backup once per owner uid, reports byte progress and maps the result onto a status', async () => {
    const { queue, worker, storage, job } = setup();
    const progress: number[] = [];
    worker?.worker.on('progress', (_j, p) => progress.push((p as { bytes: number }).bytes));
    const data = job('11111111-aaaa-4bbb-8ccc-000000000001', {
      size: 6 * 1024 * 1024,
      bytesPerSecond: 30 * 1024 * 1024,
    });
    const id1 = await queue.enqueue(data);
    const id2 = await queue.enqueue(data);
    expect(id1).toBe('backup-11111111-aaaa-4bbb-8ccc-000000000001');
    expect(id2).toBe(id1);
    const snap = await finished(queue, id1);
    expect(snap.state).toBe('completed');
    const status = jobToResourceStatus(snap);
    expect(status.phase).toBe('Succeeded');
    expect(status.result).toMatchObject({
      size: 6 * 1024 * 1024,
      verified: true,
      position: 'revision=6291456',
    });
    expect(status.result?.location).toMatch(
      /^s3:\/\/queue-tests\/run\d+\/backup-11111111-.*-\d{8}T\d{6}Z$/,
    );
    expect(status.conditions.find((c) => c.type === 'Succeeded')).toMatchObject({
      status: 'True',
      reason: 'Completed',
    });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBeGreaterThan(0);
    const backups = await listBackups(storage);
    expect(backups.map((b) => b.id)).toEqual([status.result?.backupId]);
    expect(backups[0]?.source).toMatchObject({ kind: 'EtcdBackup', uid: data.owner.uid });
    // Enqueueing again after completion changes nothing.
    await queue.enqueue(data);
    expect((await queue.queue.getJobCounts('waiting', 'active', 'completed')).completed).toBe(1);
  });

  it('retries transient failures with backoff and records the attempts', async () => {
    const { queue, job, handlers } = setup();
    const id = await queue.enqueue(
      job('11111111-aaaa-4bbb-8ccc-000000000002', { size: 1000, failTimes: 2 }),
    );
    const snap = await finished(queue, id);
    expect(snap.state).toBe('completed');
    expect([...handlers.opened.values()]).toEqual([3]);
    expect(snap.attemptsMade).toBeGreaterThanOrEqual(2);
  });

  it('fails at once, with the reason, on bad input: missing bucket, missing Secret key', async () => {
    const { queue, job } = setup();
    const noBucket = job('11111111-aaaa-4bbb-8ccc-000000000003', { size: 10 });
    noBucket.storage = { ...noBucket.storage, location: 's3://no-such-bucket/x' };
    const halfSecret = job('11111111-aaaa-4bbb-8ccc-000000000004', { size: 10 });
    halfSecret.storage = { ...halfSecret.storage, credentialsSecret: 'half-secret' };
    const [a, b] = await Promise.all([
      finished(queue, await queue.enqueue(noBucket)),
      finished(queue, await queue.enqueue(halfSecret)),
    ]);
    const sa = jobToResourceStatus(a);
    expect(sa.phase).toBe('Failed');
    expect(a.attemptsMade).toBe(1);
    expect(sa.conditions.find((c) => c.type === 'Failed')).toMatchObject({
      reason: 'NoSuchBucket',
      message: expect.stringMatching(/no-such-bucket does not exist/),
    });
    expect(jobToResourceStatus(b).conditions.find((c) => c.type === 'Failed')).toMatchObject({
      reason: 'MissingSecretKey',
      message: expect.stringMatching(/Secret half-secret has no key AWS_SECRET_ACCESS_KEY/),
    });
    await expect(queue.enqueue({ ...noBucket, target: '' })).rejects.toThrow(/target/);
  });

  it('runs verify and restore-fetch jobs, and fails verification of a tampered backup', async () => {
    const { queue, job, storage, prefix } = setup();
    const b = await finished(
      queue,
      await queue.enqueue(job('11111111-aaaa-4bbb-8ccc-000000000005', { size: 500_000, seed: 3 })),
    );
    const backupId = b.result?.backupId ?? '';
    const common = {
      target: 'EtcdCluster/db/main',
      storage: {
        location: `s3://queue-tests/${prefix}`,
        endpoint: s3.endpoint,
        credentialsSecret: 's3-creds',
      },
    };
    const owner = (uid: string) => ({ kind: 'EtcdRestore', name: 'r', namespace: 'db', uid });
    const dest = join(dir, 'restored', 'snapshot.db');
    const fetchJob = await finished(
      queue,
      await queue.enqueue({
        kind: 'restore-fetch',
        owner: owner('22222222-aaaa-4bbb-8ccc-000000000001'),
        backupId: 'latest',
        destination: dest,
        ...common,
      }),
    );
    expect(fetchJob.state).toBe('completed');
    expect(fetchJob.result?.destination).toBe(dest);
    expect(await sha256Of(Readable.from([await readFile(dest)]))).toEqual(
      await sha256Of(generated(500_000, 3)),
    );
    const before = await requireManifest(storage, backupId);
    const verifyOk = await finished(
      queue,
      await queue.enqueue({
        kind: 'verify',
        owner: owner('22222222-aaaa-4bbb-8ccc-000000000002'),
        backupId,
        ...common,
      }),
    );
    expect(verifyOk.state).toBe('completed');
    // The verify job records when the backup was last checked, not only when it was written.
    const after = await requireManifest(storage, backupId);
    expect(Date.parse(after.verifiedAt ?? '')).toBeGreaterThan(Date.parse(before.verifiedAt ?? ''));
    expect({ ...after, verifiedAt: undefined }).toEqual({ ...before, verifiedAt: undefined });
    // Tamper, then verify again under a new owner uid.
    const chunks: Buffer[] = [];
    for await (const c of await storage.read(dataKey(backupId))) chunks.push(c as Buffer);
    const bad = Buffer.concat(chunks);
    bad[10] = (bad[10] ?? 0) ^ 1;
    await storage.write(dataKey(backupId), bad);
    const verifyBad = await finished(
      queue,
      await queue.enqueue({
        kind: 'verify',
        owner: owner('22222222-aaaa-4bbb-8ccc-000000000003'),
        backupId,
        ...common,
      }),
    );
    expect(verifyBad.state).toBe('failed');
    expect(verifyBad.attemptsMade).toBe(1);
    expect(jobToResourceStatus(verifyBad).conditions.find((c) => c.type === 'Failed')?.reason).toBe(
      'IntegrityError',
    );
  });

  it('cancels queued and running jobs, leaving no backup', async () => {
    const { queue, job, storage } = setup({ concurrency: 1 });
    const running = await queue.enqueue(
      job('11111111-aaaa-4bbb-8ccc-000000000006', {
        size: 64 * 1024 * 1024,
        bytesPerSecond: 4 * 1024 * 1024,
      }),
    );
    const queued = await queue.enqueue(job('11111111-aaaa-4bbb-8ccc-000000000007', { size: 1000 }));
    await waitFor(
      'progress',
      async () => ((await queue.getJob(running))?.progress?.bytes ?? 0) > 1024 * 1024,
    );
    await queue.cancel(queued);
    await queue.cancel(running);
    const r = await finished(queue, running, 30_000);
    expect(r.state).toBe('cancelled');
    expect(r.failedReason).toMatch(/^Cancelled: /);
    expect(r.attemptsMade).toBe(1); // no retries after a cancel
    expect(jobToResourceStatus(r).phase).toBe('Cancelled');
    // The queued job was removed before it ran, and still reads as cancelled.
    expect(await queue.getJob(queued)).toMatchObject({ state: 'cancelled', kind: 'backup' });
    expect(jobToResourceStatus(await queue.getJob(queued)).phase).toBe('Cancelled');
    expect(await listBackups(storage)).toEqual([]);
  });

  it('runs one job per target at a time, and different targets in parallel', async () => {
    const { queue, job, queueName } = setup({}, false);
    const base = testHandlers(secrets);
    // Count jobs inside their critical section: from opening storage to writing the manifest.
    const inside = new Map<string, number>();
    const peak = new Map<string, number>();
    let all = 0;
    let peakAll = 0;
    const handlers: WorkerHandlers = {
      ...base,
      async resolveStorage(data) {
        const storage = await base.resolveStorage(data);
        const n = (inside.get(data.target) ?? 0) + 1;
        inside.set(data.target, n);
        peak.set(data.target, Math.max(peak.get(data.target) ?? 0, n));
        peakAll = Math.max(peakAll, ++all);
        const write = storage.write.bind(storage);
        storage.write = async (key, body, opts) => {
          const r = await write(key, body, opts);
          if (key.endsWith('/manifest.json')) {
            inside.set(data.target, (inside.get(data.target) ?? 1) - 1);
            all--;
          }
          return r;
        };
        return storage;
      },
    };
    const worker = new BackupWorker({
      connection: redis.connection,
      queueName,
      handlers,
      concurrency: 4,
      targetBusyDelayMs: 100,
    });
    cleanups.push(() => worker.close(true));
    const params = (seed: number) => ({ size: 1024 * 1024, bytesPerSecond: 2 * 1024 * 1024, seed });
    const ids = [
      await queue.enqueue(job('11111111-aaaa-4bbb-8ccc-0000000000a1', params(1))),
      await queue.enqueue(job('11111111-aaaa-4bbb-8ccc-0000000000a2', params(2))),
      await queue.enqueue(job('11111111-aaaa-4bbb-8ccc-0000000000a3', params(3))),
      await queue.enqueue({
        ...job('11111111-aaaa-4bbb-8ccc-0000000000a4', params(4)),
        target: 'EtcdCluster/db/other',
      }),
    ];
    for (const id of ids) expect((await finished(queue, id)).state).toBe('completed');
    expect(peak.get('EtcdCluster/db/main')).toBe(1);
    expect(peak.get('EtcdCluster/db/other')).toBe(1);
    expect(Math.max(...[...inside.values()])).toBe(0);
    expect(peakAll).toBe(2); // the other cluster's backup did not wait
  });

  it('creates repeatable backups from a cron schedule with a time zone', async () => {
    const { queue, job, storage } = setup();
    expect(() => nextRun('not a cron')).toThrow(/invalid schedule "not a cron"/);
    await expect(
      queue.schedule(
        's1',
        { pattern: '0 2 * * *', timeZone: 'Mars/Olympus' },
        job('u', { size: 1 }),
      ),
    ).rejects.toThrow(/Mars\/Olympus/);
    // 02:00 in Berlin during summer time is 00:00 UTC.
    expect(
      nextRun('0 2 * * *', 'Europe/Berlin', new Date('2026-07-01T12:00:00Z')).toISOString(),
    ).toBe('2026-07-02T00:00:00.000Z');
    const data = job('33333333-aaaa-4bbb-8ccc-000000000001', { size: 2000 });
    await queue.schedule(
      '33333333-aaaa-4bbb-8ccc-000000000001',
      { pattern: '* * * * * *', timeZone: 'Europe/Berlin' },
      data,
    );
    await waitFor(
      'two scheduled backups',
      async () => (await listBackups(storage)).length >= 2,
      30_000,
    );
    await queue.unschedule('33333333-aaaa-4bbb-8ccc-000000000001');
    const ids = (await listBackups(storage)).map((b) => b.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('resumes queued jobs after Redis restarts', async () => {
    const { queue, job, storage } = setup({ concurrency: 1 });
    const ids: string[] = [];
    for (const n of ['b1', 'b2', 'b3'])
      ids.push(
        await queue.enqueue(
          job(`11111111-aaaa-4bbb-8ccc-0000000000${n}`, {
            size: 2 * 1024 * 1024,
            bytesPerSecond: 4 * 1024 * 1024,
          }),
        ),
      );
    await waitFor(
      'first job done',
      async () => (await queue.getJob(ids[0] ?? ''))?.state === 'completed',
    );
    await redis.restart();
    for (const id of ids) expect((await finished(queue, id, 90_000)).state).toBe('completed');
    expect(await listBackups(storage)).toHaveLength(3);
    expect(queue.connectionError).toBeUndefined(); // cleared once connected again
  });

  it('reports Redis connection errors instead of swallowing them', async () => {
    const connection = { host: '127.0.0.1', port: await freePort(), retryStrategy: () => 100 };
    const queueErrors: Error[] = [];
    const workerErrors: Error[] = [];
    const queue = new BackupQueue({ connection, onError: (e) => queueErrors.push(e) });
    const worker = new BackupWorker({
      connection,
      handlers: testHandlers(secrets),
      onError: (e) => workerErrors.push(e),
    });
    cleanups.push(async () => {
      await worker.close(true);
      await queue.close();
    });
    await waitFor(
      'errors from both',
      async () => queueErrors.length > 0 && workerErrors.length > 0,
    );
    expect(queue.connectionError?.message).toMatch(/ECONNREFUSED/);
    expect(worker.connectionError?.message).toMatch(/ECONNREFUSED/);
    expect(queueErrors[0]?.message).toMatch(/ECONNREFUSED/);
  });
});

describe('a worker process killed mid-job', () => {
  it('leaves no usable backup, and the retry after stalled-job detection completes it', async () => {
    const { queue, job, storage, queueName } = setup({}, false);
    const cfg = JSON.stringify({ redisPort: redis.port, queueName, secrets });
    const main = join(import.meta.dirname, 'support', 'worker-main.ts');
    const start = async () => {
      const child = spawn(process.execPath, ['--conditions=@opsmith/source', main, cfg], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cleanups.push(() => stopProcess(child, 'SIGKILL'));
      await waitForLine(child, /READY/);
      return child;
    };
    const size = 24 * 1024 * 1024;
    const id = await queue.enqueue(
      job('44444444-aaaa-4bbb-8ccc-000000000001', {
        size,
        bytesPerSecond: 6 * 1024 * 1024,
        seed: 11,
      }),
    );
    const first = await start();
    await waitFor(
      'upload under way',
      async () => ((await queue.getJob(id))?.progress?.storedBytes ?? 0) > 8 * 1024 * 1024,
    );
    await stopProcess(first, 'SIGKILL');
    expect(await listBackups(storage)).toEqual([]);
    await start();
    const snap = await finished(queue, id, 120_000);
    expect(snap.state).toBe('completed');
    const backups = await listBackups(storage);
    expect(backups.map((b) => b.id)).toEqual([snap.result?.backupId]);
    await verifyBackup(storage, backups[0]);
    expect(backups[0]?.size).toBe(size);
    expect(backups[0]?.rawSha256).toBe((await sha256Of(generated(size, 11))).sha256);
    // The storage URL used by the worker is the one in the result.
    expect(snap.result?.location).toBe(
      `${openStorage(`s3://queue-tests/${storage.url.split('/').pop()}`).url}/${snap.result?.backupId}`,
    );
  });
});
