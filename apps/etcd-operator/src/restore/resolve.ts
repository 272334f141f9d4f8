// Finds and verifies the backup a restore will use, before anything is created: a corrupted,
// truncated or missing backup fails here with the backup-storage error code as the reason.
import {
  BackupError,
  latestBackup,
  requireManifest,
  verifyBackup,
  type BackupManifest,
} from '@opsmith/backup-storage';
import type { KubeClient } from '@opsmith/k8s-runtime';
import { openLocation, storageRef } from '../backup/storage.ts';
import type { BackupLocation } from '../backup/types.ts';

export interface ResolvedBackup {
  manifest: BackupManifest;
  /** `<location>/<id>`, as EtcdBackup status reports it. */
  key: string;
}

/** The backup id of `key`: a bare id, or `<location>/<id>` as status.lastBackup.key shows it. */
export function backupIdOf(location: string, key: string): string {
  const trimmed = key.replace(/\/+$/, '');
  const base = location.replace(/\/+$/, '');
  if (trimmed.startsWith(`${base}/`)) return trimmed.slice(base.length + 1);
  return trimmed.split('/').pop() ?? trimmed;
}

export async function resolveBackup(
  kube: KubeClient,
  namespace: string,
  location: BackupLocation,
  key: string | undefined,
  signal?: AbortSignal,
): Promise<ResolvedBackup> {
  const storage = await openLocation(kube, namespace, storageRef(location));
  const manifest = key
    ? await requireManifest(storage, backupIdOf(location.url, key))
    : await latestBackup(storage);
  if (!manifest) throw new BackupError('NotFound', `no complete backup under ${location.url}`);
  if (manifest.application?.name && manifest.application.name !== 'etcd') {
    throw new BackupError(
      'InvalidArgument',
      `backup ${manifest.id} is a ${manifest.application.name} backup, not etcd`,
    );
  }
  await verifyBackup(storage, manifest, signal ? { signal } : {});
  return { manifest, key: `${location.url.replace(/\/+$/, '')}/${manifest.id}` };
}
