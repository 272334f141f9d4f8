// The `helm install` path of the etcd operator, end to end: the umbrella chart rendered with its
// defaults and applied to kube-sandbox, where the operator runs as a pod from its image mapping
// with exactly the chart's RBAC and in-cluster config; examples/etcd-cluster.yaml becomes Ready;
// deleting everything the chart rendered leaves the etcd cluster serving; re-installing adopts it
// without restarting a member, and so does an upgrade. And the chart's RBAC is what the operator
// gets: without one rule it reports the Forbidden error and never turns Ready.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildChartRenderer, renderChart } from '@opsmith/chart-render';
import type { KubeClient, KubeObject } from '@opsmith/k8s-runtime';
import {
  installRendered,
  podLogs,
  remainingObjects,
  startE2eSandbox,
  uninstallRendered,
  waitFor,
  waitForCondition,
  waitForDeploymentAvailable,
  type E2eSandbox,
} from '../src/index.ts';

const execFileAsync = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const umbrella = join(repo, 'charts', 'opsmith');
const operatorChart = join(repo, 'charts', 'etcd-operator');
const ETCD_CLUSTER = { apiVersion: 'etcd.opsmith.io/v1alpha1', kind: 'EtcdCluster' };
const POD = { apiVersion: 'v1', kind: 'Pod' };

interface PodLike extends KubeObject {
  spec?: {
    serviceAccountName?: string;
    securityContext?: Record<string, unknown>;
    containers: {
      image: string;
      args?: string[];
      env?: { name: string }[];
      securityContext?: Record<string, unknown>;
    }[];
    volumes?: { name: string }[];
  };
  status?: {
    podIP?: string;
    containerStatuses?: { restartCount: number }[];
    conditions?: { type: string; status: string }[];
  };
}

let sandbox: E2eSandbox;

beforeAll(async () => {
  buildChartRenderer();
  sandbox = await startE2eSandbox();
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
});

async function operatorPods(client: KubeClient, namespace: string): Promise<PodLike[]> {
  const list = await client.list<PodLike>(POD, {
    namespace,
    labelSelector: 'app.kubernetes.io/name=etcd-operator,app.kubernetes.io/component=operator',
  });
  return list.items;
}

/** `etcdctl` from this host against a member's pod IP (the host routes to the sandbox bridge). */
async function etcdctl(endpoint: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(
      'etcdctl',
      [`--endpoints=${endpoint}`, '--dial-timeout=3s', '--command-timeout=5s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' } },
    );
    return stdout;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new Error('etcdctl is missing: run scripts/ensure-tools (as root) to install etcd');
    }
    throw err;
  }
}

/** The members' pods by name: uid, restart count and a client endpoint. */
async function members(client: KubeClient, namespace: string, name: string) {
  const pods = await client.list<PodLike>(POD, {
    namespace,
    labelSelector: `app.kubernetes.io/name=etcd,app.kubernetes.io/instance=${name}`,
  });
  return Object.fromEntries(
    pods.items.map((p) => [
      p.metadata?.name ?? '',
      {
        uid: p.metadata?.uid,
        restarts: (p.status?.containerStatuses ?? []).map((c) => c.restartCount),
        endpoint: `http://${p.status?.podIP ?? 'no-ip'}:2379`,
      },
    ]),
  );
}

describe('umbrella chart with the etcd operator on kube-sandbox', () => {
  it('installs with defaults, runs the example cluster, survives uninstall, is adopted on re-install and upgrade', async () => {
    expect(
      sandbox.node,
      'pods only run with the kube-sandbox node, which needs root (CI runs tests as root)',
    ).toBe(true);
    const client = sandbox.client;
    const namespace = 'opsmith-system';
    const { objects } = await renderChart(umbrella, { releaseName: 'opsmith', namespace });
    expect(
      objects.map((o) => `${String(o.kind)}/${(o.metadata as { name: string }).name}`),
    ).toEqual([
      'CustomResourceDefinition/etcdbackups.etcd.opsmith.io',
      'CustomResourceDefinition/etcdclusters.etcd.opsmith.io',
      'CustomResourceDefinition/etcdrestores.etcd.opsmith.io',
      'ServiceAccount/opsmith-etcd-operator',
      'ClusterRole/opsmith-etcd-operator',
      'ClusterRoleBinding/opsmith-etcd-operator',
      'Role/opsmith-etcd-operator-leader-election',
      'RoleBinding/opsmith-etcd-operator-leader-election',
      'Service/opsmith-etcd-operator-metrics',
      'Service/opsmith-etcd-operator-redis',
      'Deployment/opsmith-etcd-operator',
      'StatefulSet/opsmith-etcd-operator-redis',
    ]);

    await installRendered(client, objects, { namespace });
    await waitForDeploymentAvailable(client, namespace, 'opsmith-etcd-operator', {
      timeoutMs: 90_000,
    });
    const [pod] = await operatorPods(client, namespace);
    // The pod the chart describes: the mapped image, its own service account, no kubeconfig
    // (in-cluster config from the mounted token), hardened security contexts.
    expect(pod.spec?.serviceAccountName).toBe('opsmith-etcd-operator');
    const container = pod.spec?.containers[0];
    expect(container?.image).toBe('ghcr.io/opsmith/etcd-operator:0.1.0');
    expect(container?.env?.map((e) => e.name)).not.toContain('KUBECONFIG');
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // It talks to the API server as itself: it holds the Lease under its pod name.
    const lease = await waitFor('the operator to hold its Lease', async () => {
      const l = await client.get<KubeObject & { spec?: { holderIdentity?: string } }>(
        { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
        'opsmith-etcd-operator',
        namespace,
      );
      return l.spec?.holderIdentity?.startsWith(pod.metadata?.name ?? '?') ? l : undefined;
    });
    expect(lease.spec?.holderIdentity).toContain(pod.metadata?.name);

    // The example, as a user applies it.
    const example = parse(readFileSync(join(repo, 'examples', 'etcd-cluster.yaml'), 'utf8')) as {
      metadata: { name: string; namespace?: string };
    };
    const clusterNs = 'demo';
    const name = example.metadata.name;
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: clusterNs } });
    await client.create({ ...example, metadata: { ...example.metadata, namespace: clusterNs } });
    const ref = { ...ETCD_CLUSTER, name, namespace: clusterNs };
    const operatorLogs = () => podLogs(client, namespace, pod.metadata?.name ?? '').catch(String);
    await waitForCondition(client, ref, 'Ready', 'True', { timeoutMs: 180_000 }).catch(
      async (err: Error) => {
        throw new Error(`${err.message}\noperator logs:\n${(await operatorLogs()).slice(-4000)}`);
      },
    );
    // Everything it did, it was allowed to do.
    expect(await operatorLogs()).not.toMatch(/forbidden/i);
    const before = await members(client, clusterNs, name);
    expect(Object.keys(before).sort()).toEqual([`${name}-0`, `${name}-1`, `${name}-2`]);
    await etcdctl(before[`${name}-0`].endpoint, 'put', 'greeting', 'hello');

    // Uninstall: everything the chart rendered goes (CRDs stay, as with Helm); etcd keeps serving.
    await uninstallRendered(client, objects, { namespace, timeoutMs: 90_000 });
    expect(await remainingObjects(client, objects, { namespace })).toEqual([]);
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
    expect((await client.get(crd, 'etcdclusters.etcd.opsmith.io')).metadata?.name).toBeDefined();
    expect((await client.get(ETCD_CLUSTER, name, clusterNs)).metadata?.name).toBe(name);
    expect(await operatorPods(client, namespace)).toEqual([]);
    for (const m of Object.values(before)) {
      expect(await etcdctl(m.endpoint, 'get', 'greeting', '--print-value-only')).toBe('hello\n');
    }
    await etcdctl(before[`${name}-1`].endpoint, 'put', 'greeting', 'still serving');
    expect(await members(client, clusterNs, name)).toEqual(before);

    // Re-install: the new operator adopts the cluster. Proof it manages it: a deleted client
    // Service comes back. Proof it adopted rather than rebuilt: same pods, no restarts.
    await installRendered(client, objects, { namespace });
    await waitForDeploymentAvailable(client, namespace, 'opsmith-etcd-operator', {
      timeoutMs: 90_000,
    });
    const service = { apiVersion: 'v1', kind: 'Service' };
    const clientService = `${name}-client`;
    const oldUid = (await client.get(service, clientService, clusterNs)).metadata?.uid;
    await client.delete(service, clientService, clusterNs);
    await waitFor(`the operator to re-create Service ${clientService}`, async () => {
      const s = await client.get(service, clientService, clusterNs).catch(() => undefined);
      return s && s.metadata?.uid !== oldUid;
    });
    await waitForCondition(client, ref, 'Ready', 'True', { timeoutMs: 60_000 });
    expect(await members(client, clusterNs, name)).toEqual(before);
    expect(
      await etcdctl(before[`${name}-2`].endpoint, 'get', 'greeting', '--print-value-only'),
    ).toBe('still serving\n');

    // Upgrade as docs/install.md says (CRDs first, server-side; then the release with new
    // values): the operator rolls to a new pod, which adopts the cluster just the same.
    const [before1] = await operatorPods(client, namespace);
    const upgraded = (
      await renderChart(umbrella, {
        releaseName: 'opsmith',
        namespace,
        set: ['etcd-operator.logLevel=debug'],
      })
    ).objects;
    await installRendered(client, upgraded, { namespace });
    const [after] = await waitFor(
      'the upgraded operator pod to be the only one, Ready',
      async () => {
        const pods = await operatorPods(client, namespace);
        return pods.length === 1 &&
          pods[0].metadata?.uid !== before1.metadata?.uid &&
          pods[0].status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? pods
          : undefined;
      },
    );
    expect(after.spec?.containers[0].args).toContain('--log-level=debug');
    await waitForCondition(client, ref, 'Ready', 'True', { timeoutMs: 60_000 });
    expect(await members(client, clusterNs, name)).toEqual(before);

    await uninstallRendered(client, upgraded, { namespace, timeoutMs: 90_000 });
    await client.delete(ETCD_CLUSTER, name, clusterNs);
  }, 300_000);

  it('without one rule of its Role, the operator reports the Forbidden error and never turns Ready', async () => {
    const client = sandbox.client;
    const namespace = 'limited-system';
    const watched = 'rbac-demo';
    // The operator chart on its own, watching one namespace: a Role and RoleBinding there.
    const { objects } = await renderChart(operatorChart, {
      releaseName: 'limited',
      namespace,
      set: [`watchNamespaces={${watched}}`],
    });
    const role = objects.find(
      (o) => o.kind === 'Role' && (o.metadata as { namespace?: string }).namespace === watched,
    ) as { rules: { resources: string[] }[] } | undefined;
    expect(role, 'a Role in the watched namespace').toBeDefined();
    const rules = role?.rules ?? [];
    const kept = rules.filter((r) => !r.resources.includes('poddisruptionbudgets'));
    expect(kept).toHaveLength(rules.length - 1);
    if (role) role.rules = kept;
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: watched } });
    await installRendered(client, objects, { namespace });

    const logs = await waitFor('the operator to log the Forbidden error', async () => {
      const [pod] = await operatorPods(client, namespace);
      if (!pod?.metadata?.name) return undefined;
      const text = await podLogs(client, namespace, pod.metadata.name).catch(() => '');
      return text.includes('is forbidden') ? text : undefined;
    });
    expect(logs).toContain(
      `poddisruptionbudgets.policy is forbidden: User \\"system:serviceaccount:${namespace}:limited-etcd-operator\\" cannot list resource \\"poddisruptionbudgets\\" in API group \\"policy\\" in the namespace \\"${watched}\\"`,
    );
    // Its caches never sync, so /readyz answers 503 and the pod is not Ready.
    const [pod] = await operatorPods(client, namespace);
    const readyz = await fetch(`http://${pod.status?.podIP ?? 'no-ip'}:8080/readyz`);
    expect(readyz.status).toBe(503);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).not.toBe('True');

    await uninstallRendered(client, objects, { namespace, timeoutMs: 60_000 });
  });
});
