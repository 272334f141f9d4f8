// End-to-end support: a kube-sandbox cluster whose node runs the operator's Pods as real etcd
// processes (the image map turns quay.io/coreos/etcd into Debian's etcd), the etcd CRDs installed,
// and an operator running in this test process. The operator reaches members at their pod IPs
// (this host routes to the sandbox bridge; cluster DNS names resolve only inside pods), and a
// failpoint ends the in-process "operator" so the test can start a fresh one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '@opsmith/kube-sandbox';
import { etcdResources } from '@opsmith/crd-schemas';
import {
  KubeClient,
  loadKubeConfig,
  Manager,
  silentLogger,
  type KubeObject,
  type SharedInformer,
} from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../../src/api/types.ts';
import { POD } from '../../src/cluster/act.ts';
import {
  addEtcdClusterController,
  MANAGED_SELECTOR,
  type EtcdClusterControllerOptions,
} from '../../src/cluster/controller.ts';
import { ETCD_CLUSTER } from '../../src/cluster/reconciler.ts';
import { ETCD_CLIENT_PORT } from '../../src/cluster/names.ts';
import { Failpoints, parseFailpoints, type Failpoint } from '../../src/failpoints.ts';
import { eventually, requireEtcd } from './local-etcd.ts';

export interface RealCluster {
  cluster: Cluster;
  kube: KubeClient;
  namespace: string;
  newClient(): KubeClient;
  stop(): Promise<void>;
}

/** Starts kube-sandbox with its node (fails with the reason when the node cannot run here). */
export async function startRealCluster(namespace: string): Promise<RealCluster> {
  requireEtcd();
  const dataDir = mkdtempSync(join(tmpdir(), 'etcd-e2e-'));
  let cluster: Cluster;
  try {
    cluster = await startCluster({ dataDir, port: 0, node: true });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`kube-sandbox node cannot run here: ${(err as Error).message}`);
  }
  const newClient = () =>
    new KubeClient({
      kubeConfig: loadKubeConfig(cluster.kubeconfigPath),
      fieldManager: 'etcd-operator',
      retryBaseMs: 50,
      retryMaxMs: 1000,
      maxRetries: 5,
      timeoutMs: 10_000,
    });
  const kube = newClient();
  for (const r of etcdResources) await kube.create(r.crd());
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await eventually(
    'EtcdCluster API served',
    async () => (await kube.list(ETCD_CLUSTER, { namespace })) && true,
    15_000,
  );
  return {
    cluster,
    kube,
    namespace,
    newClient,
    stop: async () => {
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface PodWithIp extends KubeObject {
  status?: { podIP?: string };
}

/** Member client URLs at pod IPs, from the operator's own pod cache. */
export function podIpEndpoints(pods: SharedInformer<PodWithIp>) {
  return (c: EtcdCluster, members: string[]): string[] => {
    const scheme = c.spec.tls?.client ? 'https' : 'http';
    return members.flatMap((m) => {
      const ip = pods.getByName(m, c.metadata.namespace)?.status?.podIP;
      return ip ? [`${scheme}://${ip}:${ETCD_CLIENT_PORT}`] : [];
    });
  };
}

/** The client Service's name: a SAN of every member certificate, for clients dialling pod IPs. */
export function tlsServerName(c: { metadata: { name: string; namespace: string } }): string {
  return `${c.metadata.name}-client.${c.metadata.namespace}.svc`;
}

/** The operator in this process; start() again after a failpoint or stop() = a restarted operator. */
export class InProcessOperator {
  manager: Manager | undefined;
  readonly crashes: Failpoint[] = [];
  readonly #real: RealCluster;

  constructor(real: RealCluster) {
    this.#real = real;
  }

  /** `overrides` replaces reconciler hooks (e.g. `now` for a clock the test controls). */
  async start(
    failpoints = '',
    overrides: EtcdClusterControllerOptions['overrides'] = {},
  ): Promise<Manager> {
    const manager = new Manager({
      client: this.#real.newClient(),
      namespaces: { kind: 'list', namespaces: [this.#real.namespace] },
      logger: silentLogger,
      processMetrics: false,
    });
    const pods = manager.informers.informerFor<PodWithIp>(POD, {
      labelSelector: MANAGED_SELECTOR,
    });
    addEtcdClusterController(manager, {
      failpoints: new Failpoints(parseFailpoints(failpoints), (name) => {
        this.crashes.push(name);
        // Stop this operator where it stands (no graceful hand-off), like a SIGKILL would.
        void manager.stop();
        throw new Error(`failpoint ${name}`);
      }),
      overrides: {
        endpoints: podIpEndpoints(pods),
        etcdTimeoutMs: 3000,
        // At pod IPs, TLS verifies against a name every member certificate carries.
        tlsServerName: (c) => tlsServerName(c),
        ...overrides,
      },
    });
    await manager.start();
    this.manager = manager;
    return manager;
  }

  async stop(): Promise<void> {
    await this.manager?.stop();
    this.manager = undefined;
  }
}

/** An EtcdCluster manifest with version 3.4.23 unless the spec says otherwise. */
export function etcdClusterManifest(
  name: string,
  namespace: string,
  spec: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion: 'etcd.opsmith.io/v1alpha1',
    kind: 'EtcdCluster',
    metadata: { name, namespace },
    spec: { version: '3.4.23', ...spec },
  } as KubeObject;
}

/** Waits until the cluster reports Ready with `size` ready members; returns it. */
export async function waitClusterReady(
  kube: KubeClient,
  namespace: string,
  name: string,
  size: number,
  timeoutMs = 180_000,
): Promise<EtcdCluster> {
  return await eventually(
    `${name} Ready with ${size} members`,
    async () => {
      const c = (await kube.get(ETCD_CLUSTER, name, namespace)) as unknown as EtcdCluster;
      const ready = c.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
      return ready && c.status?.readyMembers === size && c.status.members?.length === size
        ? c
        : undefined;
    },
    timeoutMs,
    500,
  );
}
