// Acceptance (issue 7): observability on the real node. The operator's /metrics reports members,
// ready members, availability, leader changes and reconciles per cluster, and forgets a deleted
// cluster; every action leaves an event; an opted-in cluster gets a Monitoring condition naming
// the missing monitoring.coreos.com CRD, then, once the CRD is installed, a ServiceMonitor whose
// selector and port reach the real etcd members' /metrics (what Prometheus would scrape).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Manager, silentLogger, type KubeObject } from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../../src/api/types.ts';
import { POD } from '../../src/cluster/act.ts';
import { addEtcdClusterController, MANAGED_SELECTOR } from '../../src/cluster/controller.ts';
import { ETCD_CLUSTER } from '../../src/cluster/reconciler.ts';
import { EtcdClient } from '../../src/etcd/client.ts';
import { Failpoints, parseFailpoints } from '../../src/failpoints.ts';
import {
  resetServiceMonitorDiscovery,
  SERVICE_MONITOR,
} from '../../src/monitoring/service-monitor.ts';
import { clusterEvents, memberEndpoints } from '../support/e2e-tools.ts';
import { eventually } from '../support/local-etcd.ts';
import {
  etcdClusterManifest,
  podIpEndpoints,
  startRealCluster,
  waitClusterReady,
  type RealCluster,
} from '../support/real-cluster.ts';
import { serviceMonitorCrd } from '../support/service-monitor-crd.ts';

const NS = 'metrics';
const NAME = 'mon';
let real: RealCluster;
let manager: Manager;

beforeAll(async () => {
  real = await startRealCluster(NS);
  // The operator as main.ts wires it (metrics on the Manager's HTTP port), reaching members at
  // their pod IPs from this host.
  manager = new Manager({
    client: real.newClient(),
    namespaces: { kind: 'list', namespaces: [NS] },
    logger: silentLogger,
    httpPort: 0,
    httpHost: '127.0.0.1',
  });
  const pods = manager.informers.informerFor<KubeObject & { status?: { podIP?: string } }>(POD, {
    labelSelector: MANAGED_SELECTOR,
  });
  addEtcdClusterController(manager, {
    failpoints: new Failpoints(parseFailpoints('')),
    overrides: {
      endpoints: podIpEndpoints(pods),
    },
  });
  await manager.start();
  await real.kube.create(
    etcdClusterManifest(NAME, NS, {
      size: 3,
      monitoring: { serviceMonitor: { enabled: true, labels: { release: 'prometheus' } } },
    }),
  );
}, 120_000);

afterAll(async () => {
  await manager?.stop();
  await real?.stop();
}, 60_000);

async function scrape(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${manager.port}/metrics`);
  expect(res.status).toBe(200);
  return await res.text();
}

/** The value of `name{namespace="metrics",cluster="mon"...}`, or undefined. */
function sample(text: string, name: string, extra = ''): number | undefined {
  const re = new RegExp(`^${name}\\{namespace="${NS}",cluster="${NAME}"${extra}\\} (\\S+)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}

const getCluster = async () =>
  (await real.kube.get(ETCD_CLUSTER, NAME, NS)) as unknown as EtcdCluster;
const condition = (c: EtcdCluster, type: string) =>
  c.status?.conditions?.find((x) => x.type === type);

/** Status writes do not trigger a pass; an annotation does (health is polled every 30 s). */
async function nudge(value: string): Promise<void> {
  await real.kube.patch(ETCD_CLUSTER, NAME, NS, 'merge', {
    metadata: { annotations: { 'e2e.opsmith.io/nudge': value } },
  });
}

it('reports the cluster on /metrics and an event for every action', async () => {
  await waitClusterReady(real.kube, NS, NAME, 3, 240_000);
  const text = await eventually(
    'metrics of a ready cluster',
    async () => {
      const t = await scrape();
      return sample(t, 'etcd_operator_cluster_ready_members') === 3 ? t : undefined;
    },
    60_000,
    500,
  );
  expect(sample(text, 'etcd_operator_cluster_members')).toBe(3);
  expect(sample(text, 'etcd_operator_cluster_desired_members')).toBe(3);
  expect(sample(text, 'etcd_operator_cluster_available')).toBe(1);
  for (const action of ['seed', 'addLearner', 'createPod', 'promote', 'none']) {
    expect(
      sample(text, 'etcd_operator_reconciles_total', `,action="${action}"`),
      action,
    ).toBeGreaterThanOrEqual(1);
  }
  expect(text).toMatch(/controller_runtime_reconcile_total\{controller="etcdcluster",result="/);

  const reasons = new Set((await clusterEvents(real.kube, NS, NAME)).map((e) => e.reason));
  for (const r of ['SeedingCluster', 'MemberAdded', 'PodCreated', 'MemberPromoted']) {
    expect(reasons, r).toContain(r);
  }
}, 300_000);

it('counts a leader change', async () => {
  const before = sample(await scrape(), 'etcd_operator_leader_changes_total') ?? 0;
  const endpoints = Object.values(await memberEndpoints(real.kube, NS, NAME));
  const etcd = new EtcdClient({ endpoints, timeoutMs: 5000 });
  try {
    const leader = await etcd.findLeader();
    const members = await etcd.listMembers();
    const to = members.find((m) => m.id !== leader?.memberId);
    await etcd.moveLeader(to!.id);
    await eventually(
      'the new leader in status',
      async () => {
        await nudge(`leader-${Date.now()}`);
        const c = await getCluster();
        return c.status?.leaderID === to!.id ? true : undefined;
      },
      60_000,
      1000,
    );
  } finally {
    etcd.close();
  }
  const after = await eventually(
    'leader_changes_total incremented',
    async () => {
      const v = sample(await scrape(), 'etcd_operator_leader_changes_total') ?? 0;
      return v > before ? v : undefined;
    },
    30_000,
    500,
  );
  expect(after).toBe(before + 1);
}, 120_000);

it('ServiceMonitor: a condition while the CRD is missing, then one that reaches etcd /metrics', async () => {
  const missing = await eventually(
    'Monitoring condition',
    async () => condition(await getCluster(), 'Monitoring'),
    60_000,
    500,
  );
  expect(missing).toMatchObject({ status: 'False', reason: 'ServiceMonitorCRDMissing' });
  expect(missing.message).toContain('monitoring.coreos.com');

  await real.kube.create(serviceMonitorCrd());
  const sm = await eventually(
    'ServiceMonitor created',
    async () => {
      resetServiceMonitorDiscovery(manager.client);
      await nudge(`sm-${Date.now()}`);
      try {
        return await real.kube.get<
          KubeObject & {
            spec: {
              selector: { matchLabels: Record<string, string> };
              endpoints: { port: string }[];
            };
          }
        >(SERVICE_MONITOR, NAME, NS);
      } catch {
        return undefined;
      }
    },
    60_000,
    1000,
  );
  expect(sm.metadata?.labels?.release).toBe('prometheus');
  await eventually(
    'ServiceMonitorApplied event',
    async () =>
      (await clusterEvents(real.kube, NS, NAME)).find((e) => e.reason === 'ServiceMonitorApplied'),
    30_000,
    500,
  );
  await eventually(
    'Monitoring condition True',
    async () => condition(await getCluster(), 'Monitoring')?.status === 'True' || undefined,
    30_000,
    500,
  );

  // Follow the ServiceMonitor like the Prometheus operator would: selector -> Services ->
  // Endpoints' addresses on the named port -> /metrics of each real etcd member.
  const services = await real.kube.list<
    KubeObject & { spec: { ports: { name: string; port: number }[] } }
  >({ apiVersion: 'v1', kind: 'Service' }, { namespace: NS });
  const selected = services.items.filter((s) =>
    Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata?.labels?.[k] === v),
  );
  expect(selected.map((s) => s.metadata?.name)).toEqual([`${NAME}-client`]);
  const portName = sm.spec.endpoints[0].port;
  const endpoints = await real.kube.get<
    KubeObject & {
      subsets?: { addresses?: { ip: string }[]; ports?: { name: string; port: number }[] }[];
    }
  >({ apiVersion: 'v1', kind: 'Endpoints' }, `${NAME}-client`, NS);
  const subset = endpoints.subsets?.find((s) => s.ports?.some((p) => p.name === portName));
  const port = subset?.ports?.find((p) => p.name === portName)?.port;
  expect(port).toBe(2381);
  expect(subset?.addresses).toHaveLength(3);
  for (const a of subset?.addresses ?? []) {
    const res = await fetch(`http://${a.ip}:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^etcd_server_has_leader 1$/m);
  }
}, 180_000);

it('forgets a deleted cluster', async () => {
  await real.kube.delete(ETCD_CLUSTER, NAME, NS);
  await eventually(
    'series of the deleted cluster gone',
    async () => ((await scrape()).includes(`cluster="${NAME}"`) ? undefined : true),
    60_000,
    500,
  );
}, 90_000);
