// One backup of a cluster: snapshot the most up-to-date healthy member through the maintenance
// API and stream it through backup-storage (checksums, compression, manifest written last).
import { writeBackup, type BackupManifest, type BackupStorage } from '@opsmith/backup-storage';
import type { EtcdClient } from '../etcd/client.ts';
import { EtcdOperationError } from '../etcd/errors.ts';
import { openSnapshot, type SnapshotStream } from '../etcd/snapshot.ts';
import { pickSnapshotMember } from './source.ts';

export interface TakeBackupOptions {
  id: string;
  source: { kind: string; name: string; namespace?: string; uid?: string };
  labels?: Record<string, string>;
  timeoutMs?: number;
  verify?: boolean;
  signal?: AbortSignal;
}

export interface TakenBackup {
  manifest: BackupManifest;
  memberId: string;
  endpoint: string;
  revision: string;
  etcdVersion: string;
}

/** Opens a snapshot stream from the most up-to-date healthy voting member. */
export async function openClusterSnapshot(
  client: EtcdClient,
  opts: { timeoutMs?: number } = {},
): Promise<SnapshotStream> {
  const statuses = (await client.statusAll()).filter(
    (s): s is Exclude<typeof s, EtcdOperationError> => !(s instanceof EtcdOperationError),
  );
  const healthy = new Set(
    (await Promise.all(statuses.map((s) => client.health(s.endpoint))))
      .filter((h) => h.healthy)
      .map((h) => h.endpoint),
  );
  const member = pickSnapshotMember(statuses, (e) => healthy.has(e));
  if (!member) {
    throw new EtcdOperationError('Unavailable', 'backup', 'no healthy voting member to snapshot');
  }
  return await openSnapshot(client, member.endpoint, {
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
}

export async function takeBackup(
  client: EtcdClient,
  storage: BackupStorage,
  opts: TakeBackupOptions,
): Promise<TakenBackup> {
  const snap = await openClusterSnapshot(client, {
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  const manifest = await writeBackup(storage, snap.stream, {
    id: opts.id,
    source: opts.source,
    application: { name: 'etcd', version: snap.version },
    position: snap.revision,
    ...(opts.labels ? { labels: opts.labels } : {}),
    ...(opts.verify !== undefined ? { verify: opts.verify } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return {
    manifest,
    memberId: snap.memberId,
    endpoint: snap.endpoint,
    revision: snap.revision,
    etcdVersion: snap.version,
  };
}
