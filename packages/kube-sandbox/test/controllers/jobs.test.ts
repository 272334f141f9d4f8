import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.ts';
import { FakeClock } from '../../src/controllers/index.ts';
import { GVR } from '../../src/controllers/gvr.ts';
import { eventually, markFinished, markRunning } from '../../src/controllers/testing/kubelet.ts';
import { startControllerSandbox, type ControllerSandbox } from './sandbox.ts';

let env: ControllerSandbox;
let cronEnv: ControllerSandbox;
// CronJobs run on a fake clock (minutes pass at once); it starts at real time because the server
// stamps creationTimestamp with the real clock. Jobs use the real clock, like the kubelet's stamps.
const clock = new FakeClock(Math.ceil(Date.now() / 1000) * 1000);
const NS = 'jobs';
beforeAll(async () => {
  env = await startControllerSandbox({ controllers: ['job'] });
  cronEnv = await startControllerSandbox({ clock, controllers: ['job', 'cronjob'] });
  for (const e of [env, cronEnv]) {
    await e.sandbox.client.create(GVR.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    });
  }
});
afterAll(async () => {
  await env?.stop();
  await cronEnv?.stop();
});

type Cond = { type: string; status: string; reason: string };
const condition = (obj: KubeObject | undefined, type: string) =>
  ((obj?.status as { conditions?: Cond[] } | undefined)?.conditions ?? []).find(
    (c) => c.type === type && c.status === 'True',
  );

async function jobPods(job: string): Promise<KubeObject[]> {
  const { items } = await env.sandbox.client.list(GVR.pods, { namespace: NS });
  return items.filter(
    (p) =>
      p.metadata?.ownerReferences?.some((r) => r.kind === 'Job' && r.name === job) &&
      !p.metadata.deletionTimestamp,
  );
}

function jobSpec(name: string, spec: Record<string, unknown>, restartPolicy = 'Never'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: {
      template: { spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
  };
}

describe('Job controller in a real sandbox', () => {
  it('runs completions with parallelism, completes, and is removed after its TTL', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.jobs, jobSpec('work', { completions: 3, parallelism: 2 }));
    let finished = 0;
    const done = await eventually(
      async () => {
        for (const p of await jobPods('work')) {
          const phase = (p.status as { phase?: string } | undefined)?.phase;
          if (phase !== 'Succeeded') {
            expect(
              (await jobPods('work')).filter(
                (x) => (x.status as { phase?: string } | undefined)?.phase !== 'Succeeded',
              ).length,
            ).toBeLessThanOrEqual(2);
            await markFinished(client, p, 0);
            finished++;
          }
        }
        const job = await client.get(GVR.jobs, NS, 'work');
        return condition(job, 'Complete') ? job : undefined;
      },
      15000,
      'job complete',
    );
    expect(finished).toBe(3);
    expect(done.status).toMatchObject({ succeeded: 3 });
    expect((done.status as { completionTime?: string }).completionTime).toBeDefined();
    expect(condition(done, 'Complete')?.reason).toBe('CompletionsReached');
    expect(condition(done, 'SuccessCriteriaMet')).toBeDefined();
    // ttlSecondsAfterFinished (set now, so the test cannot miss the Complete state): gone a second later.
    await client.patch(GVR.jobs, NS, 'work', 'merge', { spec: { ttlSecondsAfterFinished: 1 } });
    await eventually(
      async () => (await client.get(GVR.jobs, NS, 'work')) === undefined || undefined,
      10000,
      'job deleted by TTL',
    );
    await env.sandbox.settle();
    await eventually(
      async () => (await jobPods('work')).length === 0 || undefined,
      10000,
      'pods collected',
    );
  });

  it('fails with BackoffLimitExceeded after backoffLimit pod failures (restartPolicy Never)', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.jobs, jobSpec('flaky', { backoffLimit: 1 }));
    let failures = 0;
    const failed = await eventually(
      async () => {
        for (const p of await jobPods('flaky')) {
          if ((p.status as { phase?: string } | undefined)?.phase !== 'Failed') {
            await markFinished(client, p, 1);
            failures++;
          }
        }
        const job = await client.get(GVR.jobs, NS, 'flaky');
        return condition(job, 'Failed') ? job : undefined;
      },
      15000,
      'job failed',
    );
    expect(failures).toBe(2);
    expect(condition(failed, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(failed.status).toMatchObject({ failed: 2 });
  });

  it('counts container restarts towards backoffLimit with restartPolicy OnFailure', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.jobs, jobSpec('restarts', { backoffLimit: 2 }, 'OnFailure'));
    const [p] = await eventually(
      async () => ((await jobPods('restarts')).length === 1 ? jobPods('restarts') : undefined),
      10000,
      'pod',
    );
    await markRunning(client, p, false, 2);
    const failed = await eventually(
      async () => {
        const job = await client.get(GVR.jobs, NS, 'restarts');
        return condition(job, 'Failed') ? job : undefined;
      },
      10000,
      'job failed on restarts',
    );
    expect(condition(failed, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    await eventually(
      async () => (await jobPods('restarts')).length === 0 || undefined,
      10000,
      'active pod stopped',
    );
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds and stops its pods', async () => {
    const client = env.sandbox.client;
    await client.create(GVR.jobs, jobSpec('slow', { activeDeadlineSeconds: 1 }));
    await eventually(
      async () => (await jobPods('slow')).length === 1 || undefined,
      10000,
      'pod started',
    );
    const failed = await eventually(
      async () => {
        const job = await client.get(GVR.jobs, NS, 'slow');
        return condition(job, 'Failed') ? job : undefined;
      },
      10000,
      'deadline',
    );
    expect(condition(failed, 'Failed')?.reason).toBe('DeadlineExceeded');
    expect(await jobPods('slow')).toEqual([]);
  });
});

describe('Indexed Job in a real sandbox', () => {
  it('runs one pod per completion index and reports completedIndexes', async () => {
    const client = env.sandbox.client;
    await client.create(
      GVR.jobs,
      jobSpec('indexed', { completionMode: 'Indexed', completions: 3, parallelism: 3 }),
    );
    const started = await eventually(
      async () => {
        const list = await jobPods('indexed');
        return list.length === 3 ? list : undefined;
      },
      10000,
      'three indexed pods',
    );
    const indexes = started
      .map((p) => p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'])
      .sort();
    expect(indexes).toEqual(['0', '1', '2']);
    for (const p of started) await markFinished(client, p, 0);
    const done = await eventually(
      async () => {
        const job = await client.get(GVR.jobs, NS, 'indexed');
        return condition(job, 'Complete') ? job : undefined;
      },
      10000,
      'indexed job complete',
    );
    expect(done.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
  });
});

describe('CronJob controller in a real sandbox', () => {
  it('creates jobs on schedule as the clock moves, honours Forbid, and trims history', async () => {
    const client = cronEnv.sandbox.client;
    await client.create(GVR.cronJobs, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick', namespace: NS },
      spec: {
        schedule: '* * * * *',
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 1,
        jobTemplate: {
          spec: {
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
            },
          },
        },
      },
    });
    const cronJobs = async () =>
      (await client.list(GVR.jobs, { namespace: NS })).items.filter((j) =>
        j.metadata?.ownerReferences?.some((r) => r.name === 'tick'),
      );
    const nextMinute = () => Math.floor(clock.now() / 60000) * 60000 + 60000;

    // The schedule counts from the CronJob's creationTimestamp (real time): start the fake clock
    // there, so the first run is the next minute after creation.
    const created = Date.parse(
      (await client.get(GVR.cronJobs, NS, 'tick'))?.metadata?.creationTimestamp ?? '',
    );
    clock.set(Math.max(clock.now(), created));
    const first = nextMinute();
    clock.set(first + 1000);
    const [job1] = await eventually(
      async () => ((await cronJobs()).length === 1 ? cronJobs() : undefined),
      10000,
      'first run',
    );
    expect(job1?.metadata?.name).toBe(`tick-${first / 60000}`);
    const cj = await eventually(
      async () => {
        const c = await client.get(GVR.cronJobs, NS, 'tick');
        return (c?.status as { active?: unknown[] } | undefined)?.active?.length === 1
          ? c
          : undefined;
      },
      10000,
      'status.active',
    );
    expect((cj.status as { lastScheduleTime: string }).lastScheduleTime).toBe(
      new Date(first).toISOString().replace('.000Z', 'Z'),
    );

    // Forbid: the first job still runs at the next minute, so nothing new starts.
    const second = nextMinute();
    clock.set(second + 1000);
    await new Promise((r) => setTimeout(r, 200));
    expect(await cronJobs()).toHaveLength(1);

    // Once the first job succeeds, the skipped run is still due (no startingDeadlineSeconds) and starts.
    const [pod] = await eventually(
      async () => {
        const { items } = await client.list(GVR.pods, { namespace: NS });
        const mine = items.filter((p) =>
          p.metadata?.ownerReferences?.some((r) => r.name === job1?.metadata?.name),
        );
        return mine.length ? mine : undefined;
      },
      10000,
      'pod of the first job',
    );
    await markFinished(client, pod, 0);
    const secondName = `tick-${second / 60000}`;
    await eventually(
      async () => (await cronJobs()).some((j) => j.metadata?.name === secondName) || undefined,
      10000,
      'the skipped run',
    );
    const status = await eventually(
      async () => {
        const c = await client.get(GVR.cronJobs, NS, 'tick');
        return (c?.status as { lastSuccessfulTime?: string } | undefined)?.lastSuccessfulTime
          ? c
          : undefined;
      },
      10000,
      'lastSuccessfulTime',
    );
    expect(status.status).toMatchObject({
      active: [expect.objectContaining({ name: secondName })],
    });
    const { items: events } = await client.list(GVR.events, { namespace: NS });
    expect(events.map((e) => e.message)).toContain(`Created job ${secondName}`);

    // successfulJobsHistoryLimit: 1 — when the second job succeeds, the first one goes.
    const [pod2] = await eventually(
      async () => {
        const { items } = await client.list(GVR.pods, { namespace: NS });
        const mine = items.filter((p) =>
          p.metadata?.ownerReferences?.some((r) => r.name === secondName),
        );
        return mine.length ? mine : undefined;
      },
      10000,
      'pod of the second job',
    );
    await markFinished(client, pod2, 0);
    await eventually(
      async () => {
        const names = (await cronJobs()).map((j) => j.metadata?.name);
        return names.length === 1 && names[0] === secondName ? true : undefined;
      },
      10000,
      'history trimmed to the newest success',
    );
  });
});
