// Quorum loss: 2 of 3 members killed with their data wiped. With recovery off the cluster is
// Degraded/LostQuorum with a message saying what to do; once spec.recovery.restoreFromBackup is
// turned on the operator restores the latest backup in place (Recovering, then Ready) and the
// cluster has the backed-up data again.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KubeObject } from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../../src/api/types.ts';
import type { EtcdBackup } from '../../src/backup/types.ts';
import { ETCD_CLUSTER } from '../../src/cluster/reconciler.ts';
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
  etcdAt,
  S3_CREDENTIALS,
  startRedis,
  startS3,
  type S3,
  withState,
} from './backup-support.ts';

const NS = 'quorum';
const BUCKET = 'quorum-backups';
let real: RealCluster;
let s3: S3;
let redis: Awaited<ReturnType<typeof startRedis>>;
let op: BackupOperator;

const getCluster = async () =>
  (await real.kube.get(ETCD_CLUSTER, 'q', NS)) as unknown as EtcdCluster;
const condition = (c: EtcdCluster, type: string) =>
  c.status?.conditions?.find((x) => x.type === type);

beforeAll(async () => {
  real = await startRealCluster(NS);
  const gateway = real.cluster.node?.gatewayIp;
  if (!gateway) throw new Error('the sandbox node has no gateway IP');
  s3 = await startS3(gateway, [BUCKET]);
  redis = await startRedis();
  op = new BackupOperator(real, redis.url);
  await op.start();
  await real.kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's3-creds', namespace: NS },
    stringData: S3_CREDENTIALS,
  } as KubeObject);
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await redis?.stop();
  await s3?.stop();
  await real?.stop();
}, 120_000);

it('2 of 3 members lost with their data: Degraded when recovery is off, restored when on', async () => {
  await real.kube.create(etcdClusterManifest('q', NS, { size: 3 }));
  await waitClusterReady(real.kube, NS, 'q', 3);
  let etcd = await etcdAt(real, 'q');
  try {
    await etcd.put('/before', 'backed-up');
  } finally {
    etcd.close();
  }
  await real.kube.create({
    apiVersion: 'etcd.opsmith.io/v1alpha1',
    kind: 'EtcdBackup',
    metadata: { name: 'q-backup', namespace: NS },
    spec: {
      clusterName: 'q',
      destination: {
        url: `s3://${BUCKET}/q`,
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentialsSecret: 's3-creds',
      },
    },
  } as KubeObject);
  await eventually(
    'backup Succeeded',
    async () => {
      const b = (await real.kube.get(ETCD_BACKUP_TYPE, 'q-backup', NS)) as unknown as EtcdBackup;
      return b.status?.phase === 'Succeeded' ? true : undefined;
    },
    60_000,
    300,
  );

  // Kill two members and wipe their data while the operator is down, so no replacement can
  // start in between: the survivor alone has no quorum.
  await op.stop();
  const before = await getCluster();
  const victims = (before.status?.members ?? []).map((m) => m.name).slice(0, 2);
  expect(victims).toHaveLength(2);
  for (const m of victims) {
    await real.kube.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, `${m}-data`, NS);
    await real.kube.delete({ apiVersion: 'v1', kind: 'Pod' }, m, NS, { gracePeriodSeconds: 0 });
  }
  await eventually(
    'victims gone',
    async () => {
      const pods = await real.kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: NS });
      const pvcs = await real.kube.list(
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
        { namespace: NS },
      );
      const names = [...pods.items, ...pvcs.items].map((o) => o.metadata?.name);
      return victims.some((v) => names.includes(v) || names.includes(`${v}-data`))
        ? undefined
        : true;
    },
    60_000,
    300,
  );
  await op.start();

  // Recovery off (the default): Degraded, LostQuorum, and the message says what to do.
  const degraded = await eventually(
    'Degraded/LostQuorum',
    async () => {
      const c = await getCluster();
      return condition(c, 'Degraded')?.status === 'True' &&
        condition(c, 'Degraded')?.reason === 'LostQuorum'
        ? c
        : undefined;
    },
    90_000,
    500,
  );
  const message = condition(degraded, 'Degraded')?.message ?? '';
  expect(message).toContain('EtcdRestore');
  expect(message).toContain('restoreFromBackup');

  // Recovery on: restored in place from the backup.
  await real.kube.patch(ETCD_CLUSTER, 'q', NS, 'merge', {
    spec: { recovery: { restoreFromBackup: true } },
  });
  await eventually(
    'Recovering observed',
    async () => {
      const events = await real.kube.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: NS });
      return events.items.some((e) => (e as { reason?: string }).reason === 'RecoveringFromBackup')
        ? true
        : undefined;
    },
    90_000,
    500,
  );
  const recovered = await withState(real, 'q', waitClusterReady(real.kube, NS, 'q', 3, 180_000));
  // Every member is new: the recovery seeds a never-used ordinal and grows from there.
  const names = (recovered.status?.members ?? []).map((m) => m.name);
  expect(names.some((n) => (before.status?.members ?? []).some((m) => m.name === n))).toBe(false);
  etcd = await etcdAt(real, 'q');
  try {
    expect(await etcd.get('/before')).toBe('backed-up');
  } finally {
    etcd.close();
  }
}, 420_000);
