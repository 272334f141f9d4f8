import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  BackupQueue,
  BackupWorker,
  jobToResourceStatus,
  listBackups,
  S3Storage,
  verifyBackup,
  type JobSnapshot,
} from '../src/index.ts';
import { generated, sha256Of } from './support/data.ts';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.ts';
import { testHandlers } from './support/handlers.ts';
import {
  S3RVER_CREDENTIALS,
  startRedis,
  startS3Server,
  type RedisServer,
  type S3Server,
} from './support/processes.ts';

let redis: RedisServer;
let s3: S3Server;
let proxy: FaultProxy;

beforeAll(async () => {
  [redis, s3] = await Promise.all([startRedis(), startS3Server(['retry-tests'])]);
  proxy = await startFaultProxy(s3.port, {});
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all([redis?.stop(), s3?.stop()]);
});

it('retries a backup job whose storage failed, and reports success only for a complete, verified backup', async () => {
  const queueName = `retry-${randomBytes(3).toString('hex')}`;
  const secrets = {
    creds: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
  };
  const queue = new BackupQueue({
    connection: redis.connection,
    queueName,
    attempts: 5,
    backoffMs: 300,
  });
  const handlers = testHandlers(secrets);
  const failedAttempts: string[] = [];
  // Storage fails hard for the first attempt (every request 500), then recovers.
  proxy.plan = { errorRate: 1 };
  const worker = new BackupWorker({
    connection: redis.connection,
    queueName,
    handlers,
    progressIntervalMs: 50,
  });
  worker.worker.on('failed', (_job, err) => {
    failedAttempts.push(err.message);
    // Recovered, but still flaky: the retry must cope with that too.
    proxy.plan = { errorRate: 0.1, dropRate: 0.1 };
  });
  try {
    const size = 12 * 1024 * 1024;
    const id = await queue.enqueue({
      kind: 'backup',
      owner: {
        kind: 'EtcdBackup',
        name: 'retry',
        namespace: 'db',
        uid: '55555555-aaaa-4bbb-8ccc-000000000001',
      },
      target: 'EtcdCluster/db/main',
      storage: {
        location: 's3://retry-tests/etcd',
        endpoint: proxy.endpoint,
        credentialsSecret: 'creds',
      },
      params: { size, seed: 21 },
    });
    let snap: JobSnapshot | undefined;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      snap = await queue.getJob(id);
      if (snap && ['completed', 'failed'].includes(snap.state)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(failedAttempts.length).toBeGreaterThanOrEqual(1);
    expect(failedAttempts[0]).toMatch(/InternalError/);
    expect(snap?.state).toBe('completed');
    expect(jobToResourceStatus(snap).phase).toBe('Succeeded');
    // Check directly, not through the proxy.
    const direct = new S3Storage({
      bucket: 'retry-tests',
      prefix: 'etcd',
      endpoint: s3.endpoint,
      credentials: S3RVER_CREDENTIALS,
    });
    const backups = await listBackups(direct);
    expect(backups.map((b) => b.id)).toEqual([snap?.result?.backupId]);
    await verifyBackup(direct, backups[0]?.id ?? '');
    expect(backups[0]?.rawSha256).toBe((await sha256Of(generated(size, 21))).sha256);
  } finally {
    await worker.close(true);
    await queue.close();
  }
});
