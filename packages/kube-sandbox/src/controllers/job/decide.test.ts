import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/types.ts';
import { iso, pod, T0, template } from '../testing/builders.ts';
import {
  backoffExceeded,
  COMPLETION_INDEX,
  decideJob,
  formatIndexes,
  jobPod,
  parseIndexes,
} from './decide.ts';

function job(
  over: Record<string, unknown> = {},
  status: Record<string, unknown> = {},
  restartPolicy = 'Never',
): KubeObject {
  const tpl = template({ app: 'j' });
  (tpl.spec as Record<string, unknown>).restartPolicy = restartPolicy;
  return {
    metadata: { name: 'j', namespace: 'ns', uid: 'job-uid', generation: 1 },
    spec: { template: tpl, ...over },
    status,
  };
}

const running = () => pod({ ready: true, labels: { app: 'j' } });
const succeeded = () => pod({ phase: 'Succeeded' });
const failed = (at = T0) => {
  const p = pod({ phase: 'Failed' });
  (p.status as Record<string, unknown>).containerStatuses = [
    { name: 'c', restartCount: 0, state: { terminated: { exitCode: 1, finishedAt: iso(at) } } },
  ];
  return p;
};
type Cond = { type: string; status: string; reason: string; message: string };
const cond = (s: Record<string, unknown>, type: string) =>
  (s.conditions as Cond[] | undefined)?.find((c) => c.type === type);

describe('decideJob: pods', () => {
  it('starts min(parallelism, remaining completions) pods and records startTime', () => {
    const plan = decideJob({ job: job({ completions: 5, parallelism: 2 }), pods: [], now: T0 });
    expect(plan.create).toBe(2);
    expect(plan.status).toMatchObject({ startTime: iso(T0), active: 2, ready: 0 });
    const later = decideJob({
      job: job({ completions: 5, parallelism: 3 }),
      pods: [succeeded(), succeeded(), succeeded(), running()],
      now: T0,
    });
    expect(later.create).toBe(1);
  });

  it('defaults to one pod and completes when it succeeds (CompletionsReached, then Complete)', () => {
    const first = decideJob({ job: job(), pods: [], now: T0 });
    expect(first.create).toBe(1);
    const done = decideJob({
      job: job({}, { startTime: iso(T0) }),
      pods: [succeeded()],
      now: T0 + 5000,
    });
    expect(cond(done.status, 'SuccessCriteriaMet')).toMatchObject({
      status: 'True',
      reason: 'CompletionsReached',
    });
    expect(cond(done.status, 'Complete')).toMatchObject({
      status: 'True',
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
    });
    expect(done.status).toMatchObject({ succeeded: 1, completionTime: iso(T0 + 5000) });
  });

  it('waits with exponential backoff before replacing failed pods', () => {
    const plan = decideJob({
      job: job({ backoffLimit: 6 }, { startTime: iso(T0) }),
      pods: [failed(T0), failed(T0)],
      now: T0 + 5000,
      backoffBaseMs: 10000,
    });
    expect(plan.create).toBe(0);
    expect(plan.requeueAfterMs).toBe(15000);
    const after = decideJob({
      job: job({ backoffLimit: 6 }, { startTime: iso(T0) }),
      pods: [failed(T0), failed(T0)],
      now: T0 + 20000,
      backoffBaseMs: 10000,
    });
    expect(after.create).toBe(1);
  });
});

describe('decideJob: failure', () => {
  it('fails with BackoffLimitExceeded when failed pods exceed backoffLimit (Never)', () => {
    const plan = decideJob({
      job: job({ backoffLimit: 1 }, { startTime: iso(T0) }),
      pods: [failed(), failed()],
      now: T0,
    });
    expect(cond(plan.status, 'FailureTarget')).toMatchObject({
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    expect(cond(plan.status, 'Failed')).toMatchObject({
      status: 'True',
      reason: 'BackoffLimitExceeded',
    });
    expect(plan.status.failed).toBe(2);
    expect(plan.status.completionTime).toBeUndefined();
  });

  it('counts container restarts with OnFailure', () => {
    const j = job({ backoffLimit: 2 }, {}, 'OnFailure');
    expect(backoffExceeded(j, 0, [pod({ ready: true, restarts: 1 })])).toBe(false);
    expect(backoffExceeded(j, 0, [pod({ ready: true, restarts: 2 })])).toBe(true);
    expect(
      backoffExceeded(job({ backoffLimit: 0 }, {}, 'OnFailure'), 0, [
        pod({ ready: true, restarts: 1 }),
      ]),
    ).toBe(true);
    expect(backoffExceeded(job({ backoffLimit: 2 }), 0, [pod({ ready: true, restarts: 5 })])).toBe(
      false,
    );
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds, stopping active pods first', () => {
    const active = running();
    const plan = decideJob({
      job: job({ activeDeadlineSeconds: 10 }, { startTime: iso(T0) }),
      pods: [active],
      now: T0 + 10000,
    });
    expect(plan.deletePods).toEqual([active]);
    expect(cond(plan.status, 'FailureTarget')).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
    expect(cond(plan.status, 'Failed')).toBeUndefined();
    const next = decideJob({
      job: job({ activeDeadlineSeconds: 10 }, plan.status),
      pods: [],
      now: T0 + 11000,
    });
    expect(cond(next.status, 'Failed')).toMatchObject({
      status: 'True',
      reason: 'DeadlineExceeded',
    });
  });

  it('requeues for the active deadline', () => {
    const plan = decideJob({
      job: job({ activeDeadlineSeconds: 30 }, { startTime: iso(T0) }),
      pods: [running()],
      now: T0 + 10000,
    });
    expect(plan.requeueAfterMs).toBe(20000);
  });
});

describe('decideJob: ttlSecondsAfterFinished and suspend', () => {
  const finished = (at: number) => ({
    conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: iso(at) }],
    startTime: iso(T0),
  });
  it('deletes a finished job once its TTL passed', () => {
    expect(
      decideJob({
        job: job({ ttlSecondsAfterFinished: 5 }, finished(T0)),
        pods: [],
        now: T0 + 4000,
      }),
    ).toMatchObject({ deleteJob: false, requeueAfterMs: 1000 });
    expect(
      decideJob({
        job: job({ ttlSecondsAfterFinished: 5 }, finished(T0)),
        pods: [],
        now: T0 + 5000,
      }).deleteJob,
    ).toBe(true);
    expect(decideJob({ job: job({}, finished(T0)), pods: [], now: T0 + 1e9 }).deleteJob).toBe(
      false,
    );
  });

  it('stops pods of a suspended job', () => {
    const active = running();
    const plan = decideJob({ job: job({ suspend: true }), pods: [active], now: T0 });
    expect(plan.deletePods).toEqual([active]);
    expect(cond(plan.status, 'Suspended')).toMatchObject({
      status: 'True',
      reason: 'JobSuspended',
    });
  });
});

describe('decideJob: completionMode Indexed', () => {
  const indexedPod = (index: number, phase: string) => {
    const p = pod({ phase, ready: phase === 'Running' });
    p.metadata = {
      ...p.metadata,
      labels: { ...p.metadata?.labels, [COMPLETION_INDEX]: String(index) },
    };
    return p;
  };

  it('starts the lowest free indexes and reports completedIndexes', () => {
    const j = job(
      { completionMode: 'Indexed', completions: 5, parallelism: 2 },
      { startTime: iso(T0) },
    );
    const plan = decideJob({
      job: j,
      pods: [indexedPod(0, 'Succeeded'), indexedPod(1, 'Running'), indexedPod(3, 'Succeeded')],
      now: T0,
    });
    expect(plan.createIndexes).toEqual([2]);
    expect(plan.status).toMatchObject({ succeeded: 2, completedIndexes: '0,3', active: 2 });
  });

  it('completes when every index succeeded', () => {
    const j = job(
      { completionMode: 'Indexed', completions: 3, parallelism: 3 },
      { startTime: iso(T0), completedIndexes: '0-1' },
    );
    const plan = decideJob({ job: j, pods: [indexedPod(2, 'Succeeded')], now: T0 });
    expect(plan.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
    expect(plan.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Complete', status: 'True' }),
    );
  });

  it('gives each pod its index as label, annotation, hostname and JOB_COMPLETION_INDEX', () => {
    const p = jobPod(job({ completionMode: 'Indexed', completions: 3 }), 2);
    expect(p.metadata).toMatchObject({
      generateName: 'j-2-',
      labels: { [COMPLETION_INDEX]: '2', 'job-name': 'j' },
      annotations: { [COMPLETION_INDEX]: '2' },
    });
    expect(p.spec).toMatchObject({ hostname: 'j-2' });
    expect((p.spec as { containers: { env: unknown[] }[] }).containers[0]?.env).toContainEqual({
      name: 'JOB_COMPLETION_INDEX',
      valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } },
    });
  });

  it('formats and parses index ranges', () => {
    expect(formatIndexes([5, 0, 1, 2, 7, 8])).toBe('0-2,5,7-8');
    expect(parseIndexes('0-2,5,7-8')).toEqual([0, 1, 2, 5, 7, 8]);
    expect(parseIndexes(undefined)).toEqual([]);
  });
});
