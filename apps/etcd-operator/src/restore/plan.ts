// The EtcdRestore state machine (pure): observation -> the next single step. A restore resolves
// and verifies its backup before anything is created, so a corrupted or missing backup fails
// with nothing built; a failure the seed pod reports later deletes the cluster it created.
import type { EtcdRestoreSpec, EtcdRestoreStatus } from '../backup/types.ts';

export const LABEL_RESTORED_BY = 'etcd.opsmith.io/restored-by';
export const SEED_CONTAINERS = ['fetch-backup', 'restore-snapshot'] as const;

export interface RestoreObserved {
  spec: EtcdRestoreSpec;
  status: EtcdRestoreStatus;
  /** The EtcdCluster named spec.clusterName: absent, ours (labelled with our uid) or another's. */
  cluster: 'absent' | 'ours' | 'foreign';
  /** Pods or PVCs of a cluster of that name still around (a replaced cluster being removed). */
  leftovers: number;
  /** Our cluster reports Ready with every member. */
  clusterReady: boolean;
  /** An init container of the seed pod exited non-zero. */
  seedFailure?: { container: string; exitCode: number; message: string };
}

export type RestoreAction =
  | { type: 'none' }
  | { type: 'resolveBackup' }
  | { type: 'deleteExisting' }
  | { type: 'wait'; reason: string; message: string; requeueAfterMs: number }
  | { type: 'createCluster' }
  | { type: 'fail'; reason: string; message: string; cleanup: boolean }
  | { type: 'succeed' };

/** Agent exit codes (backup-storage AGENT_EXIT_CODES) -> condition reasons. */
export function seedFailureReason(container: string, exitCode: number): string {
  if (container === 'restore-snapshot') return 'SnapshotRestoreFailed';
  const byCode: Record<number, string> = {
    2: 'InvalidArgument',
    3: 'BackupNotFound',
    4: 'BackupCorrupted',
    5: 'AccessDenied',
    6: 'StorageUnavailable',
  };
  return byCode[exitCode] ?? 'BackupFetchFailed';
}

/** Failures retrying cannot fix; the others (storage unreachable) are retried by the kubelet. */
function permanent(container: string, exitCode: number): boolean {
  return container === 'restore-snapshot' || [2, 3, 4, 5].includes(exitCode);
}

export function planRestore(o: RestoreObserved): RestoreAction {
  if (o.status.phase === 'Succeeded' || o.status.phase === 'Failed') return { type: 'none' };
  if (!o.spec.source.location.url.startsWith('s3://')) {
    // The seed pod fetches the backup itself and mounts nothing but the credentials Secret: a
    // file:// path exists only where the operator runs.
    return {
      type: 'fail',
      reason: 'UnsupportedLocation',
      message: `restores read the backup inside the new cluster's first pod, which cannot see ${o.spec.source.location.url}; copy the backup to an s3:// location (any S3-compatible server) and restore from there`,
      cleanup: false,
    };
  }
  if (o.cluster === 'foreign') {
    if (!o.spec.replaceExisting) {
      return {
        type: 'fail',
        reason: 'ClusterExists',
        message: `EtcdCluster ${o.spec.clusterName} already exists; choose another spec.clusterName, or set spec.replaceExisting: true to delete it and its data first`,
        cleanup: false,
      };
    }
    if (!o.status.backupKey) return { type: 'resolveBackup' };
    return { type: 'deleteExisting' };
  }
  if (!o.status.backupKey) return { type: 'resolveBackup' };
  if (o.cluster === 'absent') {
    if (o.leftovers > 0) {
      return {
        type: 'wait',
        reason: 'RemovingOldCluster',
        message: `waiting for ${o.leftovers} pod(s)/PVC(s) of the replaced cluster to go`,
        requeueAfterMs: 2000,
      };
    }
    return { type: 'createCluster' };
  }
  if (o.seedFailure && permanent(o.seedFailure.container, o.seedFailure.exitCode)) {
    return {
      type: 'fail',
      reason: seedFailureReason(o.seedFailure.container, o.seedFailure.exitCode),
      message: `the seed member's ${o.seedFailure.container} init container failed (exit ${o.seedFailure.exitCode}): ${o.seedFailure.message}; the cluster was deleted`,
      cleanup: true,
    };
  }
  if (o.clusterReady) return { type: 'succeed' };
  return {
    type: 'wait',
    reason: 'Restoring',
    message: o.seedFailure
      ? `seed member retrying: ${o.seedFailure.container} exited ${o.seedFailure.exitCode}`
      : `restoring ${o.status.backupKey} into ${o.spec.clusterName}`,
    requeueAfterMs: 3000,
  };
}
