// Public surface of the etcd operator: building blocks, the EtcdCluster reconciler and controller.
export * from './api/types.ts';
export { EtcdClient, memberIdFromHex, memberIdToHex } from './etcd/client.ts';
export type {
  EndpointHealth,
  EndpointStatus,
  EtcdClientOptions,
  EtcdMember,
  EtcdTlsOptions,
  HashKV,
  PromoteResult,
} from './etcd/client.ts';
export {
  EtcdOperationError,
  classifyEtcdError,
  isEtcdErrorKind,
  type EtcdErrorKind,
} from './etcd/errors.ts';
export { openSnapshot, type SnapshotStream } from './etcd/snapshot.ts';
export { decide, nextOrdinal, quorum, memberNameFromPeerURL } from './cluster/decide.ts';
export type {
  Action,
  ClusterSpecView,
  ClusterStatusView,
  Decision,
  EtcdView,
  MemberRef,
  Observed,
  ObservedMember,
  ObservedPod,
  ObservedPvc,
} from './cluster/decide.ts';
export * from './cluster/names.ts';
export * from './cluster/pods.ts';
export { specView, sizeWarning } from './cluster/spec.ts';
export {
  clusterConditions,
  describe as describeDecision,
  type ConditionFacts,
} from './cluster/conditions.ts';
export {
  observeEtcd,
  toObservedMembers,
  toObservedPod,
  toObservedPvc,
  updateUnhealthySince,
} from './cluster/observe.ts';
export { checkVersionChange, lowestVersion, parseEtcdVersion } from './cluster/version.ts';
export * from './tls/pki.ts';
export * from './tls/certs.ts';
export * from './tls/rotation.ts';
export { pickSnapshotMember } from './backup/source.ts';
export {
  openClusterSnapshot,
  takeBackup,
  type TakeBackupOptions,
  type TakenBackup,
} from './backup/take.ts';
export * from './backup/types.ts';
export * from './backup/plan.ts';
export { BackupRuntime, redisConnection, type BackupRuntimeOptions } from './backup/runtime.ts';
export {
  addEtcdBackupController,
  BackupReconciler,
  BACKUP_FINALIZER,
  type EtcdBackupControllerOptions,
} from './backup/controller.ts';
export * from './restore/seed.ts';
export { planRestore, LABEL_RESTORED_BY, type RestoreAction } from './restore/plan.ts';
export { resolveBackup, backupIdOf } from './restore/resolve.ts';
export { addEtcdRestoreController, RestoreReconciler } from './restore/controller.ts';
export { findClusterBackups, rankCandidates, recoverFromBackup } from './cluster/recover.ts';
export { Failpoints, FAILPOINTS, parseFailpoints, type Failpoint } from './failpoints.ts';
export {
  act,
  retryDelayFor,
  REQUEUE,
  type ActDeps,
  type ActInput,
  type ActResult,
} from './cluster/act.ts';
export {
  ClusterReconciler,
  ETCD_CLUSTER,
  type ClusterReconcilerDeps,
  type Lister,
  type PassResult,
} from './cluster/reconciler.ts';
export {
  addEtcdClusterController,
  MANAGED_SELECTOR,
  REPORTING_CONTROLLER,
  type EtcdClusterControllerOptions,
} from './cluster/controller.ts';
export {
  ANNOTATION_ROTATE,
  ensureTls,
  caSecretName,
  operatorClientSecretName,
  operatorIssued,
  rotateCertificates,
  servedFingerprintProbe,
  type RotationOutcome,
  type TlsState,
} from './cluster/tls-secrets.ts';
export { servingCertificateFingerprint, type ProbeTls } from './tls/probe.ts';
export {
  EtcdOperatorMetrics,
  operatorMetricsFor,
  type BackupResult,
  type ClusterSample,
  type OperatorMetricsSink,
} from './metrics.ts';
export * from './monitoring/service-monitor.ts';
export { parseOptions, startOperator, HELP, type OperatorOptions } from './main.ts';
