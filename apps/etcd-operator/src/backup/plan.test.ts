import { describe, expect, it } from 'vitest';
import type { BackupJobResult, JobSnapshot } from '@opsmith/backup-storage';
import {
  backupRecord,
  backupSchedule,
  oneShotStatus,
  problemDelayMs,
  problemStatus,
  scheduledStatus,
  scheduleKey,
} from './plan.ts';
import { redisConnection } from './runtime.ts';

const result: BackupJobResult = {
  backupId: 'b-1',
  location: 's3://bk/etcd/b-1',
  size: 1000,
  compressedSize: 400,
  sha256: 'stored',
  rawSha256: 'raw',
  position: '42',
  completedAt: '2026-01-01T00:00:05.000Z',
  verified: true,
};
const job = (over: Partial<JobSnapshot>): JobSnapshot => ({
  id: 'backup-u1',
  kind: 'backup',
  state: 'completed',
  attemptsMade: 1,
  attempts: 5,
  startedAt: new Date('2026-01-01T00:00:01Z'),
  finishedAt: new Date('2026-01-01T00:00:05Z'),
  result,
  ...over,
});
const now = new Date('2026-01-01T00:01:00Z');

describe('backup schedule', () => {
  it('no schedule is a one-shot backup', () => {
    expect(backupSchedule({})).toEqual({ kind: 'once' });
  });
  it('cron patterns keep their time zone', () => {
    expect(backupSchedule({ schedule: '0 2 * * *', timeZone: 'Europe/Berlin' })).toEqual({
      kind: 'cron',
      pattern: '0 2 * * *',
      timeZone: 'Europe/Berlin',
    });
  });
  it('@every becomes a fixed interval in ms', () => {
    expect(backupSchedule({ schedule: '@every 30s' })).toEqual({ kind: 'every', everyMs: 30_000 });
    expect(backupSchedule({ schedule: '@every 2h' })).toEqual({
      kind: 'every',
      everyMs: 7_200_000,
    });
  });
  it('the schedule key changes with what the scheduler must match', () => {
    const spec = { clusterName: 'c', destination: { url: 's3://b/p' }, schedule: '@hourly' };
    expect(scheduleKey(spec)).toBe(scheduleKey({ ...spec }));
    expect(scheduleKey(spec)).not.toBe(scheduleKey({ ...spec, retention: { maxBackups: 2 } }));
    expect(scheduleKey(spec)).not.toBe(scheduleKey({ ...spec, timeZone: 'UTC' }));
  });
});

describe('backup status', () => {
  it('backoff doubles from 5 s and is capped at 5 min', () => {
    expect([0, 1, 2, 10].map(problemDelayMs)).toEqual([5000, 10_000, 20_000, 300_000]);
  });
  it('a record reports the raw snapshot digest, revision and version', () => {
    expect(backupRecord(result, job({}), { etcdVersion: '3.4.23', member: 'c-1' })).toEqual({
      key: 's3://bk/etcd/b-1',
      revision: '42',
      size: 1000,
      sha256: 'raw',
      etcdVersion: '3.4.23',
      member: 'c-1',
      startTime: '2026-01-01T00:00:01.000Z',
      completionTime: '2026-01-01T00:00:05.000Z',
      verified: true,
    });
  });
  it('one-shot: not queued -> Pending, running -> Running, done -> Succeeded with Ready', () => {
    expect(oneShotStatus(undefined, {}, 1, undefined, now).phase).toBe('Pending');
    expect(
      oneShotStatus(job({ state: 'active', result: undefined }), {}, 1, undefined, now).phase,
    ).toBe('Running');
    const rec = backupRecord(result, job({}), {});
    const done = oneShotStatus(job({}), {}, 1, rec, now);
    expect(done.phase).toBe('Succeeded');
    expect(done.lastBackup?.revision).toBe('42');
    expect(done.lastSuccessTime).toBe(rec.completionTime);
    expect(done.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
  });
  it('one-shot failure: reason from the worker, Ready=False', () => {
    const s = oneShotStatus(
      job({
        state: 'failed',
        result: undefined,
        failedReason: 'NoSuchBucket: bucket x does not exist',
      }),
      {},
      2,
      undefined,
      now,
    );
    expect(s.phase).toBe('Failed');
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'NoSuchBucket',
      observedGeneration: 2,
    });
  });
  it('scheduled: idle -> Scheduled with the next run; a failed run -> Failed; suspended says so', () => {
    const rec = backupRecord(result, job({}), {});
    const next = new Date('2026-01-01T01:00:00Z');
    const idle = scheduledStatus({
      prev: {},
      generation: 1,
      suspended: false,
      latest: job({}),
      lastSuccess: { job: job({}), record: rec },
      nextRun: next,
      backups: 2,
      now,
    });
    expect(idle).toMatchObject({
      phase: 'Scheduled',
      backups: 2,
      nextScheduleTime: next.toISOString(),
    });
    expect(idle.lastBackup?.key).toBe(rec.key);
    const failed = scheduledStatus({
      prev: idle,
      generation: 1,
      suspended: false,
      latest: job({
        state: 'failed',
        result: undefined,
        failedReason: 'Unavailable: no healthy member',
      }),
      lastSuccess: undefined,
      nextRun: next,
      backups: undefined,
      now,
    });
    expect(failed.phase).toBe('Failed');
    expect(failed.lastBackup?.key).toBe(rec.key); // the last good one stays visible
    expect(failed.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('Unavailable');
    const suspended = scheduledStatus({
      prev: idle,
      generation: 2,
      suspended: true,
      latest: undefined,
      lastSuccess: undefined,
      nextRun: next,
      backups: 2,
      now,
    });
    expect(suspended.nextScheduleTime).toBeUndefined();
    expect(suspended.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('Suspended');
  });
  it('a runtime problem is a Ready=False condition and keeps a past success', () => {
    const s = problemStatus({ phase: 'Succeeded' }, 3, 'ClusterNotFound', 'no such cluster', now);
    expect(s.phase).toBe('Succeeded');
    expect(s.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'ClusterNotFound',
    });
    expect(problemStatus({}, 3, 'QueueUnavailable', 'x', now).phase).toBe('Pending');
  });
});

describe('redis URL', () => {
  it('parses host, port, credentials, db and TLS', () => {
    expect(redisConnection('redis://127.0.0.1:6390')).toEqual({ host: '127.0.0.1', port: 6390 });
    expect(redisConnection('rediss://u:p%40ss@redis.svc/2')).toEqual({
      host: 'redis.svc',
      port: 6379,
      username: 'u',
      password: 'p@ss',
      db: 2,
      tls: {},
    });
  });
});
