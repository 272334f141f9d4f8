import type { Readable } from 'node:stream';

export interface ObjectInfo {
  /** Key relative to the storage root (the location's prefix or directory). */
  key: string;
  size: number;
  lastModified: Date;
}

export interface WriteOptions {
  signal?: AbortSignal;
  /** Called with the number of bytes accepted so far (for progress reporting). */
  onProgress?: (bytes: number) => void;
}

/**
 * The minimal storage surface backups need. Keys are relative, "/"-separated. Writes are
 * all-or-nothing: a failed or aborted write never leaves an object under the key.
 */
export interface BackupStorage {
  /** Human-readable location (s3://bucket/prefix or file:///dir) used in messages. */
  readonly url: string;
  /** Checks the location exists and the credentials work; throws a BackupError naming the problem. */
  check(signal?: AbortSignal): Promise<void>;
  write(
    key: string,
    body: Readable | Buffer | string,
    opts?: WriteOptions,
  ): Promise<{ size: number }>;
  /** Opens an object for streaming; throws BackupError NotFound if it does not exist. */
  read(key: string, opts?: { signal?: AbortSignal }): Promise<Readable>;
  /** Every object whose key starts with prefix, in no particular order. */
  list(prefix?: string): AsyncIterable<ObjectInfo>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Deletes an object; deleting a missing object succeeds (so overlapping cleanups are safe). */
  delete(key: string): Promise<void>;
}

export function validateKey(key: string): void {
  if (
    !key ||
    key.startsWith('/') ||
    key.split('/').some((p) => p === '' || p === '.' || p === '..')
  )
    throw new Error(`invalid object key ${JSON.stringify(key)}`);
}

export async function readAll(stream: Readable, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += buf.length;
    if (total > limit) {
      stream.destroy();
      throw new Error(`object larger than ${limit} bytes where a small one was expected`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
