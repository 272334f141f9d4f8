/** What went wrong, in a form callers can branch on (exit codes, condition reasons). */
export type BackupErrorCode =
  | 'InvalidLocation'
  | 'InvalidArgument'
  | 'MissingSecretKey'
  | 'InvalidEncryptionKey'
  | 'NotFound'
  | 'NoSuchBucket'
  | 'AccessDenied'
  | 'Unavailable'
  | 'Timeout'
  | 'IntegrityError'
  | 'DecryptionFailed'
  | 'Incomplete'
  | 'Cancelled'
  | 'StorageError';

export class BackupError extends Error {
  readonly code: BackupErrorCode;
  constructor(code: BackupErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
    this.code = code;
  }
}

export function isBackupError(err: unknown, code?: BackupErrorCode): err is BackupError {
  return err instanceof BackupError && (code === undefined || err.code === code);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
