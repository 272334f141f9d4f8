export { parseLocation, formatLocation, bucketNameProblem, type Location } from './location.ts';
export { BackupError, isBackupError, type BackupErrorCode } from './errors.ts';
export type { BackupStorage, ObjectInfo, WriteOptions } from './storage.ts';
export { FileStorage } from './fs-storage.ts';
export { hashThread } from './hash-thread.ts';
export { S3Storage, type S3StorageOptions } from './s3-storage.ts';
export {
  openStorage,
  openStorageFromSpec,
  type S3ConnectionOptions,
  type StorageSpec,
} from './open-storage.ts';
export {
  s3CredentialsFromSecret,
  encryptionKeyFromSecret,
  decodeSecretData,
  type S3Credentials,
  type SecretData,
} from './credentials.ts';
export { type Compression } from './compression.ts';
export {
  ENCRYPTION_ALGORITHM,
  EncryptStream,
  DecryptStream,
  keyFingerprint,
} from './encryption.ts';
export {
  MANIFEST_FORMAT_VERSION,
  manifestKey,
  dataKey,
  backupIdFor,
  parseManifest,
  type BackupManifest,
  type BackupSource,
  type BackupEncryption,
} from './manifest.ts';
export {
  writeBackup,
  type WriteBackupOptions,
  type EncryptionOptions,
  type BackupProgress,
} from './backup.ts';
export {
  readManifest,
  requireManifest,
  restoreBackup,
  verifyBackup,
  fetchBackupToFile,
  type ReadBackupOptions,
  type VerifyBackupOptions,
} from './restore.ts';
export { listBackups, latestBackup } from './catalog.ts';
export {
  planRetention,
  applyRetention,
  deleteBackup,
  collectOrphans,
  planOrphans,
  type RetentionPolicy,
  type RetentionPlan,
  type RetentionResult,
} from './retention.ts';
export {
  BackupQueue,
  BackupWorker,
  jobIdFor,
  nextRun,
  DEFAULT_QUEUE_NAME,
  type QueueOptions,
  type WorkerOptions,
  type WorkerHandlers,
  type JobOwner,
  type StorageRef,
  type EncryptionRef,
  type BackupJobData,
  type RestoreFetchJobData,
  type VerifyJobData,
  type BackupQueueJobData,
} from './queue.ts';
export {
  jobToResourceStatus,
  splitFailedReason,
  type BackupJobKind,
  type BackupJobResult,
  type JobSnapshot,
  type JobState,
  type JobProgress,
  type Condition,
  type ResourcePhase,
  type ResourceJobStatus,
} from './job-status.ts';
export { runAgent, readSecretDir, EXIT as AGENT_EXIT_CODES } from './agent.ts';
