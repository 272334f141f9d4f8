// Bounded polls for e2e tests: each names what it waited for and the last state it saw, so a
// timeout explains itself. No timing assertions: a wait either sees its condition or fails.
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { NotFoundError, type KubeClient, type KubeObject } from '@opsmith/k8s-runtime';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls fn until it returns a truthy value; fails naming `what` and the last value or error. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? `error: ${err.message}` : err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting for ${what}; last seen: ${describe(last)}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return v;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.slice(0, 2000);
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

type WithConditions = KubeObject & { status?: { conditions?: Condition[] } };

export function findCondition(
  obj: WithConditions | undefined,
  type: string,
): Condition | undefined {
  return obj?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the object has condition `type` with `status` (default "True"); returns the object. */
export async function waitForCondition<T extends KubeObject>(
  client: KubeClient,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
  type: string,
  status = 'True',
  opts: WaitOptions = {},
): Promise<T> {
  let seen: Condition | undefined;
  const where = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  try {
    return await waitFor(
      `${where} condition ${type}=${status}`,
      async () => {
        const obj = await client.get<T>(ref, ref.name, ref.namespace);
        seen = findCondition(obj, type);
        return seen?.status === status ? obj : undefined;
      },
      opts,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; condition: ${JSON.stringify(seen ?? null)}`);
  }
}

/** Waits for a Deployment's Available condition and all replicas updated and available. */
export async function waitForDeploymentAvailable(
  client: KubeClient,
  namespace: string,
  name: string,
  opts: WaitOptions = {},
): Promise<KubeObject> {
  let last: unknown;
  try {
    return await waitFor(
      `Deployment ${namespace}/${name} to be Available`,
      async () => {
        const d = await client.get<
          KubeObject & {
            spec?: { replicas?: number };
            status?: {
              availableReplicas?: number;
              updatedReplicas?: number;
              observedGeneration?: number;
              conditions?: Condition[];
            };
          }
        >({ apiVersion: 'apps/v1', kind: 'Deployment' }, name, namespace);
        last = d.status;
        const want = d.spec?.replicas ?? 1;
        const s = d.status ?? {};
        const ok =
          findCondition(d, 'Available')?.status === 'True' &&
          (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
          (s.updatedReplicas ?? 0) === want &&
          (s.availableReplicas ?? 0) === want;
        return ok ? d : undefined;
      },
      opts,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; status: ${JSON.stringify(last)}`);
  }
}

interface PodLike extends KubeObject {
  status?: { phase?: string; conditions?: Condition[]; containerStatuses?: unknown[] };
}

/** Waits until a pod (by name) or every pod matching a label selector (at least one) is Ready. */
export async function waitForPodReady(
  client: KubeClient,
  namespace: string,
  nameOrSelector: { name: string } | { labelSelector: string },
  opts: WaitOptions = {},
): Promise<PodLike[]> {
  const podType = { apiVersion: 'v1', kind: 'Pod' };
  let last: unknown;
  try {
    return await waitFor(
      `pod ${'name' in nameOrSelector ? nameOrSelector.name : nameOrSelector.labelSelector} in ${namespace} to be Ready`,
      async () => {
        const pods =
          'name' in nameOrSelector
            ? [await client.get<PodLike>(podType, nameOrSelector.name, namespace)]
            : (
                await client.list<PodLike>(podType, {
                  namespace,
                  labelSelector: nameOrSelector.labelSelector,
                })
              ).items;
        last = pods.map((p) => ({
          name: p.metadata?.name,
          phase: p.status?.phase,
          conditions: p.status?.conditions,
        }));
        return pods.length > 0 && pods.every((p) => findCondition(p, 'Ready')?.status === 'True')
          ? pods
          : undefined;
      },
      opts,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; pods: ${JSON.stringify(last)}`);
  }
}

/** Waits until a pod has finished (Succeeded or Failed) and returns it. */
export async function waitForPodCompleted(
  client: KubeClient,
  namespace: string,
  name: string,
  opts: WaitOptions = {},
): Promise<PodLike> {
  let last: unknown;
  try {
    return await waitFor(
      `pod ${namespace}/${name} to finish`,
      async () => {
        const p = await client.get<PodLike>({ apiVersion: 'v1', kind: 'Pod' }, name, namespace);
        last = p.status;
        return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
      },
      opts,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; status: ${JSON.stringify(last)}`);
  }
}

/** A container's log through the API (pods/log), as `kubectl logs` reads it (plain text). */
export async function podLogs(
  client: KubeClient,
  namespace: string,
  name: string,
  container?: string,
): Promise<string> {
  const cluster = client.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(
    `${cluster.server.replace(/\/$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log`,
  );
  if (container) url.searchParams.set('container', container);
  const options: RequestOptions = { method: 'GET', headers: {} };
  await client.kubeConfig.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, options, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        (res.statusCode ?? 500) >= 400
          ? reject(
              new Error(`pods/log ${namespace}/${name}: HTTP ${String(res.statusCode)} ${body}`),
            )
          : resolve(body),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Waits until the object is gone (404). */
export function waitForDeletion(
  client: KubeClient,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
  opts: WaitOptions = {},
): Promise<true> {
  return waitFor(
    `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} to be deleted`,
    async () => {
      try {
        await client.get(ref, ref.name, ref.namespace);
        return false;
      } catch (err) {
        if (err instanceof NotFoundError) return true;
        throw err;
      }
    },
    opts,
  );
}
