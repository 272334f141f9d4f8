import type { Readable, Transform } from 'node:stream';
import { createCompressor, type Compression } from './compression.ts';
import {
  DEFAULT_CHUNK_SIZE,
  ENCRYPTION_ALGORITHM,
  EncryptStream,
  keyFingerprint,
} from './encryption.ts';
import { BackupError } from './errors.ts';
import { pipeInto } from './flow.ts';
import { FileStorage } from './fs-storage.ts';
import {
  MANIFEST_FORMAT_VERSION,
  dataKey,
  manifestKey,
  validateBackupId,
  type BackupEncryption,
  type BackupManifest,
  type BackupSource,
} from './manifest.ts';
import { Meter } from './metering.ts';
import { readManifest, verifyBackup } from './restore.ts';
import type { BackupStorage } from './storage.ts';

export interface EncryptionOptions {
  /** 32-byte AES-256 key, e.g. from encryptionKeyFromSecret(). */
  key: Buffer;
  /** Recorded in the manifest; defaults to a fingerprint of the key (never the key itself). */
  keyId?: string;
  chunkSize?: number;
}

export interface BackupProgress {
  /** Raw bytes read from the source so far. */
  rawBytes: number;
  /** Bytes handed to storage so far. */
  storedBytes: number;
  phase: 'uploading' | 'verifying';
}

export interface WriteBackupOptions {
  id: string;
  source: BackupSource;
  application?: { name: string; version?: string };
  position?: string;
  labels?: Record<string, string>;
  compression?: Compression;
  compressionLevel?: number;
  encryption?: EncryptionOptions;
  /** Read the stored object back and check it before writing the manifest (default true). */
  verify?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: BackupProgress) => void;
  now?: () => Date;
}

/**
 * Streams one backup: source -> sha256/size -> compress -> encrypt -> sha256/size -> storage
 * (one sha256/size stage when there is neither compression nor encryption; for a FileStorage the
 * raw sha256 of streams over a few MiB runs on the process's shared hashing thread, overlapping
 * the file writes), then (optionally) reads it back and verifies, then writes the manifest LAST.
 * Memory stays bounded by the stream buffers and the upload's part size whatever the backup size.
 */
export async function writeBackup(
  storage: BackupStorage,
  input: Readable,
  opts: WriteBackupOptions,
): Promise<BackupManifest> {
  validateBackupId(opts.id);
  const now = opts.now ?? (() => new Date());
  const createdAt = now().toISOString();
  const compression = opts.compression ?? 'zstd';
  let encryption: BackupEncryption = { algorithm: 'none' };
  let encryptor: EncryptStream | undefined;
  if (opts.encryption) {
    // Created first: it validates the key before storage is touched or a compressor allocated.
    const chunkSize = opts.encryption.chunkSize ?? DEFAULT_CHUNK_SIZE;
    encryptor = new EncryptStream(opts.encryption.key, chunkSize);
    encryption = {
      algorithm: ENCRYPTION_ALGORITHM,
      keyId: opts.encryption.keyId ?? keyFingerprint(opts.encryption.key),
      chunkSize,
    };
  }
  if (await readManifest(storage, opts.id))
    throw new BackupError(
      'InvalidArgument',
      `backup ${opts.id} already exists in ${storage.url}; ids are never reused`,
    );
  const progress: BackupProgress = { rawBytes: 0, storedBytes: 0, phase: 'uploading' };
  const raw = new Meter({
    // A local disk keeps pace with one core's sha256, so the hash moves to the shared hashing
    // thread; remote stores are slower than the hash, and the thread's RSS would buy nothing there.
    hashOffThread: storage instanceof FileStorage,
    onBytes: (n) => {
      progress.rawBytes = n;
    },
  });
  const transforms: Transform[] = [raw];
  const compressor = createCompressor(compression, opts.compressionLevel);
  if (compressor) transforms.push(compressor);
  if (encryptor) transforms.push(encryptor);
  // Without compression and encryption the stored bytes are the raw bytes: hash them once.
  const stored = transforms.length > 1 ? new Meter() : raw;
  if (stored !== raw) transforms.push(stored);
  const key = dataKey(opts.id);

  const written = await pipeInto(
    input,
    transforms,
    (stream, signal) =>
      storage.write(key, stream, {
        signal,
        onProgress: (n) => {
          progress.storedBytes = n;
          opts.onProgress?.(progress);
        },
      }),
    opts.signal,
  );
  if (written.size !== stored.bytes)
    throw new BackupError(
      'IntegrityError',
      `storage accepted ${written.size} bytes of ${stored.bytes} for ${key}`,
    );

  const manifest: BackupManifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    id: opts.id,
    dataKey: key,
    source: opts.source,
    ...(opts.application ? { application: opts.application } : {}),
    ...(opts.position !== undefined ? { position: opts.position } : {}),
    size: raw.bytes,
    rawSha256: raw.sha256(),
    compressedSize: stored.bytes,
    sha256: stored.sha256(),
    compression,
    encryption,
    createdAt,
    completedAt: now().toISOString(),
    ...(opts.labels ? { labels: opts.labels } : {}),
  };
  if (opts.verify ?? true) {
    progress.phase = 'verifying';
    opts.onProgress?.(progress);
    await verifyBackup(storage, manifest, { key: opts.encryption?.key, signal: opts.signal });
    manifest.verifiedAt = now().toISOString();
  }
  opts.signal?.throwIfAborted();
  await storage.write(manifestKey(opts.id), `${JSON.stringify(manifest, null, 2)}\n`, {
    signal: opts.signal,
  });
  return manifest;
}
