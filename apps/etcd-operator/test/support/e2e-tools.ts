// Tools for the e2e scenarios on the real node: member pods and their IPs, an etcdctl pod inside
// the cluster network (for the client Service), a writer that remembers every acknowledged write,
// the events the operator recorded, and the "converged" check (members = pods = PVCs = size).
import { spawn } from 'node:child_process';
import type { KubeClient, KubeObject } from '@opsmith/k8s-runtime';
import { EtcdClient } from '../../src/etcd/client.ts';
import { POD, PVC } from '../../src/cluster/act.ts';
import { memberOrdinal, pvcName } from '../../src/cluster/names.ts';
import { LABEL_CLUSTER } from '../../src/cluster/pods.ts';
import { eventually, ETCDCTL_BIN } from './local-etcd.ts';
import { waitClusterReady, type RealCluster } from './real-cluster.ts';

export interface PodView extends KubeObject {
  metadata: KubeObject['metadata'] & { name: string; deletionTimestamp?: string };
  status?: {
    podIP?: string;
    phase?: string;
    containerStatuses?: { restartCount?: number }[];
  };
}

/** The cluster's member pods (not terminating), by name. */
export async function memberPods(
  kube: KubeClient,
  namespace: string,
  cluster: string,
): Promise<PodView[]> {
  const list = await kube.list<PodView>(POD, {
    namespace,
    labelSelector: `${LABEL_CLUSTER}=${cluster}`,
  });
  return list.items
    .filter((p) => memberOrdinal(cluster, p.metadata.name) !== undefined)
    .sort(
      (a, b) =>
        (memberOrdinal(cluster, a.metadata.name) ?? 0) -
        (memberOrdinal(cluster, b.metadata.name) ?? 0),
    );
}

/** http://<podIP>:2379 of every running member pod. */
export async function memberEndpoints(
  kube: KubeClient,
  namespace: string,
  cluster: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of await memberPods(kube, namespace, cluster)) {
    if (p.status?.podIP && !p.metadata.deletionTimestamp) {
      out[p.metadata.name] = `http://${p.status.podIP}:2379`;
    }
  }
  return out;
}

export async function etcdClientFor(
  kube: KubeClient,
  namespace: string,
  cluster: string,
): Promise<EtcdClient> {
  const endpoints = Object.values(await memberEndpoints(kube, namespace, cluster));
  if (endpoints.length === 0) throw new Error(`${cluster}: no member pod has an IP`);
  return new EtcdClient({ endpoints, timeoutMs: 3000 });
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the host's etcdctl (reaches pod IPs through the sandbox bridge). */
export async function hostEtcdctl(args: string[], timeoutMs = 20_000): Promise<Run> {
  return await new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL_BIN, args, {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A pod of the etcd image that only sleeps: etcdctl from inside the cluster network. */
export class ClientPod {
  readonly #real: RealCluster;
  readonly namespace: string;
  readonly name: string;

  private constructor(real: RealCluster, namespace: string, name: string) {
    this.#real = real;
    this.namespace = namespace;
    this.name = name;
  }

  static async start(real: RealCluster, namespace: string, name = 'etcdctl'): Promise<ClientPod> {
    await real.kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace },
      spec: {
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'etcdctl',
            image: 'quay.io/coreos/etcd:v3.4.23',
            command: ['/bin/sh', '-c', 'exec sleep 100000'],
          },
        ],
      },
    } as KubeObject);
    await eventually(
      `pod ${name} running`,
      async () => {
        const p = (await real.kube.get(POD, name, namespace)) as unknown as PodView;
        return p.status?.phase === 'Running' ? true : undefined;
      },
      60_000,
      300,
    );
    return new ClientPod(real, namespace, name);
  }

  async etcdctl(args: string[]): Promise<Run> {
    return await nodeOf(this.#real).exec(
      this.namespace,
      this.name,
      ['/usr/local/bin/etcdctl', '--dial-timeout=3s', '--command-timeout=5s', ...args],
      { timeoutMs: 20_000 },
    );
  }
}

/** The client Service's in-cluster URL. */
export function serviceEndpoint(namespace: string, cluster: string): string {
  return `http://${cluster}-client.${namespace}.svc.cluster.local:2379`;
}

/**
 * Writes `<prefix>/<n>` keys one after another until stopped, remembering every write etcd
 * acknowledged. Endpoints are re-read from the member pods after a failure (members come and go).
 */
export class Writer {
  readonly acked: string[] = [];
  failures = 0;
  readonly #kube: KubeClient;
  readonly #namespace: string;
  readonly #cluster: string;
  readonly #prefix: string;
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(kube: KubeClient, namespace: string, cluster: string, prefix: string) {
    this.#kube = kube;
    this.#namespace = namespace;
    this.#cluster = cluster;
    this.#prefix = prefix;
  }

  start(): this {
    this.#loop = this.#run();
    return this;
  }

  async #run(): Promise<void> {
    let client: EtcdClient | undefined;
    let n = 0;
    while (!this.#stopped) {
      try {
        client ??= await etcdClientFor(this.#kube, this.#namespace, this.#cluster);
        const key = `${this.#prefix}/${String(n).padStart(6, '0')}`;
        await client.put(key, `value-${n}`);
        this.acked.push(key);
        n++;
        await sleep(20);
      } catch {
        this.failures++;
        client?.close();
        client = undefined;
        await sleep(200);
      }
    }
    client?.close();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  /** Acknowledged keys that a linearizable read no longer finds (should be none). */
  async missing(): Promise<string[]> {
    const endpoints = Object.values(
      await memberEndpoints(this.#kube, this.#namespace, this.#cluster),
    );
    const r = await eventually(
      'etcdctl get of the written keys',
      async () => {
        const run = await hostEtcdctl([
          `--endpoints=${endpoints.join(',')}`,
          '--command-timeout=15s',
          'get',
          `${this.#prefix}/`,
          '--prefix',
          '--keys-only',
        ]);
        return run.code === 0 ? run : undefined;
      },
      30_000,
      1000,
    );
    const present = new Set(r.stdout.split('\n').filter(Boolean));
    return this.acked.filter((k) => !present.has(k));
  }
}

export interface EventView {
  reason: string;
  note: string;
  time: number;
}

/** Events the operator recorded about one EtcdCluster, oldest first. */
export async function clusterEvents(
  kube: KubeClient,
  namespace: string,
  cluster: string,
): Promise<EventView[]> {
  interface Ev extends KubeObject {
    reason?: string;
    note?: string;
    eventTime?: string;
    regarding?: { kind?: string; name?: string };
  }
  const list = await kube.list<Ev>(
    { apiVersion: 'events.k8s.io/v1', kind: 'Event' },
    { namespace },
  );
  return list.items
    .filter((e) => e.regarding?.kind === 'EtcdCluster' && e.regarding.name === cluster)
    .map((e) => ({
      reason: e.reason ?? '',
      note: e.note ?? '',
      time: Date.parse(e.eventTime ?? '') || 0,
    }))
    .sort((a, b) => a.time - b.time);
}

export interface Converged {
  /** Member name -> etcd member ID. */
  ids: Record<string, string>;
  endpoints: Record<string, string>;
}

/**
 * Ready at `size`, and etcd's member list, the member pods and the PVCs name exactly the same
 * `size` members (no orphan member, pod or PVC; no duplicate; no learner left over).
 */
export async function waitConverged(
  real: RealCluster,
  namespace: string,
  cluster: string,
  size: number,
  timeoutMs = 180_000,
): Promise<Converged> {
  await waitClusterReady(real.kube, namespace, cluster, size, timeoutMs);
  let last = '';
  try {
    return await eventually(
      `${cluster}: members, pods and PVCs agree at size ${size}`,
      async () => {
        const endpoints = await memberEndpoints(real.kube, namespace, cluster);
        const pods = (await memberPods(real.kube, namespace, cluster)).map((p) => p.metadata.name);
        const pvcs = (
          await real.kube.list(PVC, { namespace, labelSelector: `${LABEL_CLUSTER}=${cluster}` })
        ).items.map((p) => p.metadata?.name ?? '');
        const client = new EtcdClient({ endpoints: Object.values(endpoints), timeoutMs: 3000 });
        try {
          const members = await client.listMembers();
          const names = members.map((m) => m.name).sort();
          const health = await Promise.all(Object.values(endpoints).map((e) => client.health(e)));
          last = JSON.stringify({
            names,
            pods,
            pvcs,
            learners: members.filter((m) => m.isLearner).length,
          });
          const ok =
            members.length === size &&
            members.every((m) => !m.isLearner && m.name !== '') &&
            pods.length === size &&
            same(names, pods) &&
            same(
              pvcs,
              names.map((n) => pvcName(n)),
            ) &&
            health.length === size &&
            health.every((h) => h.healthy);
          return ok
            ? { ids: Object.fromEntries(members.map((m) => [m.name, m.id])), endpoints }
            : undefined;
        } finally {
          client.close();
        }
      },
      timeoutMs,
      500,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen ${last}`);
  }
}

function same(a: string[], b: string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** hashKV of every member at the first member's latest revision (same data = same hash). */
export async function hashesAtOneRevision(endpoints: string[]): Promise<string[]> {
  const client = new EtcdClient({ endpoints, timeoutMs: 5000 });
  try {
    const revision = (await client.hashKV(endpoints[0])).revision;
    // A member still applying that revision answers "future revision": eventually retries.
    return await eventually(
      `hashKV at revision ${revision} on every member`,
      async () =>
        (await Promise.all(endpoints.map((e) => client.hashKV(e, revision)))).map((h) => h.hash),
      15_000,
      300,
    );
  } finally {
    client.close();
  }
}

/** The sandbox's node (chaos, exec); the e2e tests need it. */
export function nodeOf(real: RealCluster): NonNullable<RealCluster['cluster']['node']> {
  const node = real.cluster.node;
  if (!node) throw new Error(`the sandbox runs without a node: ${real.cluster.noNodeReason ?? ''}`);
  return node;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
