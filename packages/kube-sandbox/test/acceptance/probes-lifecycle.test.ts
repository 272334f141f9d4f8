// Acceptance (issue 4): probes and lifecycle with real processes. Failing readiness takes a pod out
// of its Service's Endpoints; failing liveness restarts the container; exit codes and
// CrashLoopBackOff show in container statuses; Jobs succeed and fail (backoffLimit); a CronJob runs;
// an eviction that the PodDisruptionBudget does not allow answers 429.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/controllers/index.ts';
import { realClock } from '../../src/controllers/index.ts';
import type { KubeObject } from '../../src/core/types.ts';
import {
  apiRequest,
  describePod,
  endpointIps,
  GVR,
  isPodReady,
  kubectl,
  listPods,
  pod,
  podStatus,
  startFullSandbox,
  waitFor,
  waitForPodReady,
  type FullSandbox,
} from './helpers.ts';

const NS = 'default';

// The CronJob controller reads time from its clock. Schedules are whole minutes, so the test moves
// this clock forward to two seconds before the next minute instead of waiting up to a minute.
let clockOffsetMs = 0;
const skewedClock: Clock = {
  now: () => Date.now() + clockOffsetMs,
  after: (ms, fn) => realClock.after(ms, fn),
};

let sb: FullSandbox;

beforeAll(async () => {
  sb = await startFullSandbox({
    controllers: { clock: skewedClock, jobBackoffBaseMs: 200 },
    // long enough to see CrashLoopBackOff between runs, short enough for the suite
    node: { backoffBaseMs: 3000, backoffMaxMs: 12_000 },
  });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 60_000);

/** A busybox pod with an emptyDir at /state that exec commands flip probe results with. */
function probedPod(
  name: string,
  labels: Record<string, string>,
  container: Record<string, unknown>,
): KubeObject {
  return pod(
    name,
    {
      containers: [
        {
          name: 'main',
          image: 'busybox',
          volumeMounts: [{ name: 'state', mountPath: '/state' }],
          ...container,
        },
      ],
      volumes: [{ name: 'state', emptyDir: {} }],
    },
    labels,
  );
}

function jobStatus(job: KubeObject | undefined): {
  succeeded?: number;
  failed?: number;
  conditions?: Array<{ type: string; status: string; reason?: string }>;
} {
  const status: ReturnType<typeof jobStatus> = job?.status ?? {};
  return status;
}

function jobCondition(job: KubeObject | undefined, type: string): { reason?: string } | undefined {
  return jobStatus(job).conditions?.find((c) => c.type === type && c.status === 'True');
}

describe('probes and pod lifecycle', () => {
  it('removes a pod whose readiness fails from the Endpoints and adds it back', async () => {
    await sb.client.create(
      GVR.pods,
      probedPod(
        'flip',
        { app: 'flip' },
        {
          command: ['sh', '-c', 'touch /state/ready; exec sleep 3600'],
          readinessProbe: {
            exec: { command: ['test', '-f', '/state/ready'] },
            periodSeconds: 1,
            failureThreshold: 1,
          },
        },
      ),
    );
    await sb.client.create(GVR.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'flip', namespace: NS },
      spec: { selector: { app: 'flip' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const ip = await waitForPodReady(sb, NS, 'flip');
    await waitFor('flip in ready addresses', async () =>
      endpointIps(await sb.client.get(GVR.endpoints, NS, 'flip')).ready.includes(ip),
    );

    await sb.node.exec(NS, 'flip', ['rm', '/state/ready']);
    const unready = await waitFor('flip moved to notReadyAddresses', async () => {
      const eps = endpointIps(await sb.client.get(GVR.endpoints, NS, 'flip'));
      return eps.ready.length === 0 && eps.notReady.includes(ip) ? eps : undefined;
    });
    expect(unready.ready).toEqual([]);
    expect(isPodReady(await sb.client.get(GVR.pods, NS, 'flip'))).toBe(false);

    await sb.node.exec(NS, 'flip', ['touch', '/state/ready']);
    await waitFor('flip ready again', async () =>
      endpointIps(await sb.client.get(GVR.endpoints, NS, 'flip')).ready.includes(ip),
    );
  }, 60_000);

  it('restarts a container whose liveness probe fails', async () => {
    await sb.client.create(
      GVR.pods,
      probedPod(
        'live',
        {},
        {
          // each run recreates the file, so only the run whose file was removed fails
          command: ['sh', '-c', 'touch /state/alive; exec sleep 3600'],
          livenessProbe: {
            exec: { command: ['test', '-f', '/state/alive'] },
            periodSeconds: 1,
            failureThreshold: 2,
          },
        },
      ),
    );
    await waitForPodReady(sb, NS, 'live');
    await sb.node.exec(NS, 'live', ['rm', '/state/alive']);
    const cs = await waitFor('a liveness restart', async () => {
      const c = (await podStatus(sb.client, NS, 'live')).containerStatuses?.[0];
      return c && c.restartCount >= 1 && c.state?.running ? c : undefined;
    });
    // killed by the kubelet: SIGKILL after the grace period, or SIGTERM honoured by sleep
    expect([137, 143]).toContain(cs.lastState?.terminated?.exitCode);
    await waitForPodReady(sb, NS, 'live');
  }, 60_000);

  it('reports exit codes and CrashLoopBackOff', async () => {
    await sb.client.create(
      GVR.pods,
      pod('crasher', {
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'exit 3'] }],
      }),
    );
    await sb.client.create(
      GVR.pods,
      pod('once', {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo bye; exit 7'] }],
      }),
    );
    const crashing = await waitFor('crasher in CrashLoopBackOff', async () => {
      const c = (await podStatus(sb.client, NS, 'crasher')).containerStatuses?.[0];
      return c?.state?.waiting?.reason === 'CrashLoopBackOff' && c.restartCount >= 1
        ? c
        : undefined;
    });
    expect(crashing.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(crashing.ready).toBe(false);

    const once = await waitFor(
      'once failed',
      async () => {
        const s = await podStatus(sb.client, NS, 'once');
        return s.phase === 'Failed' ? s : undefined;
      },
      30_000,
    ).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\n${await describePod(sb, NS, 'once')}`);
    });
    expect(once.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 7,
      reason: 'Error',
    });
    expect(once.containerStatuses?.[0]?.restartCount).toBe(0);
    // logs of the finished container through the API server
    const logs = await kubectl(sb, ['logs', 'once']);
    expect({ code: logs.code, out: logs.stdout }).toEqual({ code: 0, out: 'bye\n' });
  }, 60_000);

  it('completes a Job and fails one past its backoffLimit', async () => {
    const job = (name: string, script: string, extra: Record<string, unknown>): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: NS },
      spec: {
        ...extra,
        template: {
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }],
          },
        },
      },
    });
    await sb.client.create(GVR.jobs, job('works', 'echo done', { completions: 2, parallelism: 2 }));
    await sb.client.create(GVR.jobs, job('breaks', 'exit 1', { backoffLimit: 1 }));

    const done = await waitFor(
      'job works Complete',
      async () => {
        const j = await sb.client.get(GVR.jobs, NS, 'works');
        return jobCondition(j, 'Complete') ? j : undefined;
      },
      45_000,
    );
    expect(jobStatus(done).succeeded).toBe(2);
    const pods = await listPods(sb.client, NS, 'job-name=works');
    expect(pods.map((p) => (p.status as { phase?: string }).phase)).toEqual([
      'Succeeded',
      'Succeeded',
    ]);

    const failed = await waitFor(
      'job breaks Failed',
      async () => {
        const j = await sb.client.get(GVR.jobs, NS, 'breaks');
        return jobCondition(j, 'Failed') ? j : undefined;
      },
      45_000,
    );
    expect(jobCondition(failed, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    // backoffLimit 1: the first failure is retried once, the second ends the Job
    expect(jobStatus(failed).failed).toBe(2);
  }, 100_000);

  it('runs a CronJob on its schedule', async () => {
    const toNextMinute = 60_000 - (Date.now() % 60_000);
    clockOffsetMs = Math.max(0, toNextMinute - 2000);
    await sb.client.create(GVR.cronjobs, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick', namespace: NS },
      spec: {
        schedule: '* * * * *',
        concurrencyPolicy: 'Forbid',
        jobTemplate: {
          spec: {
            template: {
              spec: {
                restartPolicy: 'Never',
                automountServiceAccountToken: false,
                containers: [
                  { name: 'main', image: 'busybox', command: ['sh', '-c', 'echo tick'] },
                ],
              },
            },
          },
        },
      },
    });
    const run = await waitFor(
      'a Job of the CronJob completed',
      async () => {
        const jobs = (await sb.client.list(GVR.jobs, { namespace: NS })).items.filter((j) =>
          (j.metadata?.ownerReferences ?? []).some(
            (r) => r.kind === 'CronJob' && r.name === 'tick',
          ),
        );
        return jobs.find((j) => jobCondition(j, 'Complete'));
      },
      45_000,
    );
    expect(run.metadata?.name).toMatch(/^tick-\d+$/);
    const cj = await waitFor('CronJob status updated', async () => {
      const c = await sb.client.get(GVR.cronjobs, NS, 'tick');
      const st = (c?.status ?? {}) as { lastScheduleTime?: string; lastSuccessfulTime?: string };
      return st.lastScheduleTime && st.lastSuccessfulTime ? st : undefined;
    });
    expect(Date.parse(cj.lastScheduleTime ?? '') % 60_000).toBe(0);
  }, 60_000);

  it('answers 429 to an eviction the PodDisruptionBudget does not allow', async () => {
    await sb.client.create(GVR.deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'guarded', namespace: NS },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'guarded' } },
        template: {
          metadata: { labels: { app: 'guarded' } },
          spec: {
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
          },
        },
      },
    });
    await sb.client.create(GVR.pdbs, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'guarded', namespace: NS },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'guarded' } } },
    });
    await waitFor(
      'PDB sees 2 healthy pods',
      async () => {
        const p = await sb.client.get(GVR.pdbs, NS, 'guarded');
        const st = (p?.status ?? {}) as { currentHealthy?: number; disruptionsAllowed?: number };
        return st.currentHealthy === 2 && st.disruptionsAllowed === 0;
      },
      40_000,
    );
    const victim = (await listPods(sb.client, NS, 'app=guarded'))[0]?.metadata?.name ?? '';
    const evict = (): Promise<{ status: number; json: Record<string, unknown> }> =>
      apiRequest(sb.sandbox, 'POST', `/api/v1/namespaces/${NS}/pods/${victim}/eviction`, {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: victim, namespace: NS },
      });
    const blocked = await evict();
    expect(blocked.status).toBe(429);
    expect(blocked.json).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    expect(blocked.json.message).toBe(
      "Cannot evict pod as it would violate the pod's disruption budget.",
    );
    // like the real server: the cause names the budget and its numbers
    expect(JSON.stringify(blocked.json.details)).toContain(
      'The disruption budget guarded needs 2 healthy pods and has 2 currently',
    );

    // once the budget allows one disruption, the same eviction goes through
    await sb.client.patch(GVR.pdbs, NS, 'guarded', 'merge', { spec: { minAvailable: 1 } });
    await waitFor('PDB allows 1 disruption', async () => {
      const p = await sb.client.get(GVR.pdbs, NS, 'guarded');
      return (p?.status as { disruptionsAllowed?: number } | undefined)?.disruptionsAllowed === 1;
    });
    const allowed = await evict();
    expect(allowed.status).toBe(201);
    await waitFor('evicted pod gone or terminating', async () => {
      const p = await sb.client.get(GVR.pods, NS, victim);
      return !p || Boolean(p.metadata?.deletionTimestamp);
    });
  }, 80_000);
});
