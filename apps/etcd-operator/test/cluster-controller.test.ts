// The EtcdCluster controller end to end on an API-only kube-sandbox, with FakeKubelet turning the
// operator's pods into real etcd 3.4 processes: create (MemberAdd before every joining pod), status
// and conditions, an operator killed at failpoints and restarted, and bad input surfacing as
// schema errors or conditions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@opsmith/kube-sandbox';
import { etcdCluster } from '@opsmith/crd-schemas';
import {
  KubeClient,
  loadKubeConfig,
  Manager,
  silentLogger,
  type KubeObject,
} from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../src/api/types.ts';
import { addEtcdClusterController } from '../src/cluster/controller.ts';
import { ETCD_CLUSTER } from '../src/cluster/reconciler.ts';
import { EtcdClient } from '../src/etcd/client.ts';
import { Failpoints, parseFailpoints, type Failpoint } from '../src/failpoints.ts';
import { FakeKubelet } from './support/fake-kubelet.ts';
import { eventually } from './support/local-etcd.ts';

const NS = 'etcd-it';

let sandbox: Sandbox;
let dataDir: string;
let kube: KubeClient;

function newClient(): KubeClient {
  return new KubeClient({
    kubeConfig: loadKubeConfig(sandbox.kubeconfigPath),
    fieldManager: 'etcd-operator',
    retryBaseMs: 50,
    retryMaxMs: 1000,
    maxRetries: 5,
    timeoutMs: 5000,
  });
}

class Operator {
  manager: Manager | undefined;
  crashes: Failpoint[] = [];
  readonly #kubelet: FakeKubelet;

  constructor(kubelet: FakeKubelet) {
    this.#kubelet = kubelet;
  }

  /** Starts a fresh operator process (new manager, caches and timers). */
  async start(failpoints = ''): Promise<void> {
    const manager = new Manager({
      client: newClient(),
      namespaces: { kind: 'list', namespaces: [NS] },
      logger: silentLogger,
      processMetrics: false,
    });
    const kubelet = this.#kubelet;
    addEtcdClusterController(manager, {
      // A failpoint ends this "process": the pass stops right there and the test restarts it.
      failpoints: new Failpoints(parseFailpoints(failpoints), (name) => {
        this.crashes.push(name);
        throw new Error(`failpoint ${name}`);
      }),
      overrides: {
        naming: () => kubelet.naming(),
        endpoints: (_c, names) => kubelet.endpoints(names),
        etcdTimeoutMs: 2000,
      },
    });
    await manager.start();
    this.manager = manager;
  }

  async stop(): Promise<void> {
    await this.manager?.stop();
    this.manager = undefined;
  }
}

function cluster(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'etcd.opsmith.io/v1alpha1',
    kind: 'EtcdCluster',
    metadata: { name, namespace: NS },
    spec: { version: '3.4.23', ...spec },
  } as KubeObject;
}

async function getCluster(name: string): Promise<EtcdCluster> {
  return (await kube.get(ETCD_CLUSTER, name, NS)) as unknown as EtcdCluster;
}

function condition(c: EtcdCluster, type: string) {
  return c.status?.conditions?.find((x) => x.type === type);
}

async function waitReady(name: string, size: number, timeoutMs = 90_000): Promise<EtcdCluster> {
  return await eventually(
    `${name} Ready with ${size} members`,
    async () => {
      const c = await getCluster(name);
      const ok =
        condition(c, 'Ready')?.status === 'True' &&
        c.status?.readyMembers === size &&
        c.status.members?.length === size;
      return ok ? c : undefined;
    },
    timeoutMs,
    300,
  );
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'etcd-operator-sandbox-'));
  sandbox = await startSandbox({ dataDir, port: 0, node: false });
  kube = newClient();
  await kube.create(etcdCluster.crd());
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await eventually(
    'EtcdCluster API served',
    async () => (await kube.list(ETCD_CLUSTER, { namespace: NS })) && true,
    15_000,
  );
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('EtcdCluster controller', () => {
  it('creates a 3-member cluster member by member: MemberAdd before each joining pod', async () => {
    const kubelet = new FakeKubelet(kube, NS);
    await kubelet.reserve('alpha', 6);
    kubelet.start();
    const op = new Operator(kubelet);
    try {
      await op.start();
      await kube.create(cluster('alpha', { size: 3 }));
      const c = await waitReady('alpha', 3);

      // Seed first with state new, then every other member joined an existing cluster; at size
      // the seed is restarted once with "existing" flags (a wiped seed must never re-bootstrap).
      expect(kubelet.started.map((s) => s.state)).toEqual([
        'new',
        'existing',
        'existing',
        'existing',
      ]);
      expect(kubelet.started.map((s) => s.name)).toEqual([
        'alpha-0',
        'alpha-1',
        'alpha-2',
        'alpha-0',
      ]);
      expect(kubelet.violations).toEqual([]);
      expect(c.status?.members?.filter((m) => m.isLeader)).toHaveLength(1);
      expect(c.status?.members?.every((m) => m.healthy && !m.isLearner)).toBe(true);
      expect(c.status?.leaderID).toBe(c.status?.members?.find((m) => m.isLeader)?.id);
      expect(c.status?.currentVersion).toBe('3.4.23');
      expect(c.status?.targetVersion).toBe('3.4.23');
      expect(c.status?.clientService).toBe('alpha-client');
      expect(c.status?.ready).toBe('3/3');
      expect(c.status?.nextOrdinal).toBe(3);
      expect(condition(c, 'Available')?.status).toBe('True');
      expect(condition(c, 'Degraded')?.status).toBe('False');
      expect(condition(c, 'Scaling')?.status).toBe('False');

      // The Services and PDB exist, owned by the cluster.
      const pdb = await kube.get(
        { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
        'alpha',
        NS,
      );
      expect((pdb as { spec?: { minAvailable?: number } }).spec?.minAvailable).toBe(2);
      for (const svc of ['alpha', 'alpha-client']) {
        const s = await kube.get({ apiVersion: 'v1', kind: 'Service' }, svc, NS);
        expect(s.metadata?.ownerReferences?.[0]?.kind).toBe('EtcdCluster');
      }

      // Data written through one member is readable on every member.
      const etcd = new EtcdClient({ endpoints: kubelet.endpoints(['alpha-0']) });
      try {
        await etcd.put('k', 'v');
        for (const e of kubelet.endpoints(['alpha-0', 'alpha-1', 'alpha-2'])) {
          await eventually('replicated', async () =>
            (await etcd.get('k', e)) === 'v' ? true : undefined,
          );
        }
      } finally {
        etcd.close();
      }

      // Scale down to 1: members are removed one at a time, pods and PVCs follow.
      await kube.patch(ETCD_CLUSTER, 'alpha', NS, 'merge', { spec: { size: 1 } });
      const small = await waitReady('alpha', 1);
      expect(small.status?.members?.map((m) => m.name)).toEqual(['alpha-0']);
      const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: NS });
      expect(pods.items.map((p) => p.metadata?.name).sort()).toEqual(['alpha-0']);

      // The last member's pod is deleted (quorum gone): it comes back on its data, same ID.
      const id = small.status?.members?.[0]?.id;
      const startsBefore = kubelet.started.length;
      await kube.delete({ apiVersion: 'v1', kind: 'Pod' }, 'alpha-0', NS);
      const back = await eventually(
        'alpha-0 restarted on its data',
        async () => {
          const c = await getCluster('alpha');
          return kubelet.started.length > startsBefore &&
            condition(c, 'Ready')?.status === 'True' &&
            c.status?.readyMembers === 1
            ? c
            : undefined;
        },
        60_000,
        300,
      );
      expect(back.status?.members?.map((m) => [m.name, m.id])).toEqual([['alpha-0', id]]);
      expect(kubelet.started.at(-1)?.name).toBe('alpha-0');
      await kube.delete(ETCD_CLUSTER, 'alpha', NS);
    } finally {
      await op.stop();
      await kubelet.stop();
    }
  }, 150_000);

  it('converges after the operator is killed right after MemberAdd and right after a pod create', async () => {
    const kubelet = new FakeKubelet(kube, NS);
    await kubelet.reserve('beta', 6);
    kubelet.start();
    const op = new Operator(kubelet);
    try {
      await op.start('afterMemberAdd');
      await kube.create(cluster('beta', { size: 3 }));
      await eventually(
        'crash after MemberAdd',
        async () => (op.crashes.length === 1 ? true : undefined),
        60_000,
      );
      await op.stop();
      await op.start('afterLearnerPod');
      await eventually(
        'crash after the learner pod',
        async () => (op.crashes.length === 2 ? true : undefined),
        60_000,
      );
      await op.stop();
      await op.start();
      const c = await waitReady('beta', 3);
      expect(op.crashes).toEqual(['afterMemberAdd', 'afterLearnerPod']);
      expect(kubelet.violations).toEqual([]);
      // No orphan members, no duplicate pods: exactly the three ordinals, each once.
      expect(c.status?.members?.map((m) => m.name).sort()).toEqual(['beta-0', 'beta-1', 'beta-2']);
      expect(kubelet.started.map((s) => s.name)).toEqual(['beta-0', 'beta-1', 'beta-2', 'beta-0']);
      const etcd = new EtcdClient({ endpoints: kubelet.endpoints(['beta-0']) });
      try {
        const members = await etcd.listMembers();
        expect(members).toHaveLength(3);
        expect(members.every((m) => !m.isLearner)).toBe(true);
      } finally {
        etcd.close();
      }

      // Killed between MemberRemove and the pod delete during a scale-down: the orphan pod and
      // its PVC are cleaned up by the next operator, and the cluster ends at size.
      await op.stop();
      await op.start('afterMemberRemove');
      await kube.patch(ETCD_CLUSTER, 'beta', NS, 'merge', { spec: { size: 1 } });
      await eventually(
        'crash after MemberRemove',
        async () => (op.crashes.length === 3 ? true : undefined),
        60_000,
      );
      await op.stop();
      await op.start();
      const small = await waitReady('beta', 1);
      expect(op.crashes[2]).toBe('afterMemberRemove');
      expect(small.status?.members).toHaveLength(1);
      const left = small.status?.members?.[0]?.name ?? '';
      await eventually('orphans cleaned up', async () => {
        const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: NS });
        const pvcs = await kube.list(
          { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
          { namespace: NS },
        );
        const podNames = pods.items
          .map((p) => p.metadata?.name)
          .filter((n) => n?.startsWith('beta'));
        const pvcNames = pvcs.items
          .map((p) => p.metadata?.name)
          .filter((n) => n?.startsWith('beta'));
        return podNames.join() === left && pvcNames.join() === `${left}-data` ? true : undefined;
      });
      await kube.delete(ETCD_CLUSTER, 'beta', NS);
    } finally {
      await op.stop();
      await kubelet.stop();
    }
  }, 150_000);

  it('rolls an image change member by member, leader last, members keep their IDs', async () => {
    const kubelet = new FakeKubelet(kube, NS);
    await kubelet.reserve('delta', 4);
    kubelet.start();
    const op = new Operator(kubelet);
    try {
      await op.start();
      await kube.create(cluster('delta', { size: 3, image: 'registry.test/etcd:a' }));
      const before = await waitReady('delta', 3);
      const ids = Object.fromEntries((before.status?.members ?? []).map((m) => [m.name, m.id]));
      const leader = before.status?.members?.find((m) => m.isLeader)?.name;
      const startsBefore = kubelet.started.length;

      await kube.patch(ETCD_CLUSTER, 'delta', NS, 'merge', {
        spec: { image: 'registry.test/etcd:b' },
      });
      const after = await eventually(
        'every member rolled to the new image',
        async () => {
          const c = await getCluster('delta');
          const rolled = kubelet.started.slice(startsBefore);
          return rolled.length === 3 &&
            condition(c, 'Ready')?.status === 'True' &&
            c.status?.readyMembers === 3
            ? c
            : undefined;
        },
        90_000,
        300,
      );
      const rolled = kubelet.started.slice(startsBefore);
      expect(rolled.every((r) => r.image === 'registry.test/etcd:b')).toBe(true);
      expect(new Set(rolled.map((r) => r.name)).size).toBe(3);
      // Followers first; the member that led when the change began is rolled last.
      expect(rolled[2]?.name).toBe(leader);
      // Recreated on their data: the same etcd members, no replacements.
      expect(Object.fromEntries((after.status?.members ?? []).map((m) => [m.name, m.id]))).toEqual(
        ids,
      );
      expect(kubelet.violations).toEqual([]);
      await kube.delete(ETCD_CLUSTER, 'delta', NS);
    } finally {
      await op.stop();
      await kubelet.stop();
    }
  }, 150_000);

  it('reports bad input: schema errors name the field, a missing TLS Secret is a condition', async () => {
    for (const [spec, field] of [
      [{ size: 0 }, 'spec.size'],
      [{ size: 10 }, 'spec.size'],
      [{ size: 3, version: 'latest' }, 'spec.version'],
      [{ size: 3, extraArgs: { 'data-dir': '/x' } }, 'spec.extraArgs'],
    ] as const) {
      const err = await kube.create(cluster('bad', spec)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(spec)).toBeInstanceOf(Error);
      expect(String(err)).toContain(field);
    }

    const kubelet = new FakeKubelet(kube, NS);
    await kubelet.reserve('gamma', 1);
    const op = new Operator(kubelet);
    try {
      await op.start();
      await kube.create(
        cluster('gamma', {
          size: 1,
          tls: {
            provider: 'Secrets',
            peer: true,
            client: true,
            peerSecret: 'missing-peer',
            serverSecret: 'missing-server',
            clientSecret: 'missing-client',
          },
        }),
      );
      const c = await eventually('MissingTLSSecret condition', async () => {
        const g = await getCluster('gamma');
        return condition(g, 'Degraded')?.reason === 'MissingTLSSecret' ? g : undefined;
      });
      expect(condition(c, 'Degraded')?.message).toContain('missing-peer');
      expect(condition(c, 'Ready')?.status).toBe('False');
      // Nothing was created for a cluster that cannot start.
      const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: NS });
      expect(pods.items.filter((p) => p.metadata?.name?.startsWith('gamma'))).toEqual([]);
    } finally {
      await op.stop();
      await kubelet.stop();
    }
  }, 60_000);
});
