// Against a real (API-only) kube-sandbox: the TLS Secrets' rotation steps (one member at a time,
// gated on the previous member serving its new certificate, the leader last), the lost-CA guard,
// and the ServiceMonitor with the monitoring.coreos.com CRD absent and then installed. Which
// certificate a member serves is scripted here; test/e2e/tls.test.ts proves it on real etcd.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@opsmith/kube-sandbox';
import { etcdCluster } from '@opsmith/crd-schemas';
import { KubeClient, loadKubeConfig, type KubeObject } from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../src/api/types.ts';
import { clusterRef, memberTlsSecretName } from '../src/cluster/pods.ts';
import { ETCD_CLUSTER } from '../src/cluster/reconciler.ts';
import {
  ANNOTATION_ROTATE,
  caSecretName,
  ensureTls,
  operatorClientSecretName,
  rotateCertificates,
} from '../src/cluster/tls-secrets.ts';
import {
  ensureServiceMonitor,
  resetServiceMonitorDiscovery,
  SERVICE_MONITOR,
} from '../src/monitoring/service-monitor.ts';
import { inspectCertificate, isSignedBy } from '../src/tls/pki.ts';
import { eventually } from './support/local-etcd.ts';
import { serviceMonitorCrd } from './support/service-monitor-crd.ts';

const NS = 'tls-sm';
let sandbox: Sandbox;
let dataDir: string;
let kube: KubeClient;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'etcd-tls-sm-'));
  sandbox = await startSandbox({ dataDir, port: 0, node: false });
  kube = new KubeClient({
    kubeConfig: loadKubeConfig(sandbox.kubeconfigPath),
    fieldManager: 'etcd-operator',
    retryBaseMs: 50,
    retryMaxMs: 1000,
    timeoutMs: 5000,
  });
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
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

async function createCluster(name: string, spec: Record<string, unknown>): Promise<EtcdCluster> {
  return (await kube.create({
    apiVersion: 'etcd.opsmith.io/v1alpha1',
    kind: 'EtcdCluster',
    metadata: { name, namespace: NS },
    spec: { version: '3.4.23', size: 3, ...spec },
  } as KubeObject)) as unknown as EtcdCluster;
}

interface SecretObject extends KubeObject {
  data: Record<string, string>;
}
async function secretCert(name: string): Promise<string> {
  const s = await kube.get<SecretObject>({ apiVersion: 'v1', kind: 'Secret' }, name, NS);
  return Buffer.from(s.data['tls.crt'] ?? '', 'base64').toString();
}
const fingerprint = async (member: string) =>
  inspectCertificate(await secretCert(memberTlsSecretName(member))).fingerprint256;

describe('certificate rotation steps', () => {
  it('issues every certificate, then rotates on request one member at a time, leader last', async () => {
    let c = await createCluster('rot', { tls: { peer: true, client: true } });
    const ref = clusterRef(c);
    const names = ['rot-0', 'rot-1', 'rot-2'];
    const first = await ensureTls(kube, c, ref, names);
    expect(first).toMatchObject({ ok: true, issued: names });
    const ca = await secretCert(caSecretName('rot'));
    for (const n of names)
      expect(isSignedBy(await secretCert(memberTlsSecretName(n)), ca)).toBe(true);
    expect(isSignedBy(await secretCert(operatorClientSecretName('rot')), ca)).toBe(true);
    // A second pass issues nothing: existing certificates are kept.
    expect(await ensureTls(kube, c, ref, names)).toMatchObject({ ok: true, issued: [] });

    // What each member "serves": the certificate its Secret held when the test last synced it.
    const served = new Map<string, string>();
    for (const n of names) served.set(n, await fingerprint(n));
    const original = new Map(served);
    const members = names.map((name) => ({ name, healthy: true, isLeader: name === 'rot-0' }));
    const deps = { kube, servedFingerprint: async (m: string) => served.get(m) };
    expect(await rotateCertificates(deps, c, ref, members)).toEqual({ type: 'none' });

    c = (await kube.patch(ETCD_CLUSTER, 'rot', NS, 'merge', {
      metadata: { annotations: { [ANNOTATION_ROTATE]: '2026-01-01T00:00:00Z' } },
    })) as unknown as EtcdCluster;
    const order: string[] = [];
    for (let step = 0; step < 3; step++) {
      const r = await rotateCertificates(deps, c, ref, members);
      expect(r).toMatchObject({ type: 'rotated', reason: 'requested' });
      const m = (r as { member: string }).member;
      order.push(m);
      expect(await fingerprint(m)).not.toBe(original.get(m));
      // Until the member serves its new certificate, no other member is touched (after the
      // last one there is nothing left to hold).
      const before = await Promise.all(names.map(fingerprint));
      expect(await rotateCertificates(deps, c, ref, members)).toEqual(
        step < 2
          ? { type: 'wait', reason: `waiting for ${m} to serve its new certificate` }
          : { type: 'none' },
      );
      expect(await Promise.all(names.map(fingerprint))).toEqual(before);
      served.set(m, await fingerprint(m));
    }
    expect(order.slice(0, 2).sort()).toEqual(['rot-1', 'rot-2']);
    expect(order[2]).toBe('rot-0'); // the leader last
    expect(await rotateCertificates(deps, c, ref, members)).toEqual({ type: 'none' });

    // Unhealthy members or members whose certificate cannot be read hold the rotation.
    c = (await kube.patch(ETCD_CLUSTER, 'rot', NS, 'merge', {
      metadata: { annotations: { [ANNOTATION_ROTATE]: 'again' } },
    })) as unknown as EtcdCluster;
    expect(
      await rotateCertificates(
        deps,
        c,
        ref,
        members.map((m) => ({ ...m, healthy: m.name !== 'rot-2' })),
      ),
    ).toEqual({ type: 'wait', reason: 'members not healthy: rot-2' });
    expect(
      await rotateCertificates({ kube, servedFingerprint: async () => undefined }, c, ref, members),
    ).toMatchObject({ type: 'wait', reason: expect.stringContaining('cannot read') });
  });

  it('a deleted CA is reported, never silently replaced while members use the old one', async () => {
    const c = await createCluster('lostca', { tls: { peer: true } });
    const ref = clusterRef(c);
    expect(await ensureTls(kube, c, ref, ['lostca-0'])).toMatchObject({ ok: true });
    await kube.delete({ apiVersion: 'v1', kind: 'Secret' }, caSecretName('lostca'), NS);
    const r = await ensureTls(kube, c, ref, ['lostca-0']);
    expect(r).toMatchObject({ ok: false, problem: { reason: 'InvalidTLSSecret' } });
    expect((r as { problem: { message: string } }).problem.message).toContain('lostca-ca');
  });

  it('provider Secrets: nothing is rotated by the operator', async () => {
    const c = await createCluster('usersecrets', {
      tls: { peer: true, provider: 'Secrets', peerSecret: 'mine' },
    });
    const r = await rotateCertificates(
      { kube, servedFingerprint: async () => undefined },
      c,
      clusterRef(c),
      [{ name: 'usersecrets-0', healthy: true, isLeader: true }],
    );
    expect(r).toEqual({ type: 'none' });
  });
});

describe('ServiceMonitor', () => {
  it('without the CRD: nothing for clusters that did not opt in, a clear outcome for those that did', async () => {
    const off = await createCluster('nomon', {});
    const on = await createCluster('mon', {
      monitoring: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } },
    });
    resetServiceMonitorDiscovery(kube);
    expect(await ensureServiceMonitor(kube, off)).toEqual({ type: 'disabled' });
    const r = await ensureServiceMonitor(kube, on);
    expect(r).toMatchObject({ type: 'unsupported' });
    expect((r as { message: string }).message).toContain('monitoring.coreos.com');
  });

  it('with the CRD: created, left alone when unchanged, removed when the cluster opts out', async () => {
    await kube.create(serviceMonitorCrd());
    resetServiceMonitorDiscovery(kube);
    await eventually(
      'ServiceMonitor served',
      async () => {
        resetServiceMonitorDiscovery(kube);
        return (await ensureServiceMonitor(kube, await getCluster('nomon'))).type === 'disabled'
          ? (await kube.list(SERVICE_MONITOR, { namespace: NS })) && true
          : undefined;
      },
      15_000,
    );
    let on = await getCluster('mon');
    expect(await ensureServiceMonitor(kube, on)).toEqual({ type: 'applied', operation: 'created' });
    expect(await ensureServiceMonitor(kube, on)).toEqual({
      type: 'applied',
      operation: 'unchanged',
    });
    const sm = await kube.get<
      KubeObject & {
        spec: { selector: { matchLabels: Record<string, string> } };
      }
    >(SERVICE_MONITOR, 'mon', NS);
    expect(sm.metadata?.labels?.release).toBe('prom');
    expect(sm.spec.selector.matchLabels['etcd.opsmith.io/service']).toBe('client');
    expect(sm.metadata?.ownerReferences?.[0]?.uid).toBe(on.metadata.uid);

    on = (await kube.patch(ETCD_CLUSTER, 'mon', NS, 'merge', {
      spec: { monitoring: { serviceMonitor: { enabled: false } } },
    })) as unknown as EtcdCluster;
    expect(await ensureServiceMonitor(kube, on)).toEqual({ type: 'deleted' });
    await expect(kube.get(SERVICE_MONITOR, 'mon', NS)).rejects.toThrow();

    // A ServiceMonitor someone else made under that name is not ours to delete.
    await kube.create({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'nomon', namespace: NS },
      spec: { selector: {}, endpoints: [{ port: 'web' }] },
    } as KubeObject);
    expect(await ensureServiceMonitor(kube, await getCluster('nomon'))).toEqual({
      type: 'disabled',
    });
    expect((await kube.get(SERVICE_MONITOR, 'nomon', NS)).metadata?.name).toBe('nomon');
  });

  it('the schema rejects a malformed scrape interval, naming the field', async () => {
    await expect(
      createCluster('badinterval', {
        monitoring: { serviceMonitor: { enabled: true, interval: 'often' } },
      }),
    ).rejects.toThrow(/spec\.monitoring\.serviceMonitor\.interval/);
  });
});

async function getCluster(name: string): Promise<EtcdCluster> {
  return (await kube.get(ETCD_CLUSTER, name, NS)) as unknown as EtcdCluster;
}
