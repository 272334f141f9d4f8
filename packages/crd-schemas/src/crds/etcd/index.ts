export { etcdCluster, EtcdClusterSpec, EtcdClusterStatus, OWNED_ETCD_FLAGS } from './cluster.ts';
export type { EtcdClusterSpecType, EtcdClusterStatusType } from './cluster.ts';
export { etcdBackup, EtcdBackupSpec, EtcdBackupStatus, CRON_PATTERN } from './backup.ts';
export { etcdRestore, EtcdRestoreSpec, EtcdRestoreStatus } from './restore.ts';
export { BACKUP_URL_PATTERN, VERSION_PATTERN, ETCD_GROUP } from './common.ts';

import { etcdBackup } from './backup.ts';
import { etcdCluster } from './cluster.ts';
import { etcdRestore } from './restore.ts';

/** The bundle line for ../index.ts: `{ app: 'etcd-operator', resources: etcdResources }`. */
export const etcdResources = [etcdCluster, etcdBackup, etcdRestore];
