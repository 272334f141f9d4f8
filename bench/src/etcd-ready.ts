// Time to a Ready 3-member cluster and time back to full health after a member is killed, on
// kube-sandbox with its node (pods are real etcd processes), the operator running in this process
// and reaching members at their pod IPs. Baselines in the same run, all plain etcd processes on
// loopback with the flags the operator gave its pods (only names, addresses and data dirs differ):
// a script that grows the cluster the way those flags require (first member alone, then each
// next one `etcdctl member add --learner`, started with --initial-cluster-state existing,
// promoted), the same 3 processes bootstrapped statically all at once (a lower bound: growing one
// member at a time, as the operator must, waits for etcd's 5 s connectivity check at each join),
// and a script restarting a killed process at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '@opsmith/kube-sandbox';
import { etcdResources, OWNED_ETCD_FLAGS } from '@opsmith/crd-schemas';
import {
  addEtcdClusterController,
  ETCD_CLIENT_PORT,
  Failpoints,
  MANAGED_SELECTOR,
  parseFailpoints,
  type EtcdCluster,
} from '@opsmith/etcd-operator';
import {
  KubeClient,
  loadKubeConfig,
  Manager,
  silentLogger,
  type KubeObject,
  type SharedInformer,
} from '@opsmith/k8s-runtime';
import { nowMs, summarize, type BenchRow } from './harness.ts';
import { healthy, LocalCluster, requireEtcd, sleep, waitFor } from './etcd-local.ts';

const NS = 'bench';
const POD = { apiVersion: 'v1', kind: 'Pod' };
const ETCD_CLUSTER = { apiVersion: 'etcd.opsmith.io/v1alpha1', kind: 'EtcdCluster' };

interface PodJson extends KubeObject {
  spec?: { containers?: { name: string; args?: string[] }[] };
  status?: { podIP?: string; containerStatuses?: { name: string; restartCount?: number }[] };
}

async function restarts(kube: KubeClient, pod: string): Promise<number> {
  const p = await kube.get<PodJson>(POD, pod, NS);
  return p.status?.containerStatuses?.find((s) => s.name === 'etcd')?.restartCount ?? 0;
}

function newClient(c: Cluster): KubeClient {
  return new KubeClient({
    kubeConfig: loadKubeConfig(c.kubeconfigPath),
    fieldManager: 'etcd-operator',
    retryBaseMs: 50,
    retryMaxMs: 1000,
    maxRetries: 5,
    timeoutMs: 10_000,
  });
}

/** Client URL of a member at its pod IP (the host routes to the node's bridge; DNS does not). */
function podUrl(pods: SharedInformer<PodJson>, name: string): string | undefined {
  const ip = pods.getByName(name, NS)?.status?.podIP;
  return ip ? `http://${ip}:${ETCD_CLIENT_PORT}` : undefined;
}

async function startOperator(
  c: Cluster,
): Promise<{ manager: Manager; pods: SharedInformer<PodJson> }> {
  const manager = new Manager({
    client: newClient(c),
    namespaces: { kind: 'list', namespaces: [NS] },
    logger: silentLogger,
    processMetrics: false,
  });
  const pods = manager.informers.informerFor<PodJson>(POD, { labelSelector: MANAGED_SELECTOR });
  addEtcdClusterController(manager, {
    failpoints: new Failpoints(parseFailpoints('')),
    overrides: {
      endpoints: (_c: EtcdCluster, members: string[]) =>
        members.flatMap((m) => podUrl(pods, m) ?? []),
      etcdTimeoutMs: 3000,
    },
  });
  await manager.start();
  return { manager, pods };
}

async function readyCluster(kube: KubeClient, name: string): Promise<EtcdCluster | undefined> {
  const c = (await kube.get(ETCD_CLUSTER, name, NS)) as unknown as EtcdCluster;
  const ready = c.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
  return ready && c.status?.readyMembers === 3 && c.status.members?.every((m) => m.healthy)
    ? c
    : undefined;
}

async function waitReady(kube: KubeClient, name: string): Promise<EtcdCluster> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const ready = await readyCluster(kube, name);
    if (ready) return ready;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${name} Ready`);
    await sleep(50);
  }
}

/** ETCD_BENCH_VERBOSE: the operator's events for one cluster, with times (where the time went). */
async function printTimeline(kube: KubeClient, cluster: string): Promise<void> {
  const events = await kube.list<
    KubeObject & { eventTime?: string; reason?: string; note?: string }
  >({ apiVersion: 'events.k8s.io/v1', kind: 'Event' }, { namespace: NS });
  for (const e of events.items) {
    if (!e.note?.includes(cluster)) continue;
    console.error(`      ${e.eventTime ?? ''} ${e.reason ?? ''}: ${e.note}`);
  }
}

/** Flags of an operator-made pod minus the ones LocalCluster sets itself (owned by the operator). */
function userFlags(args: string[]): string[] {
  const owned = new Set<string>(OWNED_ETCD_FLAGS);
  return args.filter((a) => !owned.has(a.replace(/^--/, '').split('=')[0] ?? ''));
}

export async function readyAndHeal(quick: boolean): Promise<BenchRow[]> {
  requireEtcd();
  const rounds = quick ? 1 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'bench-etcd-ready-'));
  const cluster = await startCluster({ dataDir: dir, port: 0, node: true });
  const kube = newClient(cluster);
  const node = cluster.node;
  if (!node) throw new Error(`kube-sandbox node not running: ${cluster.noNodeReason ?? 'unknown'}`);
  const op = await startOperator(cluster);
  const times = { ready: [] as number[], kill: [] as number[], delete: [] as number[] };
  const base = { ready: [] as number[], grow: [] as number[], kill: [] as number[] };
  let flags: string[] = [];
  try {
    for (const r of etcdResources) await kube.create(r.crd());
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await sleep(1000);
    for (let r = 0; r < rounds; r++) {
      // The operator: EtcdCluster created -> Ready with 3 healthy members.
      const name = `ready${r}`;
      const t0 = nowMs();
      await kube.create({
        ...ETCD_CLUSTER,
        metadata: { name, namespace: NS },
        spec: { size: 3, version: '3.4.23' },
      } as KubeObject);
      const c = await waitReady(kube, name);
      times.ready.push(nowMs() - t0);
      if (process.env.ETCD_BENCH_VERBOSE) await printTimeline(kube, name);
      const pod = await kube.get<PodJson>(POD, `${name}-0`, NS);
      flags = userFlags(pod.spec?.containers?.find((x) => x.name === 'etcd')?.args ?? []);

      // A follower's etcd process killed: the node restarts it in place (restart policy).
      const follower = c.status?.members?.find((m) => !m.isLeader)?.name ?? `${name}-0`;
      // Health as clients see it: every member's /health at its pod IP (read fresh: a recreated
      // pod may have a new IP).
      const allHealthy = async (cluster: string) => {
        const pods = await kube.list<PodJson>(POD, { namespace: NS });
        const urls = pods.items
          .filter((p) => p.metadata?.name?.startsWith(`${cluster}-`) && p.status?.podIP)
          .map((p) => `http://${p.status?.podIP}:${ETCD_CLIENT_PORT}`);
        return urls.length === 3 && (await Promise.all(urls.map(healthy))).every(Boolean);
      };
      const before = await restarts(kube, follower);
      const t1 = nowMs();
      await node.chaos.killContainer(NS, follower, 'etcd');
      await waitFor(
        'killed member restarted and healthy',
        async () => (await restarts(kube, follower)) > before && (await allHealthy(name)),
        300_000,
      );
      times.kill.push(nowMs() - t1);

      // A follower's pod deleted: the operator recreates it on its PVC (same member).
      const oldUid = (await kube.get(POD, follower, NS)).metadata?.uid;
      const t2 = nowMs();
      await kube.delete(POD, follower, NS, { gracePeriodSeconds: 0 });
      await waitFor(
        'pod recreated and every member healthy',
        async () => {
          const p = await kube.get<PodJson>(POD, follower, NS).catch(() => undefined);
          const fresh = p && p.metadata?.uid !== oldUid && !p.metadata?.deletionTimestamp;
          return Boolean(fresh) && (await allHealthy(name));
        },
        300_000,
      );
      times.delete.push(nowMs() - t2);
      await kube.delete(ETCD_CLUSTER, name, NS);
      console.error(
        `    round ${r}: ready ${Math.round(times.ready[r] ?? 0)} ms, process kill ${Math.round(times.kill[r] ?? 0)} ms, pod delete ${Math.round(times.delete[r] ?? 0)} ms`,
      );

      // The baseline: the same 3 processes, same flags, started together by a script.
      const local = await LocalCluster.create(3, flags);
      try {
        const t3 = nowMs();
        local.startAll();
        await local.waitHealthy();
        base.ready.push(nowMs() - t3);
        // The same processes grown one learner at a time by a script (etcd's own floor).
        const grown = await LocalCluster.create(3, flags);
        try {
          const t5 = nowMs();
          await grown.growByLearners();
          base.grow.push(nowMs() - t5);
        } finally {
          await grown.stop();
        }
        const m = await local.follower();
        const t4 = nowMs();
        await local.kill(m);
        local.start(m);
        await local.waitHealthy();
        base.kill.push(nowMs() - t4);
      } finally {
        await local.stop();
      }
    }
  } finally {
    await op.manager.stop();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const p50 = (xs: number[]) => summarize(xs).p50 / 1000;
  const n = `p50 of ${rounds}`;
  return [
    {
      benchmark: 'etcd',
      metric: `EtcdCluster created -> Ready, 3 members (${n})`,
      value: p50(times.ready),
      unit: 's',
      baseline: p50(base.ready),
      baselineName: 'script starting the same 3 etcd processes at once',
      ratio: p50(times.ready) / p50(base.ready),
    },
    {
      benchmark: 'etcd',
      metric: `EtcdCluster created -> Ready, 3 members (${n})`,
      value: p50(times.ready),
      unit: 's',
      baseline: p50(base.grow),
      baselineName: 'script adding, starting, promoting learners one by one with etcdctl',
      ratio: p50(times.ready) / p50(base.grow),
      goal: '<= 1.3',
    },
    {
      benchmark: 'etcd',
      metric: `member process killed -> all 3 members healthy (${n})`,
      value: p50(times.kill),
      unit: 's',
      baseline: p50(base.kill),
      baselineName: 'script restarting a killed follower at once',
      ratio: p50(times.kill) / p50(base.kill),
    },
    {
      benchmark: 'etcd',
      metric: `member pod deleted -> recreated, all 3 healthy (${n})`,
      value: p50(times.delete),
      unit: 's',
      baseline: p50(base.kill),
      baselineName: 'script restarting a killed follower at once',
      ratio: p50(times.delete) / p50(base.kill),
    },
  ];
}
