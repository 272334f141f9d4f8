// Backups to s3rver and to a file, a schedule with retention 2, a restore into a new cluster that
// has the data, and a corrupted backup caught before anything is built. Real etcd members on the
// kube-sandbox node, the BullMQ queue on a private redis-server, s3rver on the bridge gateway.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dataKey,
  FileStorage,
  manifestKey,
  listBackups,
  openStorageFromSpec,
  readManifest,
  verifyBackup,
  type BackupStorage,
} from '@opsmith/backup-storage';
import type { KubeObject } from '@opsmith/k8s-runtime';
import type { EtcdBackup, EtcdRestore } from '../../src/backup/types.ts';
import { ETCD_CLUSTER } from '../../src/cluster/reconciler.ts';
import { seedFailureOf, type PodObject } from '../../src/restore/controller.ts';
import { ANNOTATION_RESTORE_FROM, formatSeedSource } from '../../src/restore/seed.ts';
import { eventually } from '../support/local-etcd.ts';
import {
  etcdClusterManifest,
  startRealCluster,
  waitClusterReady,
  type RealCluster,
} from '../support/real-cluster.ts';
import {
  BackupOperator,
  ETCD_BACKUP_TYPE,
  ETCD_RESTORE_TYPE,
  etcdAt,
  S3_CREDENTIALS,
  startRedis,
  startS3,
  type S3,
  withState,
} from './backup-support.ts';

const NS = 'backups';
const BUCKET = 'etcd-backups';
let real: RealCluster;
let s3: S3;
let redis: Awaited<ReturnType<typeof startRedis>>;
let op: BackupOperator;
let fileDir: string;
const data: Record<string, string> = { '/app/a': 'alpha', '/app/b': 'bravo', '/app/c': 'charlie' };

const location = (prefix: string) => ({
  url: `s3://${BUCKET}/${prefix}`,
  endpoint: s3.endpoint,
  forcePathStyle: true,
  credentialsSecret: 's3-creds',
});
const s3Storage = (prefix: string): BackupStorage =>
  openStorageFromSpec(
    { location: `s3://${BUCKET}/${prefix}`, endpoint: s3.endpoint, forcePathStyle: true },
    { name: 's3-creds', data: S3_CREDENTIALS },
  );

async function createBackup(name: string, spec: Record<string, unknown>): Promise<void> {
  await real.kube.create({
    apiVersion: 'etcd.opsmith.io/v1alpha1',
    kind: 'EtcdBackup',
    metadata: { name, namespace: NS },
    spec: { clusterName: 'src', ...spec },
  } as KubeObject);
}
const getBackup = async (name: string) =>
  (await real.kube.get(ETCD_BACKUP_TYPE, name, NS)) as unknown as EtcdBackup;
const getRestore = async (name: string) =>
  (await real.kube.get(ETCD_RESTORE_TYPE, name, NS)) as unknown as EtcdRestore;
const readyReason = (b: { status?: { conditions?: { type: string; reason: string }[] } }) =>
  b.status?.conditions?.find((c) => c.type === 'Ready')?.reason;

beforeAll(async () => {
  real = await startRealCluster(NS);
  const gateway = real.cluster.node?.gatewayIp;
  if (!gateway) throw new Error('the sandbox node has no gateway IP');
  s3 = await startS3(gateway, [BUCKET]);
  redis = await startRedis();
  fileDir = mkdtempSync(join(tmpdir(), 'etcd-e2e-file-backups-'));
  op = new BackupOperator(real, redis.url);
  await op.start();
  await real.kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's3-creds', namespace: NS },
    stringData: S3_CREDENTIALS,
  } as KubeObject);
  await real.kube.create(etcdClusterManifest('src', NS, { size: 1 }));
  await waitClusterReady(real.kube, NS, 'src', 1);
  const etcd = await etcdAt(real, 'src');
  try {
    for (const [k, v] of Object.entries(data)) await etcd.put(k, v);
  } finally {
    etcd.close();
  }
}, 240_000);

afterAll(async () => {
  await op?.stop();
  await redis?.stop();
  await s3?.stop();
  await real?.stop();
  if (fileDir) rmSync(fileDir, { recursive: true, force: true });
}, 120_000);

describe('EtcdBackup', () => {
  it('a one-shot backup to S3 reports revision, size, sha256, etcd version and member', async () => {
    await createBackup('once-s3', { destination: location('once') });
    const b = await eventually(
      'once-s3 Succeeded',
      async () => {
        const x = await getBackup('once-s3');
        if (x.status?.phase === 'Failed') throw new Error(JSON.stringify(x.status));
        return x.status?.phase === 'Succeeded' ? x : undefined;
      },
      90_000,
      300,
    );
    const last = b.status?.lastBackup;
    expect(last?.key).toMatch(new RegExp(`^s3://${BUCKET}/once/once-s3-`));
    expect(Number(last?.revision)).toBeGreaterThanOrEqual(4); // three puts after the first revision
    expect(last?.size).toBeGreaterThan(0);
    expect(last?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(last?.etcdVersion).toBe('3.4.23');
    expect(last?.member).toBe('src-0');
    expect(last?.verified).toBe(true);
    expect(readyReason(b)).toBe('BackupComplete');
    // Credentials never reach the status.
    expect(JSON.stringify(b.status)).not.toContain('S3RVER');
    const id = last?.key.split('/').pop() ?? '';
    const manifest = await verifyBackup(s3Storage('once'), id);
    expect(manifest.rawSha256).toBe(last?.sha256);
    expect(manifest.source).toMatchObject({ kind: 'EtcdCluster', name: 'src', namespace: NS });
  }, 120_000);

  it('a one-shot backup to a file', async () => {
    await createBackup('once-file', { destination: { url: `file://${fileDir}` } });
    const b = await eventually(
      'once-file Succeeded',
      async () => {
        const x = await getBackup('once-file');
        if (x.status?.phase === 'Failed') throw new Error(JSON.stringify(x.status));
        return x.status?.phase === 'Succeeded' ? x : undefined;
      },
      90_000,
      300,
    );
    const files = new FileStorage(fileDir);
    const all = await listBackups(files);
    expect(all.map((m) => `file://${fileDir}/${m.id}`)).toEqual([b.status?.lastBackup?.key]);
    await verifyBackup(files, all[0]?.id ?? '');
  }, 120_000);

  it('a schedule with retention 2 keeps the newest two backups', async () => {
    await createBackup('every', {
      destination: location('scheduled'),
      schedule: '@every 2s',
      retention: { maxBackups: 2 },
    });
    const storage = s3Storage('scheduled');
    const seen = new Set<string>();
    await eventually(
      'three scheduled backups, two retained',
      async () => {
        const list = await listBackups(storage);
        for (const m of list) seen.add(m.id);
        return seen.size >= 3 && list.length === 2 ? true : undefined;
      },
      90_000,
      250,
    );
    const b = await eventually(
      'status reports two retained backups',
      async () => {
        const x = await getBackup('every');
        return x.status?.backups === 2 && x.status.lastBackup ? x : undefined;
      },
      30_000,
      300,
    );
    expect(['Scheduled', 'Running']).toContain(b.status?.phase);
    expect(b.status?.nextScheduleTime).toBeTruthy();
    // Suspend: the scheduler is removed and the condition says why.
    await real.kube.patch(ETCD_BACKUP_TYPE, 'every', NS, 'merge', { spec: { suspend: true } });
    await eventually(
      'every suspended',
      async () => (readyReason(await getBackup('every')) === 'Suspended' ? true : undefined),
      30_000,
      300,
    );
    const ids = (await listBackups(storage)).map((m) => m.id);
    await new Promise((r) => setTimeout(r, 5000)); // longer than two periods
    await eventually(
      'no new backups while suspended',
      async () => {
        const now = (await listBackups(storage)).map((m) => m.id);
        return now.every((id) => ids.includes(id)) || now.length === 0 ? true : undefined;
      },
      5000,
    );
  }, 150_000);

  it('bad input becomes a condition, never a crash: unknown cluster, missing Secret', async () => {
    await createBackup('no-cluster', { clusterName: 'nope', destination: location('x') });
    await createBackup('no-secret', {
      destination: { ...location('y'), credentialsSecret: 'missing' },
    });
    await eventually(
      'ClusterNotFound',
      async () =>
        readyReason(await getBackup('no-cluster')) === 'ClusterNotFound' ? true : undefined,
      30_000,
      300,
    );
    const b = await eventually(
      'MissingSecretKey',
      async () => {
        const x = await getBackup('no-secret');
        return readyReason(x) === 'MissingSecretKey' ? x : undefined;
      },
      30_000,
      300,
    );
    expect(b.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain('missing');
  }, 60_000);
});

describe('EtcdRestore', () => {
  it('restores the S3 backup into a new 3-member cluster that has the data', async () => {
    const src = await getBackup('once-s3');
    await real.kube.create({
      apiVersion: 'etcd.opsmith.io/v1alpha1',
      kind: 'EtcdRestore',
      metadata: { name: 'restore-1', namespace: NS },
      spec: {
        source: { location: location('once'), key: src.status?.lastBackup?.key },
        clusterName: 'restored',
        clusterSpec: { size: 3, version: '3.4.23' },
      },
    } as KubeObject);
    const r = await withState(
      real,
      'restored',
      eventually(
        'restore-1 Succeeded',
        async () => {
          const x = await getRestore('restore-1');
          if (x.status?.phase === 'Failed') throw new Error(JSON.stringify(x.status));
          return x.status?.phase === 'Succeeded' ? x : undefined;
        },
        180_000,
        500,
      ),
    );
    expect(r.status?.backupKey).toBe(src.status?.lastBackup?.key);
    expect(r.status?.sha256).toBe(src.status?.lastBackup?.sha256);
    await waitClusterReady(real.kube, NS, 'restored', 3);
    const etcd = await etcdAt(real, 'restored');
    try {
      for (const [k, v] of Object.entries(data)) expect(await etcd.get(k)).toBe(v);
    } finally {
      etcd.close();
    }
  }, 240_000);

  it('a corrupted backup fails the restore with a clear condition and builds nothing', async () => {
    // A copy of a good backup under a new id whose data object has one byte flipped.
    const storage = s3Storage('once');
    const good = (await listBackups(storage))[0];
    if (!good) throw new Error('no backup to corrupt');
    const chunks: Buffer[] = [];
    for await (const c of await storage.read(good.dataKey)) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    const id = 'corrupted-1';
    await storage.write(dataKey(id), Readable.from([bytes]));
    const manifest = { ...(await readManifest(storage, good.id)), id, dataKey: dataKey(id) };
    await storage.write(manifestKey(id), Readable.from([Buffer.from(JSON.stringify(manifest))]));
    await real.kube.create({
      apiVersion: 'etcd.opsmith.io/v1alpha1',
      kind: 'EtcdRestore',
      metadata: { name: 'restore-bad', namespace: NS },
      spec: {
        source: { location: location('once'), key: id },
        clusterName: 'bad',
        clusterSpec: { size: 1, version: '3.4.23' },
      },
    } as KubeObject);
    const r = await eventually(
      'restore-bad Failed',
      async () => {
        const x = await getRestore('restore-bad');
        return x.status?.phase === 'Failed' ? x : undefined;
      },
      60_000,
      300,
    );
    const ready = r.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).toBe('BackupCorrupted');
    expect(ready?.message).toContain('nothing was created');
    await expect(real.kube.get(ETCD_CLUSTER, 'bad', NS)).rejects.toMatchObject({ code: 404 });
  }, 90_000);

  it('the seed pod itself refuses a corrupted backup: fetch-backup exits 4, etcd never starts', async () => {
    // The second line of defence (the backup changed after the restore verified it): a cluster
    // annotated to seed from the corrupted copy made above.
    await real.kube.create({
      ...etcdClusterManifest('seeded-bad', NS, { size: 1 }),
      metadata: {
        name: 'seeded-bad',
        namespace: NS,
        annotations: {
          [ANNOTATION_RESTORE_FROM]: formatSeedSource({
            location: location('once'),
            backupId: 'corrupted-1',
            agentImage: 'ghcr.io/opsmith/etcd-operator:e2e',
          }),
        },
      },
    });
    type Pod = PodObject & {
      status?: { containerStatuses?: { state?: { running?: unknown } }[] };
    };
    const failure = await withState(
      real,
      'seeded-bad',
      eventually(
        'fetch-backup fails with the integrity exit code',
        async () => {
          const pod = await real.kube.get<Pod>(
            { apiVersion: 'v1', kind: 'Pod' },
            'seeded-bad-0',
            NS,
          );
          return seedFailureOf([pod]);
        },
        60_000,
        500,
      ),
    );
    expect(failure).toMatchObject({ container: 'fetch-backup', exitCode: 4 });
    const pod = await real.kube.get<Pod>({ apiVersion: 'v1', kind: 'Pod' }, 'seeded-bad-0', NS);
    expect(pod.status?.containerStatuses?.some((c) => c.state?.running)).toBeFalsy();
    await real.kube.delete(ETCD_CLUSTER, 'seeded-bad', NS);
  }, 90_000);
});
