// EtcdBackup and EtcdRestore as the operator code sees them (mirrors of the CRD schemas in
// packages/crd-schemas/src/crds/etcd/{backup,restore,common}.ts).
import type { Condition, EtcdClusterSpec, ObjectMeta } from '../api/types.ts';

export interface BackupLocation {
  url: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  credentialsSecret?: string;
}

export interface EtcdBackupSpec {
  clusterName: string;
  destination: BackupLocation;
  schedule?: string;
  timeZone?: string;
  retention?: { maxBackups: number };
  verify?: boolean;
  timeoutSeconds?: number;
  suspend?: boolean;
}

export interface BackupRecord {
  key: string;
  revision: string;
  size: number;
  sha256: string;
  etcdVersion: string;
  member?: string;
  startTime: string;
  completionTime: string;
  verified?: boolean;
}

export type BackupPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Scheduled';

export interface EtcdBackupStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  phase?: BackupPhase;
  lastBackup?: BackupRecord;
  lastSuccessTime?: string;
  lastScheduleTime?: string;
  nextScheduleTime?: string;
  backups?: number;
}

export interface EtcdBackup {
  apiVersion: 'etcd.opsmith.io/v1alpha1';
  kind: 'EtcdBackup';
  metadata: ObjectMeta & { deletionTimestamp?: string; finalizers?: string[] };
  spec: EtcdBackupSpec;
  status?: EtcdBackupStatus;
}

export interface EtcdRestoreSpec {
  source: { location: BackupLocation; key?: string };
  clusterName: string;
  replaceExisting?: boolean;
  clusterSpec?: EtcdClusterSpec;
}

export type RestorePhase = 'Pending' | 'Restoring' | 'Succeeded' | 'Failed';

export interface EtcdRestoreStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  phase?: RestorePhase;
  backupKey?: string;
  restoredRevision?: string;
  sha256?: string;
  completionTime?: string;
}

export interface EtcdRestore {
  apiVersion: 'etcd.opsmith.io/v1alpha1';
  kind: 'EtcdRestore';
  metadata: ObjectMeta & { deletionTimestamp?: string };
  spec: EtcdRestoreSpec;
  status?: EtcdRestoreStatus;
}

export const ETCD_BACKUP = { apiVersion: 'etcd.opsmith.io/v1alpha1', kind: 'EtcdBackup' };
export const ETCD_RESTORE = { apiVersion: 'etcd.opsmith.io/v1alpha1', kind: 'EtcdRestore' };
