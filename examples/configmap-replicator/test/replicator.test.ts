import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '@opsmith/kube-sandbox';
import {
  KubeClient,
  Manager,
  isNotFound,
  loadKubeConfig,
  silentLogger,
  type KubeObject,
} from '@opsmith/k8s-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMapReplication, setupReplicator, type ConfigMapReplication } from '../src/index.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
const CMR = configMapReplication.typeRef();
type ConfigMap = KubeObject & { data?: Record<string, string> };

let sandbox: Sandbox;
let dataDir: string;
let client: KubeClient;
let mgr: Manager;

async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  label: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const copyData = (ns: string) => client.get<ConfigMap>(CM, 'settings', ns).then((c) => c.data?.v);
const gone = (ns: string) =>
  client.get(CM, 'settings', ns).then(
    () => false,
    (e: unknown) => isNotFound(e),
  );

describe('configmap-replicator on kube-sandbox', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cm-replicator-'));
    sandbox = await startSandbox({ dataDir, port: 0, node: false });
    client = new KubeClient({ kubeConfig: loadKubeConfig(sandbox.kubeconfigPath) });
    await client.create(configMapReplication.crd());
    for (const name of ['src', 't1', 't2', 't3'])
      await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    mgr = new Manager({
      kubeConfig: client.kubeConfig,
      logger: silentLogger,
      processMetrics: false,
    });
    setupReplicator(mgr);
    await eventually(() => client.list(CMR, { namespace: 'src' }), 'CRD served');
    await mgr.start();
  });
  afterAll(async () => {
    await mgr?.stop();
    await sandbox?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies the source into every target namespace and reports Ready', async () => {
    await client.create<ConfigMap>({
      ...CM,
      metadata: { name: 'settings', namespace: 'src' },
      data: { v: '1' },
    });
    await client.create<ConfigMapReplication>({
      ...CMR,
      metadata: { name: 'r', namespace: 'src' },
      spec: { source: 'settings', targetNamespaces: ['t1', 't2'], prune: true },
    });
    await eventually(
      async () => (await copyData('t1')) === '1' && (await copyData('t2')) === '1',
      'copies',
    );
    const r = await eventually(async () => {
      const o = await client.get<ConfigMapReplication>(CMR, 'r', 'src');
      return o.status?.conditions?.[0]?.status === 'True' ? o : undefined;
    }, 'Ready status');
    expect(r.status).toMatchObject({ replicated: 2, observedGeneration: r.metadata.generation });
    expect(r.metadata.finalizers).toContain('replicator.example.com/cleanup');
  });

  it('follows changes of the source, repairs drifted copies and drops removed targets', async () => {
    await client.patch(CM, 'settings', 'src', 'merge', { data: { v: '2' } });
    await eventually(
      async () => (await copyData('t1')) === '2' && (await copyData('t2')) === '2',
      'updated copies',
    );
    await client.patch(CM, 'settings', 't1', 'merge', { data: { v: 'tampered' } });
    await eventually(async () => (await copyData('t1')) === '2', 'repaired copy');
    await client.patch(CMR, 'r', 'src', 'merge', { spec: { targetNamespaces: ['t1'] } });
    await eventually(() => gone('t2'), 'copy removed from t2');
  });

  it('rejects invalid specs at admission (schema from crd-schemas)', async () => {
    const err = await client
      .create({
        ...CMR,
        metadata: { name: 'bad', namespace: 'src' },
        spec: { source: '', targetNamespaces: [] },
      } as KubeObject)
      .catch((e: Error) => e);
    expect(String(err)).toMatch(/spec\.(source|targetNamespaces)/);
  });

  it('deleting the replication deletes its copies, then the finalizer lets it go', async () => {
    await client.delete(CMR, 'r', 'src');
    await eventually(() => gone('t1'), 'copy removed from t1');
    await eventually(
      () =>
        client.get(CMR, 'r', 'src').then(
          () => false,
          (e: unknown) => isNotFound(e),
        ),
      'replication deleted',
    );
    expect(await copyData('src')).toBe('2');
  });

  const readyCondition = async (name: string, reason: string) =>
    eventually(async () => {
      const o = await client.get<ConfigMapReplication>(CMR, name, 'src');
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.reason === reason ? ready : undefined;
    }, `${name} Ready=${reason}`);

  it('never overwrites or prunes a ConfigMap it did not make, and says so on the status', async () => {
    await client.create<ConfigMap>({
      ...CM,
      metadata: { name: 'settings', namespace: 't3' },
      data: { v: 'theirs' },
    });
    await client.create<ConfigMapReplication>({
      ...CMR,
      metadata: { name: 'r2', namespace: 'src' },
      spec: { source: 'settings', targetNamespaces: ['t3'], prune: true },
    });
    const ready = await readyCondition('r2', 'TargetExists');
    expect(ready).toMatchObject({ status: 'False' });
    expect(ready.message).toMatch(/already exists in t3/);
    expect(await copyData('t3')).toBe('theirs');
    await client.delete(CMR, 'r2', 'src');
    await eventually(
      () =>
        client.get(CMR, 'r2', 'src').then(
          () => false,
          (e: unknown) => isNotFound(e),
        ),
      'r2 deleted',
    );
    expect(await copyData('t3')).toBe('theirs');
  });

  it('reports a target list naming the source namespace as InvalidSpec', async () => {
    await client.create<ConfigMapReplication>({
      ...CMR,
      metadata: { name: 'r3', namespace: 'src' },
      spec: { source: 'settings', targetNamespaces: ['t1', 'src'], prune: true },
    });
    const ready = await readyCondition('r3', 'InvalidSpec');
    expect(ready).toMatchObject({ status: 'False' });
    expect(await gone('t1')).toBe(true);
  });
});
