import { randomBytes } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupError } from './errors.ts';
import type { BackupStorage, ObjectInfo, WriteOptions } from './storage.ts';
import { validateKey } from './storage.ts';

/** Marks in-flight files; they are visible to list() so orphan collection can remove leftovers. */
export const PARTIAL_MARK = '.partial-';

/**
 * Bytes written between background fdatasync calls. The disk then works while later bytes are
 * still being hashed and written, instead of all of it waiting for the final fsync, and the dirty
 * page cache one backup holds (charged to the pod's memory limit) stays bounded. The final fsync
 * before the rename still runs: this changes when data reaches the disk, not the guarantee.
 */
const SYNC_EVERY_BYTES = 32 * 1024 * 1024;

/** A directory (e.g. a mounted PVC) as backup storage: temp file, fsync, rename, fsync dir. */
export class FileStorage implements BackupStorage {
  readonly url: string;
  readonly root: string;
  private readonly syncEveryBytes: number;

  /**
   * @param opts.syncEveryBytes bytes written between background fdatasync calls on large writes
   *   (default SYNC_EVERY_BYTES; 0 syncs only at the end).
   */
  constructor(root: string, opts: { syncEveryBytes?: number } = {}) {
    this.root = root;
    this.url = `file://${root}`;
    this.syncEveryBytes = opts.syncEveryBytes ?? SYNC_EVERY_BYTES;
  }

  /**
   * The directory, or the nearest existing parent it would be created in (like an S3 prefix that
   * has no objects yet), is a readable directory. Needs no write access, so restores work on
   * read-only mounts.
   */
  async check(): Promise<void> {
    let dir = this.root;
    try {
      for (;;) {
        const s = await stat(dir).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT' && dirname(dir) !== dir) return undefined;
          throw err;
        });
        if (s) {
          if (!s.isDirectory())
            throw new BackupError(
              'InvalidLocation',
              `backup location ${this.root}: ${dir} is not a directory`,
            );
          break;
        }
        dir = dirname(dir);
      }
      await access(dir, constants.R_OK | constants.X_OK);
    } catch (err) {
      throw this.mapError(err, 'checking');
    }
  }

  /** Filesystem errors as BackupErrors that say what to fix. */
  private mapError(err: unknown, action: string, key?: string): unknown {
    if (err instanceof BackupError) return err;
    const e = err as NodeJS.ErrnoException;
    const where = key ? `${this.url}/${key}` : this.url;
    switch (e.code) {
      case 'ENOENT':
        return new BackupError('NotFound', `${where} does not exist`, { cause: err });
      case 'ENOTDIR':
        return new BackupError(
          'InvalidLocation',
          `${action} ${where}: a path component is not a directory`,
          { cause: err },
        );
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return new BackupError(
          'AccessDenied',
          `${action} ${where}: ${e.code} (check the volume's permissions and readOnly flag)`,
          { cause: err },
        );
      case 'ENOSPC':
      case 'EDQUOT':
        return new BackupError(
          'StorageError',
          `${action} ${where}: the volume is full (${e.code})`,
          {
            cause: err,
          },
        );
      default:
        return err;
    }
  }

  private pathOf(key: string): string {
    validateKey(key);
    return join(this.root, ...key.split('/'));
  }

  async write(
    key: string,
    body: Readable | Buffer | string,
    opts: WriteOptions = {},
  ): Promise<{ size: number }> {
    const target = this.pathOf(key);
    const dir = dirname(target);
    const tmp = `${target}${PARTIAL_MARK}${randomBytes(6).toString('hex')}`;
    let fh: FileHandle;
    try {
      await mkdir(dir, { recursive: true });
      fh = await open(tmp, 'wx');
    } catch (err) {
      throw this.mapError(err, 'writing', key);
    }
    try {
      let size: number;
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        const buf = Buffer.from(body);
        opts.signal?.throwIfAborted();
        await writeFully(fh, [buf]);
        size = buf.length;
        opts.onProgress?.(size);
      } else {
        const sink = new FileSink(fh, this.syncEveryBytes, opts.onProgress);
        await pipeline(body, sink, opts.signal ? { signal: opts.signal } : {});
        size = sink.size;
      }
      opts.signal?.throwIfAborted();
      await fh.sync();
      await fh.close();
      await rename(tmp, target);
      await syncDir(dir);
      return { size };
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      // An abort surfaces as pipeline's AbortError: report the abort's reason, as throwIfAborted does.
      throw this.mapError(opts.signal?.aborted ? opts.signal.reason : err, 'writing', key);
    }
  }

  async read(key: string, opts: { signal?: AbortSignal } = {}): Promise<Readable> {
    const path = this.pathOf(key);
    const fh = await open(path, 'r').catch((err: unknown) => {
      throw this.mapError(err, 'reading', key);
    });
    return fh.createReadStream({ highWaterMark: 1024 * 1024, signal: opts.signal });
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    yield* this.walk(this.root, prefix);
  }

  private async *walk(dir: string, prefix: string): AsyncIterable<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.mapError(err, 'listing');
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      const key = relative(this.root, full).split(sep).join('/');
      if (e.isDirectory()) {
        // Only descend where keys could still match the prefix.
        if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix) || key.startsWith(prefix))
          yield* this.walk(full, prefix);
      } else if (e.isFile() && key.startsWith(prefix)) {
        const s = await stat(full).catch(() => undefined);
        if (s) yield { key, size: s.size, lastModified: s.mtime };
      }
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const s = await stat(this.pathOf(key)).catch(() => undefined);
    return s?.isFile() ? { key, size: s.size, lastModified: s.mtime } : undefined;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}

/**
 * Bytes buffered before the file sink pushes back. While one writev is in flight the stages
 * upstream (hashing, compression) keep producing into this buffer, and the next writev takes all
 * of it in one system call.
 */
const FILE_SINK_HIGH_WATER_MARK = 4 * 1024 * 1024;

/**
 * Writes a stream into an open file with one writev per batch of buffered chunks, starting an
 * fdatasync (without waiting for it) every `syncEvery` bytes; the stream only finishes once the
 * last of them has, and a failed one fails the write (Linux reports a writeback error only once).
 */
class FileSink extends Writable {
  size = 0;
  private readonly fh: FileHandle;
  private readonly syncEvery: number;
  private readonly onProgress: ((bytes: number) => void) | undefined;
  private syncing: Promise<void> | undefined;
  private syncedTo = 0;
  private syncError: Error | undefined;

  constructor(fh: FileHandle, syncEvery: number, onProgress?: (bytes: number) => void) {
    super({ highWaterMark: FILE_SINK_HIGH_WATER_MARK });
    this.fh = fh;
    this.syncEvery = syncEvery;
    this.onProgress = onProgress;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeBuffers([chunk], cb);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    cb: (err?: Error | null) => void,
  ): void {
    this.writeBuffers(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    void Promise.resolve(this.syncing).then(() => cb(this.syncError));
  }

  private writeBuffers(buffers: Buffer[], cb: (err?: Error | null) => void): void {
    writeFully(this.fh, buffers)
      .then((n) => {
        this.size += n;
        if (this.syncError) throw this.syncError;
        const due = this.syncEvery > 0 && this.size - this.syncedTo >= this.syncEvery;
        if (due && !this.syncing) this.syncInBackground();
        this.onProgress?.(this.size); // a throwing callback fails the write, as any write error
      })
      .then(
        () => cb(),
        (err: unknown) => cb(err as Error),
      );
  }

  private syncInBackground(): void {
    const upTo = this.size;
    this.syncing = this.fh.datasync().then(
      () => {
        this.syncedTo = upTo;
        this.syncing = undefined;
      },
      (err: unknown) => {
        this.syncError ??= err as Error;
        this.syncing = undefined;
      },
    );
  }
}

/** writev until every byte is written (a regular file may take fewer bytes, e.g. near a full disk). */
async function writeFully(fh: FileHandle, buffers: Buffer[]): Promise<number> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  let rest = buffers;
  let done = 0;
  while (done < total) {
    const { bytesWritten } = await fh.writev(rest);
    if (bytesWritten <= 0) throw new Error(`writev wrote ${bytesWritten} bytes`);
    done += bytesWritten;
    rest = skipBytes(rest, bytesWritten);
  }
  return total;
}

/** The buffers after dropping the first n bytes (views, no copies). */
function skipBytes(buffers: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = n;
  for (const b of buffers) {
    if (skip >= b.length) skip -= b.length;
    else {
      out.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return out;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
