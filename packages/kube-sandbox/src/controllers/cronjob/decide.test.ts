import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/types.ts';
import { iso } from '../testing/builders.ts';
import { decideCronJob, SCHEDULED_TIMESTAMP } from './decide.ts';
import { jobNameFor, scheduleTimes } from './schedule.ts';

const at = (s: string) => Date.parse(s);

function cronJob(
  over: Record<string, unknown> = {},
  status: Record<string, unknown> = {},
): KubeObject {
  return {
    metadata: {
      name: 'cj',
      namespace: 'ns',
      uid: 'cj-uid',
      creationTimestamp: '2026-03-01T00:00:00Z',
    },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: {
        metadata: { labels: { app: 'cj' } },
        spec: { template: { spec: { containers: [] } } },
      },
      ...over,
    },
    status,
  };
}

function job(
  name: string,
  state?: 'Complete' | 'Failed',
  start = '2026-03-01T00:00:00Z',
): KubeObject {
  return {
    metadata: { name, namespace: 'ns', uid: `${name}-uid`, creationTimestamp: start },
    status: {
      startTime: start,
      ...(state
        ? {
            conditions: [{ type: state, status: 'True' }],
            ...(state === 'Complete' ? { completionTime: start } : {}),
          }
        : {}),
    },
  };
}

describe('scheduleTimes', () => {
  it('finds the most recent due time and the next one', () => {
    const t = scheduleTimes(
      '*/5 * * * *',
      undefined,
      at('2026-03-01T00:00:00Z'),
      at('2026-03-01T00:12:30Z'),
    );
    expect(t).toEqual({ due: at('2026-03-01T00:10:00Z'), next: at('2026-03-01T00:15:00Z') });
  });

  it('counts a schedule time equal to now as due, and nothing at or before earliest', () => {
    expect(
      scheduleTimes('* * * * *', undefined, at('2026-03-01T00:00:00Z'), at('2026-03-01T00:01:00Z'))
        .due,
    ).toBe(at('2026-03-01T00:01:00Z'));
    expect(
      scheduleTimes('0 * * * *', undefined, at('2026-03-01T00:00:00Z'), at('2026-03-01T00:30:00Z'))
        .due,
    ).toBeUndefined();
  });

  it('evaluates the schedule in spec.timeZone', () => {
    // 09:00 in Tokyo is 00:00 UTC; in New York (EST, UTC-5) 14:00 UTC.
    expect(
      scheduleTimes(
        '0 9 * * *',
        'Asia/Tokyo',
        at('2026-03-01T00:00:00Z'),
        at('2026-03-02T01:00:00Z'),
      ).due,
    ).toBe(at('2026-03-02T00:00:00Z'));
    expect(
      scheduleTimes(
        '0 9 * * *',
        'America/New_York',
        at('2026-01-01T00:00:00Z'),
        at('2026-01-05T15:00:00Z'),
      ).due,
    ).toBe(at('2026-01-05T14:00:00Z'));
  });

  it('rejects unknown time zones and malformed schedules', () => {
    expect(() => scheduleTimes('* * * * *', 'Mars/Olympus', 0, 1)).toThrow(/unknown time zone/);
    expect(() => scheduleTimes('* * *', undefined, 0, 1)).toThrow(/5 fields/);
  });
});

describe('decideCronJob', () => {
  it('creates <name>-<minutes since epoch> with the scheduled timestamp, owned by the CronJob', () => {
    const plan = decideCronJob(cronJob(), [], at('2026-03-01T00:05:10Z'));
    expect(plan.createJob?.metadata?.name).toBe(`cj-${at('2026-03-01T00:05:00Z') / 60000}`);
    expect(jobNameFor('cj', at('2026-03-01T00:05:00Z'))).toBe('cj-29538725');
    expect(plan.createJob?.metadata?.annotations?.[SCHEDULED_TIMESTAMP]).toBe(
      '2026-03-01T00:05:00Z',
    );
    expect(plan.createJob?.metadata?.labels).toEqual({ app: 'cj' });
    expect(plan.createJob?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'CronJob',
      controller: true,
    });
    expect(plan.status.lastScheduleTime).toBe('2026-03-01T00:05:00Z');
    expect(plan.requeueAfterMs).toBe(at('2026-03-01T00:10:00Z') - at('2026-03-01T00:05:10Z') + 100);
  });

  it('does not run twice for the same time', () => {
    const plan = decideCronJob(
      cronJob({}, { lastScheduleTime: '2026-03-01T00:05:00Z' }),
      [job('cj-29538725')],
      at('2026-03-01T00:06:00Z'),
    );
    expect(plan.createJob).toBeUndefined();
  });

  it('Forbid skips while a job runs; Replace deletes it and starts the new one; Allow runs both', () => {
    const status = { lastScheduleTime: '2026-03-01T00:00:00Z' };
    const runningJob = job('cj-29538720');
    const now = at('2026-03-01T00:05:01Z');
    const forbid = decideCronJob(
      cronJob({ concurrencyPolicy: 'Forbid' }, status),
      [runningJob],
      now,
    );
    expect(forbid.createJob).toBeUndefined();
    expect(forbid.skipped).toBe('Forbid');
    const replace = decideCronJob(
      cronJob({ concurrencyPolicy: 'Replace' }, status),
      [runningJob],
      now,
    );
    expect(replace.deleteJobs).toEqual([runningJob]);
    expect(replace.createJob).toBeDefined();
    const allow = decideCronJob(cronJob({}, status), [runningJob], now);
    expect(allow.deleteJobs).toEqual([]);
    expect(allow.createJob).toBeDefined();
    expect(allow.status.active).toEqual([
      expect.objectContaining({ kind: 'Job', name: 'cj-29538720' }),
    ]);
  });

  it('skips a run missed by more than startingDeadlineSeconds', () => {
    const plan = decideCronJob(
      cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 60 }),
      [],
      at('2026-03-01T05:02:00Z'),
    );
    expect(plan.createJob).toBeUndefined();
    const inTime = decideCronJob(
      cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 200 }),
      [],
      at('2026-03-01T05:02:00Z'),
    );
    expect(inTime.createJob?.metadata?.name).toBe(jobNameFor('cj', at('2026-03-01T05:00:00Z')));
  });

  it('runs the most recent missed time only', () => {
    const plan = decideCronJob(
      cronJob({}, { lastScheduleTime: '2026-03-01T00:00:00Z' }),
      [],
      at('2026-03-01T01:03:00Z'),
    );
    expect(plan.createJob?.metadata?.name).toBe(jobNameFor('cj', at('2026-03-01T01:00:00Z')));
  });

  it('does nothing while suspended', () => {
    expect(
      decideCronJob(cronJob({ suspend: true }), [], at('2026-03-01T00:05:10Z')).createJob,
    ).toBeUndefined();
  });

  it('keeps successfulJobsHistoryLimit/failedJobsHistoryLimit finished jobs, deleting the oldest', () => {
    const jobs = [
      job('a', 'Complete', '2026-03-01T00:00:00Z'),
      job('b', 'Complete', '2026-03-01T00:05:00Z'),
      job('c', 'Failed', '2026-03-01T00:10:00Z'),
      job('d', 'Failed', '2026-03-01T00:15:00Z'),
    ];
    const plan = decideCronJob(
      cronJob({ suspend: true, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }),
      jobs,
      at('2026-03-01T00:20:00Z'),
    );
    expect(plan.deleteJobs.map((j) => j.metadata?.name)).toEqual(['a', 'c']);
    expect(plan.status.lastSuccessfulTime).toBe(iso(at('2026-03-01T00:05:00Z')));
  });
});
