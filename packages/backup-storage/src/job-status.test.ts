import { describe, expect, it } from 'vitest';
import { jobToResourceStatus, splitFailedReason, type JobSnapshot } from './job-status.ts';

const now = new Date('2026-06-10T12:00:00Z');
const base: JobSnapshot = {
  id: 'backup-u1',
  kind: 'backup',
  state: 'waiting',
  attemptsMade: 0,
  attempts: 5,
};
const cond = (s: ReturnType<typeof jobToResourceStatus>, type: string) =>
  s.conditions.find((c) => c.type === type);

describe('jobToResourceStatus', () => {
  it('maps a queued job to Pending', () => {
    const s = jobToResourceStatus(base, { now });
    expect(s.phase).toBe('Pending');
    expect(cond(s, 'Running')).toMatchObject({ status: 'False', reason: 'Queued' });
  });

  it('maps an active job with byte progress to Running', () => {
    const s = jobToResourceStatus(
      { ...base, state: 'active', progress: { bytes: 1024, phase: 'uploading' }, startedAt: now },
      { now },
    );
    expect(s.phase).toBe('Running');
    expect(s.progress).toEqual({ bytesDone: 1024, phase: 'uploading' });
    expect(cond(s, 'Running')).toMatchObject({ status: 'True', reason: 'InProgress' });
    expect(cond(s, 'Running')?.message).toMatch(/attempt 1 of 5\): 1024 bytes, uploading/);
    expect(s.startTime).toBe(now.toISOString());
  });

  it('maps a failed attempt waiting for its retry to Retrying with the last error', () => {
    const s = jobToResourceStatus(
      {
        ...base,
        state: 'delayed',
        attemptsMade: 2,
        failedReason: 'Unavailable: cannot reach http://s3',
      },
      { now },
    );
    expect(s.phase).toBe('Retrying');
    expect(cond(s, 'Failed')).toMatchObject({ status: 'False', reason: 'Retrying' });
    expect(cond(s, 'Running')?.message).toMatch(/attempt 2 of 5 failed, retrying.*cannot reach/);
  });

  it('maps completion to Succeeded with the result', () => {
    const result = {
      backupId: 'b1',
      location: 's3://bkt/etcd/b1',
      size: 10,
      compressedSize: 8,
      sha256: 'a'.repeat(64),
      rawSha256: 'b'.repeat(64),
      completedAt: now.toISOString(),
      verified: true,
    };
    const s = jobToResourceStatus(
      { ...base, state: 'completed', attemptsMade: 1, result, finishedAt: now },
      { now },
    );
    expect(s.phase).toBe('Succeeded');
    expect(s.result).toEqual(result);
    expect(s.completionTime).toBe(now.toISOString());
    expect(cond(s, 'Succeeded')).toMatchObject({ status: 'True', reason: 'Completed' });
    expect(cond(s, 'Succeeded')?.message).toMatch(/s3:\/\/bkt\/etcd\/b1/);
  });

  it('maps failure to Failed with the reason the worker recorded', () => {
    const s = jobToResourceStatus(
      {
        ...base,
        state: 'failed',
        attemptsMade: 1,
        failedReason: 'AccessDenied: check the credentials Secret',
      },
      { now },
    );
    expect(s.phase).toBe('Failed');
    expect(cond(s, 'Failed')).toMatchObject({ status: 'True', reason: 'AccessDenied' });
    expect(cond(s, 'Failed')?.message).toMatch(/check the credentials Secret/);
  });

  it('maps cancellation and a missing job', () => {
    expect(
      jobToResourceStatus({ ...base, state: 'failed', failedReason: 'Cancelled: x' }, { now })
        .phase,
    ).toBe('Cancelled');
    expect(jobToResourceStatus({ ...base, state: 'cancelled' }, { now }).phase).toBe('Cancelled');
    expect(jobToResourceStatus(undefined, { now }).phase).toBe('Pending');
  });

  it('keeps lastTransitionTime while a condition status does not change', () => {
    const first = jobToResourceStatus({ ...base, state: 'active' }, { now });
    const later = new Date(now.getTime() + 60_000);
    const second = jobToResourceStatus(
      { ...base, state: 'active', progress: { bytes: 5 } },
      { now: later, previous: first.conditions },
    );
    expect(cond(second, 'Running')?.lastTransitionTime).toBe(now.toISOString());
    const done = jobToResourceStatus(
      { ...base, state: 'completed' },
      { now: later, previous: second.conditions, generation: 3 },
    );
    expect(cond(done, 'Running')).toMatchObject({
      lastTransitionTime: later.toISOString(),
      observedGeneration: 3,
    });
  });

  it('splits worker failure reasons', () => {
    expect(splitFailedReason('NoSuchBucket: bucket x does not exist')).toEqual({
      reason: 'NoSuchBucket',
      message: 'bucket x does not exist',
    });
    expect(splitFailedReason('socket hang up')).toEqual({
      reason: 'Error',
      message: 'socket hang up',
    });
  });
});
