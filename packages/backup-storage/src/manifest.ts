import { COMPRESSIONS, type Compression } from './compression.ts';
import { BackupError } from './errors.ts';

export const MANIFEST_FORMAT_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';
export const DATA_NAME = 'data';

export interface BackupSource {
  /** Kind of the object that was backed up, e.g. EtcdCluster. */
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export type BackupEncryption =
  | { algorithm: 'none' }
  | { algorithm: 'AES-256-GCM-chunked-v1'; keyId: string; chunkSize: number };

/** One per backup, written after the data: a backup without it is incomplete and never usable. */
export interface BackupManifest {
  formatVersion: number;
  id: string;
  /** Data object key, relative to the storage root. */
  dataKey: string;
  source: BackupSource;
  application?: { name: string; version?: string };
  /** Where in the application's history the backup stands: etcd revision, GTID set, ... */
  position?: string;
  /** Raw (uncompressed, unencrypted) size and sha256. */
  size: number;
  rawSha256: string;
  /** Size and sha256 of the stored object (after compression and encryption). */
  compressedSize: number;
  sha256: string;
  compression: Compression;
  encryption: BackupEncryption;
  createdAt: string;
  completedAt: string;
  /** Set when the stored object was read back and checked before the manifest was written. */
  verifiedAt?: string;
  /** Free-form labels for the operator (e.g. schedule name). */
  labels?: Record<string, string>;
}

export function manifestKey(id: string): string {
  return `${id}/${MANIFEST_NAME}`;
}
export function dataKey(id: string): string {
  return `${id}/${DATA_NAME}`;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
export function validateBackupId(id: string): void {
  if (!ID_RE.test(id))
    throw new BackupError(
      'InvalidArgument',
      `invalid backup id ${JSON.stringify(id)}: use 1-200 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
}

/** A backup id from a Kubernetes object: <name>-<yyyymmddThhmmssZ> sorts by time and is readable. */
export function backupIdFor(name: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${name.replace(/[^A-Za-z0-9._-]/g, '-')}-${stamp}`;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parses and checks a manifest; throws IntegrityError naming the first bad field. */
export function parseManifest(text: string, where = 'manifest'): BackupManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new BackupError('IntegrityError', `${where} is not valid JSON`);
  }
  const bad = (field: string) =>
    new BackupError('IntegrityError', `${where}: field ${field} is missing or invalid`);
  if (typeof m !== 'object' || m === null) throw bad('(root)');
  const o = m as Record<string, unknown>;
  if (o['formatVersion'] !== MANIFEST_FORMAT_VERSION)
    throw new BackupError(
      'IntegrityError',
      `${where}: formatVersion ${String(o['formatVersion'])} is not supported (this build reads ${MANIFEST_FORMAT_VERSION})`,
    );
  const str = (k: string) => typeof o[k] === 'string' && o[k].length > 0;
  const num = (k: string) => typeof o[k] === 'number' && Number.isSafeInteger(o[k]) && o[k] >= 0;
  for (const k of ['id', 'dataKey', 'createdAt', 'completedAt']) if (!str(k)) throw bad(k);
  for (const k of ['size', 'compressedSize']) if (!num(k)) throw bad(k);
  for (const k of ['sha256', 'rawSha256'])
    if (typeof o[k] !== 'string' || !HEX64.test(o[k])) throw bad(k);
  if (!COMPRESSIONS.includes(o['compression'] as Compression)) throw bad('compression');
  const src = o['source'] as Record<string, unknown> | undefined;
  if (!src || typeof src.kind !== 'string' || typeof src.name !== 'string') throw bad('source');
  const enc = o['encryption'] as Record<string, unknown> | undefined;
  if (!enc || (enc.algorithm !== 'none' && enc.algorithm !== 'AES-256-GCM-chunked-v1'))
    throw bad('encryption');
  if (
    enc.algorithm !== 'none' &&
    (typeof enc.keyId !== 'string' || typeof enc.chunkSize !== 'number')
  )
    throw bad('encryption');
  if (Number.isNaN(Date.parse(o['createdAt'] as string))) throw bad('createdAt');
  return m as BackupManifest;
}
