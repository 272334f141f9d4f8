// Plays the kubelet in controller tests: moves pods to Running/Ready, Succeeded or Failed through
// the status subresource and completes graceful deletions, so controllers are proven without a node.
import type { SandboxClient } from '../../core/contracts.ts';
import type { KubeObject } from '../../core/types.ts';
import { GVR } from '../gvr.ts';

let nextIp = 10;

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

async function setStatus(
  client: SandboxClient,
  pod: KubeObject,
  status: Record<string, unknown>,
): Promise<KubeObject | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const fresh = await client.get(GVR.pods, pod.metadata?.namespace, pod.metadata?.name ?? '');
    if (!fresh || fresh.metadata?.uid !== pod.metadata?.uid) return undefined;
    try {
      return await client.update(GVR.pods, { ...fresh, status }, { subresource: 'status' });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
  return undefined;
}

export function runningStatus(ready: boolean, ip: string, restarts = 0): Record<string, unknown> {
  const t = nowIso();
  const cond = (type: string, status: boolean) => ({
    type,
    status: status ? 'True' : 'False',
    lastTransitionTime: t,
    lastProbeTime: null,
  });
  return {
    phase: 'Running',
    hostIP: '10.0.0.1',
    podIP: ip,
    podIPs: [{ ip }],
    startTime: t,
    conditions: [
      cond('PodScheduled', true),
      cond('Initialized', true),
      cond('ContainersReady', ready),
      cond('Ready', ready),
    ],
    containerStatuses: [
      {
        name: 'c',
        ready,
        restartCount: restarts,
        image: 'x',
        imageID: '',
        started: true,
        state: { running: { startedAt: t } },
      },
    ],
  };
}

export async function markRunning(
  client: SandboxClient,
  pod: KubeObject,
  ready = true,
  restarts = 0,
): Promise<KubeObject | undefined> {
  const existing = (pod.status as { podIP?: string } | undefined)?.podIP;
  return setStatus(
    client,
    pod,
    runningStatus(ready, existing ?? `10.244.0.${nextIp++ % 250}`, restarts),
  );
}

export async function markFinished(
  client: SandboxClient,
  pod: KubeObject,
  exitCode: number,
): Promise<KubeObject | undefined> {
  const t = nowIso();
  return setStatus(client, pod, {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    startTime: t,
    conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: t, reason: 'PodCompleted' }],
    containerStatuses: [
      {
        name: 'c',
        ready: false,
        restartCount: 0,
        image: 'x',
        imageID: '',
        state: {
          terminated: {
            exitCode,
            reason: exitCode === 0 ? 'Completed' : 'Error',
            startedAt: t,
            finishedAt: t,
          },
        },
      },
    ],
  });
}

/** Marks every pod matching `filter` Running and Ready (those not ready yet) and finishes graceful deletions. */
export async function readyAll(
  client: SandboxClient,
  namespace: string,
  filter: (p: KubeObject) => boolean = () => true,
): Promise<number> {
  const { items } = await client.list(GVR.pods, { namespace });
  let changed = 0;
  for (const p of items) {
    if (p.metadata?.deletionTimestamp) {
      await client
        .delete(GVR.pods, namespace, p.metadata.name ?? '', { gracePeriodSeconds: 0 })
        .catch(() => undefined);
      continue;
    }
    const status = p.status as
      | { phase?: string; conditions?: { type: string; status: string }[] }
      | undefined;
    if (!filter(p) || status?.phase === 'Succeeded' || status?.phase === 'Failed') continue;
    if (status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    await markRunning(client, p, true);
    changed++;
  }
  return changed;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after timeoutMs. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      // A failed expect() inside the check is a verdict, not a reason to wait.
      if ((err as { name?: string } | undefined)?.name === 'AssertionError') throw err;
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
