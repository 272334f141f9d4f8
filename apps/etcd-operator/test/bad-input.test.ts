// Bad input on a real API server (API-only kube-sandbox with the generated etcd CRDs): every
// invalid manifest is refused at admission with the offending field named, and what only runtime
// can know (a missing TLS Secret, an even size) surfaces as a condition while the operator keeps
// reconciling other clusters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@opsmith/kube-sandbox';
import { etcdResources } from '@opsmith/crd-schemas';
import {
  ApiError,
  KubeClient,
  loadKubeConfig,
  Manager,
  silentLogger,
  type KubeObject,
} from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../src/api/types.ts';
import { addEtcdClusterController } from '../src/cluster/controller.ts';
import { ETCD_CLUSTER } from '../src/cluster/reconciler.ts';
import { Failpoints, parseFailpoints } from '../src/failpoints.ts';
import { eventually } from './support/local-etcd.ts';

const NS = 'bad-input';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const API = 'etcd.opsmith.io/v1alpha1';

let sandbox: Sandbox;
let dataDir: string;
let kube: KubeClient;

type Spec = Record<string, unknown>;
type Kind = 'EtcdCluster' | 'EtcdBackup' | 'EtcdRestore';

const base: Record<Kind, Spec> = {
  EtcdCluster: { size: 3, version: '3.4.23' },
  EtcdBackup: { clusterName: 'demo', destination: { url: 's3://etcd-backups/demo' } },
  EtcdRestore: { clusterName: 'restored', source: { location: { url: 's3://etcd-backups/demo' } } },
};

type EventObject = KubeObject & {
  reason?: string;
  regarding?: { name?: string };
  series?: { count?: number };
};

type Manifest = KubeObject & { kind: Kind; spec: Spec };

function manifest(kind: Kind, name: string, spec: Spec): Manifest {
  return { apiVersion: API, kind, metadata: { name, namespace: NS }, spec };
}

/** [what, kind, spec (merged over a valid one; undefined deletes a key), field the error names] */
type Case = [string, Kind, Spec, string];

const pvc = { type: 'PersistentVolumeClaim' };
const secretsTls = { provider: 'Secrets', peer: true, client: true };
const INVALID: Case[] = [
  // EtcdCluster
  ['size 0', 'EtcdCluster', { size: 0 }, 'spec.size'],
  ['size 10', 'EtcdCluster', { size: 10 }, 'spec.size'],
  ['size -1', 'EtcdCluster', { size: -1 }, 'spec.size'],
  ['size as a string', 'EtcdCluster', { size: 'three' }, 'spec.size'],
  ['version with a v', 'EtcdCluster', { version: 'v3.4.23' }, 'spec.version'],
  ['version without a patch', 'EtcdCluster', { version: '3.4' }, 'spec.version'],
  ['version latest', 'EtcdCluster', { version: 'latest' }, 'spec.version'],
  ['version with a leading zero', 'EtcdCluster', { version: '3.04.1' }, 'spec.version'],
  ['repository with a space', 'EtcdCluster', { repository: 'my repo/etcd' }, 'spec.repository'],
  ['empty image', 'EtcdCluster', { image: '' }, 'spec.image'],
  ['owned flag data-dir', 'EtcdCluster', { extraArgs: { 'data-dir': '/x' } }, 'spec.extraArgs'],
  [
    'owned flag initial-cluster-state',
    'EtcdCluster',
    { extraArgs: { 'initial-cluster-state': 'existing' } },
    'spec.extraArgs',
  ],
  [
    'owned flag client-cert-auth',
    'EtcdCluster',
    { extraArgs: { 'client-cert-auth': 'false' } },
    'spec.extraArgs',
  ],
  ['flag with dashes', 'EtcdCluster', { extraArgs: { '--snapshot-count': '1' } }, 'spec.extraArgs'],
  ['storage type HostPath', 'EtcdCluster', { storage: { type: 'HostPath' } }, 'spec.storage.type'],
  ['storage size lots', 'EtcdCluster', { storage: { size: 'lots' } }, 'spec.storage.size'],
  ['negative storage size', 'EtcdCluster', { storage: { size: '-1Gi' } }, 'spec.storage.size'],
  ['zero storage size', 'EtcdCluster', { storage: { size: '0' } }, 'spec.storage.size'],
  [
    'PVC retention Keep',
    'EtcdCluster',
    { storage: { retentionPolicy: 'Keep' } },
    'spec.storage.retentionPolicy',
  ],
  [
    'medium on PVC storage',
    'EtcdCluster',
    { storage: { ...pvc, medium: 'Memory' } },
    'spec.storage.medium',
  ],
  [
    'memory limit lots',
    'EtcdCluster',
    { resources: { limits: { memory: 'lots' } } },
    'spec.resources.limits[memory]',
  ],
  [
    'toleration operator Maybe',
    'EtcdCluster',
    { pod: { tolerations: [{ key: 'k', operator: 'Maybe' }] } },
    'spec.pod.tolerations[0].operator',
  ],
  ['TLS provider Vault', 'EtcdCluster', { tls: { provider: 'Vault' } }, 'spec.tls.provider'],
  [
    'provider Secrets without peerSecret',
    'EtcdCluster',
    { tls: { ...secretsTls, serverSecret: 's', clientSecret: 'c' } },
    'spec.tls.peerSecret',
  ],
  [
    'provider Secrets without serverSecret',
    'EtcdCluster',
    { tls: { ...secretsTls, peerSecret: 'p' } },
    'spec.tls.serverSecret',
  ],
  [
    'Secret name with capitals',
    'EtcdCluster',
    { tls: { provider: 'Secrets', peer: true, peerSecret: 'Peer_Certs' } },
    'spec.tls.peerSecret',
  ],
  [
    'certificate validity 0 days',
    'EtcdCluster',
    { tls: { certificateValidityDays: 0 } },
    'spec.tls.certificateValidityDays',
  ],
  [
    'replace timeout 5 s',
    'EtcdCluster',
    { replaceUnhealthyAfterSeconds: 5 },
    'spec.replaceUnhealthyAfterSeconds',
  ],
  ['paused yes', 'EtcdCluster', { paused: 'yes' }, 'spec.paused'],
  [
    'backup scheduleRef with capitals',
    'EtcdCluster',
    { backup: { scheduleRef: 'Nightly' } },
    'spec.backup.scheduleRef',
  ],
  [
    'scrape interval in words',
    'EtcdCluster',
    { monitoring: { serviceMonitor: { enabled: true, interval: '5 minutes' } } },
    'spec.monitoring.serviceMonitor.interval',
  ],
  // EtcdBackup
  [
    'http backup URL',
    'EtcdBackup',
    { destination: { url: 'http://bucket/x' } },
    'spec.destination.url',
  ],
  [
    'bucket with capitals',
    'EtcdBackup',
    { destination: { url: 's3://My_Bucket/x' } },
    'spec.destination.url',
  ],
  [
    'relative file URL',
    'EtcdBackup',
    { destination: { url: 'file://backups' } },
    'spec.destination.url',
  ],
  [
    'endpoint without a scheme',
    'EtcdBackup',
    { destination: { url: 's3://bucket/x', endpoint: 'minio:9000' } },
    'spec.destination.endpoint',
  ],
  [
    'endpoint on a file URL',
    'EtcdBackup',
    { destination: { url: 'file:///backups', endpoint: 'http://minio:9000' } },
    'spec.destination.endpoint',
  ],
  [
    'credentials Secret name with capitals',
    'EtcdBackup',
    { destination: { url: 's3://bucket/x', credentialsSecret: 'S3_Creds' } },
    'spec.destination.credentialsSecret',
  ],
  ['bad cron', 'EtcdBackup', { schedule: 'every hour' }, 'spec.schedule'],
  ['timeZone without schedule', 'EtcdBackup', { timeZone: 'Europe/Berlin' }, 'spec.timeZone'],
  ['cron with 3 fields', 'EtcdBackup', { schedule: '0 * *' }, 'spec.schedule'],
  ['retention without schedule', 'EtcdBackup', { retention: { maxBackups: 2 } }, 'spec.retention'],
  [
    'retention 0',
    'EtcdBackup',
    { schedule: '@daily', retention: { maxBackups: 0 } },
    'spec.retention.maxBackups',
  ],
  ['no clusterName', 'EtcdBackup', { clusterName: undefined }, 'spec.clusterName'],
  ['backup timeout 1 s', 'EtcdBackup', { timeoutSeconds: 1 }, 'spec.timeoutSeconds'],
  // EtcdRestore
  [
    'restore from an ftp URL',
    'EtcdRestore',
    { source: { location: { url: 'ftp://host/x' } } },
    'spec.source.location.url',
  ],
  ['no source', 'EtcdRestore', { source: undefined }, 'spec.source'],
  [
    'empty backup key',
    'EtcdRestore',
    { source: { location: { url: 'file:///b' }, key: '' } },
    'spec.source.key',
  ],
  ['cluster name with !', 'EtcdRestore', { clusterName: 'Restored!' }, 'spec.clusterName'],
  ['cluster spec size 11', 'EtcdRestore', { clusterSpec: { size: 11 } }, 'spec.clusterSpec.size'],
  [
    'cluster spec owned flag',
    'EtcdRestore',
    { clusterSpec: { extraArgs: { 'force-new-cluster': 'true' } } },
    'spec.clusterSpec.extraArgs',
  ],
];

function merged(kind: Kind, patch: Spec): Spec {
  const spec: Spec = { ...base[kind], ...patch };
  for (const [k, v] of Object.entries(spec)) if (v === undefined) delete spec[k];
  return spec;
}

async function rejection(obj: Manifest, query: Record<string, string> = {}): Promise<ApiError> {
  const plural = `${obj.kind.toLowerCase()}s`;
  const err = await kube
    .request('POST', `/apis/${API}/namespaces/${NS}/${plural}`, { body: obj, query })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  if (!(err instanceof ApiError)) {
    throw new Error(`${obj.kind} ${JSON.stringify(obj.spec)} was accepted (${String(err)})`);
  }
  return err;
}

function clusterCondition(c: EtcdCluster, type: string) {
  return c.status?.conditions?.find((x) => x.type === type);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'etcd-bad-input-'));
  sandbox = await startSandbox({ dataDir, port: 0, node: false });
  kube = new KubeClient({
    kubeConfig: loadKubeConfig(sandbox.kubeconfigPath),
    fieldManager: 'bad-input-test',
    retryBaseMs: 50,
    retryMaxMs: 1000,
    maxRetries: 5,
    timeoutMs: 10_000,
  });
  for (const r of etcdResources) await kube.create(r.crd());
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await eventually(
    'etcd APIs served',
    async () => {
      for (const r of etcdResources) {
        await kube.list({ apiVersion: API, kind: r.kind }, { namespace: NS });
      }
      return true;
    },
    15_000,
  );
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('invalid manifests are refused at admission, naming the field', () => {
  it('has at least 30 cases', () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(30);
  });

  it('accepts the valid base of every kind (so each rejection is the change under test)', async () => {
    for (const kind of Object.keys(base) as Kind[]) {
      const obj = manifest(kind, 'valid-base', base[kind]);
      await kube.create(obj, { dryRun: true });
    }
    // Quantities as strings and as integers pass the positive-size rule.
    for (const size of ['1Gi', 1073741824]) {
      const spec = { ...base.EtcdCluster, storage: { size } };
      await kube.create(manifest('EtcdCluster', 'sized', spec), { dryRun: true });
    }
  });

  it.each(INVALID)('%s (%s) -> %s', async (_what, kind, patch, field) => {
    const err = await rejection(manifest(kind, 'bad', merged(kind, patch)));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toContain(field);
  });

  it('refuses an unknown field under fieldValidation=Strict (what kubectl apply sends)', async () => {
    const err = await rejection(
      manifest('EtcdCluster', 'typo', merged('EtcdCluster', { sise: 3 })),
      {
        fieldValidation: 'Strict',
      },
    );
    expect(err.message).toContain('spec.sise');
    expect(err.message).toMatch(/unknown field/i);
  });

  it('refuses changing an EtcdRestore clusterName (immutable)', async () => {
    await kube.create(manifest('EtcdRestore', 'immutable', base.EtcdRestore));
    const err = await kube
      .patch({ apiVersion: API, kind: 'EtcdRestore' }, 'immutable', NS, 'merge', {
        spec: { clusterName: 'elsewhere' },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApiError);
    expect(String(err)).toContain('spec.clusterName');
    expect(String(err)).toContain('immutable');
  });
});

describe('runtime-only problems become conditions; the operator keeps running', () => {
  it('reports a missing TLS Secret, a Secret without ca.crt and an even size, then serves a good cluster', async () => {
    const manager = new Manager({
      client: new KubeClient({
        kubeConfig: loadKubeConfig(sandbox.kubeconfigPath),
        fieldManager: 'etcd-operator',
        retryBaseMs: 50,
        retryMaxMs: 1000,
        maxRetries: 5,
        timeoutMs: 5000,
      }),
      namespaces: { kind: 'list', namespaces: [NS] },
      logger: silentLogger,
      processMetrics: false,
    });
    // Any failpoint hit would mean the operator tried to act on a cluster it cannot run.
    const crashes: string[] = [];
    addEtcdClusterController(manager, {
      failpoints: new Failpoints(parseFailpoints(''), (name) => {
        crashes.push(name);
        throw new Error(name);
      }),
      overrides: { etcdTimeoutMs: 1000 },
    });
    await manager.start();
    try {
      // provider Secrets naming Secrets that do not exist.
      await kube.create(
        manifest('EtcdCluster', 'missing-tls', {
          size: 1,
          tls: {
            ...secretsTls,
            peerSecret: 'no-such-peer',
            serverSecret: 'no-such-server',
            clientSecret: 'no-such-client',
          },
        }),
      );
      // A client Secret without the CA the operator needs to verify members.
      const pem = '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n';
      await kube.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'client-no-ca', namespace: NS },
        type: 'kubernetes.io/tls',
        stringData: { 'tls.crt': pem, 'tls.key': 'key' },
      } as KubeObject);
      await kube.create(
        manifest('EtcdCluster', 'no-ca', {
          size: 1,
          tls: {
            provider: 'Secrets',
            client: true,
            serverSecret: 'client-no-ca',
            clientSecret: 'client-no-ca',
          },
        }),
      );
      // Even sizes are accepted with a warning condition.
      await kube.create(manifest('EtcdCluster', 'even', { size: 2 }));

      const get = async (name: string) =>
        (await kube.get(ETCD_CLUSTER, name, NS)) as unknown as EtcdCluster;

      const missing = await eventually('Degraded/MissingTLSSecret', async () => {
        const c = await get('missing-tls');
        return clusterCondition(c, 'Degraded')?.reason === 'MissingTLSSecret' ? c : undefined;
      });
      expect(clusterCondition(missing, 'Degraded')?.status).toBe('True');
      expect(clusterCondition(missing, 'Degraded')?.message).toContain('no-such-peer');
      expect(clusterCondition(missing, 'Ready')?.status).toBe('False');

      const noCa = await eventually('Degraded/InvalidTLSSecret', async () => {
        const c = await get('no-ca');
        return clusterCondition(c, 'Degraded')?.reason === 'InvalidTLSSecret' ? c : undefined;
      });
      expect(clusterCondition(noCa, 'Degraded')?.message).toContain('ca.crt');
      // Secret contents never reach the status.
      expect(JSON.stringify(noCa.status)).not.toContain('BEGIN CERTIFICATE');

      const even = await eventually('SizeWarning/EvenSize', async () => {
        const c = await get('even');
        return clusterCondition(c, 'SizeWarning')?.status === 'True' ? c : undefined;
      });
      expect(clusterCondition(even, 'SizeWarning')?.reason).toBe('EvenSize');
      expect(clusterCondition(even, 'SizeWarning')?.message).toMatch(/prefer 1 or 3/);
      // The even-sized cluster is still being built: its seed pod exists.
      await eventually('seed pod of the even cluster', async () =>
        (await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: NS })).items.some(
          (p) => p.metadata?.name === 'even-0',
        )
          ? true
          : undefined,
      );

      // No hot loop: a blocked cluster is retried on a back-off, not re-reconciled at once, so
      // its warning has been emitted about once (one Event, series.count counting repeats).
      await sleep(3000);
      const warnings = (
        await kube.list<EventObject>(
          { apiVersion: 'events.k8s.io/v1', kind: 'Event' },
          { namespace: NS },
        )
      ).items.filter((e) => e.reason === 'MissingTLSSecret' && e.regarding?.name === 'missing-tls');
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      const emitted = warnings.reduce((n, e) => n + (e.series?.count ?? 1), 0);
      expect(emitted).toBeLessThanOrEqual(3);

      // Nothing was created for the clusters that cannot start, and the operator never crashed.
      const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: NS });
      const names = pods.items.map((p) => p.metadata?.name ?? '');
      expect(names.filter((n) => n.startsWith('missing-tls') || n.startsWith('no-ca'))).toEqual([]);
      expect(crashes).toEqual([]);

      // Still serving: a new, valid cluster is picked up.
      await kube.create(manifest('EtcdCluster', 'after', { size: 1 }));
      const after = await eventually('the next cluster is reconciled', async () => {
        const c = await get('after');
        return clusterCondition(c, 'Progressing') ? c : undefined;
      });
      expect(clusterCondition(after, 'Degraded')?.status).toBe('False');
    } finally {
      await manager.stop();
    }
  }, 90_000);
});
