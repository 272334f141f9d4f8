import { randomBytes } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { BackupError } from './errors.ts';
import type { BackupStorage, ObjectInfo, WriteOptions } from './storage.ts';
import { validateKey } from './storage.ts';

/** Marks in-flight files; they are visible to list() so orphan collection can remove leftovers. */
export const PARTIAL_MARK = '.partial-';

/** A directory (e.g. a mounted PVC) as backup storage: temp file, fsync, rename, fsync dir. */
export class FileStorage implements BackupStorage {
  readonly url: string;
  readonly root: string;

  constructor(root: string) {
    this.root = root;
    this.url = `file://${root}`;
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
    let size = 0;
    try {
      const source =
        typeof body === 'string' || Buffer.isBuffer(body)
          ? Readable.from([Buffer.from(body)])
          : body;
      for await (const chunk of source) {
        opts.signal?.throwIfAborted();
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        await fh.write(buf);
        size += buf.length;
        opts.onProgress?.(size);
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
      throw this.mapError(err, 'writing', key);
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

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
