import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecompressor } from './compression.ts';
import { DecryptStream, keyFingerprint } from './encryption.ts';
import { BackupError, isBackupError } from './errors.ts';
import { manifestKey, parseManifest, validateBackupId, type BackupManifest } from './manifest.ts';
import { Meter } from './metering.ts';
import { readAll, type BackupStorage } from './storage.ts';

/** The manifest of a backup, or undefined when there is none (backup absent or incomplete). */
export async function readManifest(
  storage: BackupStorage,
  id: string,
): Promise<BackupManifest | undefined> {
  validateBackupId(id);
  let stream: Readable;
  try {
    stream = await storage.read(manifestKey(id));
  } catch (err) {
    if (isBackupError(err, 'NotFound')) return undefined;
    throw err;
  }
  const manifest = parseManifest(
    (await readAll(stream, 1024 * 1024)).toString('utf8'),
    `${storage.url}/${manifestKey(id)}`,
  );
  if (manifest.id !== id)
    throw new BackupError(
      'IntegrityError',
      `${storage.url}/${manifestKey(id)} describes backup ${manifest.id}, not ${id}`,
    );
  return manifest;
}

export async function requireManifest(storage: BackupStorage, id: string): Promise<BackupManifest> {
  const m = await readManifest(storage, id);
  if (!m)
    throw new BackupError(
      'NotFound',
      `backup ${id} not found in ${storage.url} (no manifest: absent or incomplete)`,
    );
  return m;
}

export interface ReadBackupOptions {
  /** Required for encrypted backups. */
  key?: Buffer;
  signal?: AbortSignal;
  onProgress?: (rawBytes: number) => void;
}

function decodingTransforms(
  storage: BackupStorage,
  m: BackupManifest,
  opts: ReadBackupOptions,
): Transform[] {
  const where = `${storage.url}/${m.dataKey}`;
  if (m.compression === 'none' && m.encryption.algorithm === 'none') {
    // Stored bytes are the raw bytes: one check covers both, so they are read and hashed once.
    if (m.sha256 !== m.rawSha256 || m.compressedSize !== m.size)
      throw new BackupError(
        'IntegrityError',
        `manifest of backup ${m.id} is inconsistent: neither compressed nor encrypted, yet stored and raw size or sha256 differ`,
      );
    return [
      new Meter({
        expect: { size: m.size, sha256: m.sha256, what: `stored object ${where}` },
        onBytes: opts.onProgress,
      }),
    ];
  }
  const t: Transform[] = [
    new Meter({
      expect: { size: m.compressedSize, sha256: m.sha256, what: `stored object ${where}` },
    }),
  ];
  if (m.encryption.algorithm !== 'none') {
    if (!opts.key)
      throw new BackupError(
        'DecryptionFailed',
        `backup ${m.id} is encrypted (key ${m.encryption.keyId}); no key was given`,
      );
    const given = keyFingerprint(opts.key);
    if (m.encryption.keyId.startsWith('sha256:') && m.encryption.keyId !== given)
      throw new BackupError(
        'DecryptionFailed',
        `backup ${m.id} was encrypted with key ${m.encryption.keyId}, the given key is ${given}`,
      );
    t.push(new DecryptStream(opts.key));
  }
  t.push(createDecompressor(m.compression));
  t.push(
    new Meter({
      expect: { size: m.size, sha256: m.rawSha256, what: `restored data of backup ${m.id}` },
      onBytes: opts.onProgress,
    }),
  );
  return t;
}

function wrapDecodeError(err: unknown, m: BackupManifest): unknown {
  // The key's fingerprint matched the manifest before decrypting, so a failed chunk means tampering.
  if (
    err instanceof BackupError &&
    err.code === 'DecryptionFailed' &&
    m.encryption.algorithm !== 'none'
  )
    return new BackupError(
      'IntegrityError',
      `backup ${m.id}: encrypted data failed authentication (${err.message})`,
      {
        cause: err,
      },
    );
  if (err instanceof BackupError) return err;
  const e = err as NodeJS.ErrnoException;
  if (
    e.code?.startsWith('Z_') ||
    e.code?.startsWith('ERR_ZSTD') ||
    /zstd|incorrect header|unexpected end/i.test(e.message)
  )
    return new BackupError(
      'IntegrityError',
      `backup ${m.id}: ${m.compression} stream is corrupt (${e.message})`,
      { cause: err },
    );
  return err;
}

/**
 * Streams a backup's raw data into dest, checking stored and raw size and sha256 and
 * authenticating every encrypted chunk. dest sees data before the end is verified: when
 * the promise rejects, discard what was written (fetchBackupToFile does that for you).
 */
export async function restoreBackup(
  storage: BackupStorage,
  idOrManifest: string | BackupManifest,
  dest: Writable,
  opts: ReadBackupOptions = {},
): Promise<BackupManifest> {
  const m =
    typeof idOrManifest === 'string' ? await requireManifest(storage, idOrManifest) : idOrManifest;
  const transforms = decodingTransforms(storage, m, opts); // throws on a missing or wrong key first
  const source = await storage.read(m.dataKey, { signal: opts.signal });
  try {
    await (pipeline as (...a: unknown[]) => Promise<void>)(source, ...transforms, dest, {
      signal: opts.signal,
    });
  } catch (err) {
    throw wrapDecodeError(err, m);
  }
  return m;
}

export interface VerifyBackupOptions extends ReadBackupOptions {
  /**
   * After a successful check, rewrite the manifest with verifiedAt set to now (needs write
   * access). Run it where nothing deletes the backup meanwhile (the job queue holds the target's
   * lock), or a retention run could see its manifest written back after deleting it.
   */
  record?: boolean;
  now?: () => Date;
}

/** Re-reads a backup end to end and checks it; throws IntegrityError/DecryptionFailed when it is bad. */
export async function verifyBackup(
  storage: BackupStorage,
  idOrManifest: string | BackupManifest,
  opts: VerifyBackupOptions = {},
): Promise<BackupManifest> {
  const sink = new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
  const m = await restoreBackup(storage, idOrManifest, sink, opts);
  if (!opts.record) return m;
  // Written back only over the same backup's manifest: one deleted meanwhile stays deleted.
  const current = await readManifest(storage, m.id);
  if (!current || current.createdAt !== m.createdAt || current.sha256 !== m.sha256)
    throw new BackupError(
      'NotFound',
      `backup ${m.id} was removed from ${storage.url} while verifying`,
    );
  const verified: BackupManifest = {
    ...current,
    verifiedAt: (opts.now?.() ?? new Date()).toISOString(),
  };
  opts.signal?.throwIfAborted();
  await storage.write(manifestKey(m.id), `${JSON.stringify(verified, null, 2)}\n`, {
    signal: opts.signal,
  });
  return verified;
}

/**
 * Fetches and verifies a backup into a file: written to a temp file beside it, fsynced, and
 * renamed into place only after verification, so a bad backup never leaves a file that looks good.
 */
export async function fetchBackupToFile(
  storage: BackupStorage,
  idOrManifest: string | BackupManifest,
  path: string,
  opts: ReadBackupOptions = {},
): Promise<BackupManifest> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.partial-${randomBytes(6).toString('hex')}`;
  try {
    // flush: fsync before close, so the renamed file is durable.
    const m = await restoreBackup(
      storage,
      idOrManifest,
      createWriteStream(tmp, { flags: 'wx', flush: true }),
      opts,
    );
    await rename(tmp, path);
    return m;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
