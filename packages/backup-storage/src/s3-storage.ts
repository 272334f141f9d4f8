import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, Transform } from 'node:stream';
import type { S3Credentials } from './credentials.ts';
import { BackupError } from './errors.ts';
import { STREAM_HIGH_WATER_MARK } from './flow.ts';
import type { BackupStorage, ObjectInfo, WriteOptions } from './storage.ts';
import { validateKey } from './storage.ts';

export interface S3StorageOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing "/". */
  prefix?: string;
  /** For S3-compatible servers (MinIO, Ceph, s3rver): http(s)://host:port. */
  endpoint?: string;
  region?: string;
  /** Path-style addressing (http://host/bucket/key); most S3-compatible servers need it. */
  forcePathStyle?: boolean;
  credentials?: S3Credentials;
  /** Server-side encryption header sent with every write. */
  serverSideEncryption?: { algorithm: 'AES256' | 'aws:kms'; kmsKeyId?: string };
  /** Attempts per request, with the SDK's exponential backoff between them (default 5). */
  maxAttempts?: number;
  /** Connect timeout and socket idle timeout, so a dead server produces an error, not a hang. */
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Multipart part size (default 5 MiB, the S3 minimum) and parts in flight (default 2): memory is about their product. */
  partSize?: number;
  queueSize?: number;
}

/** S3-compatible object storage through @aws-sdk/client-s3, multipart uploads via lib-storage. */
export class S3Storage implements BackupStorage {
  readonly url: string;
  readonly client: S3Client;
  private readonly opts: S3StorageOptions;
  private readonly prefix: string;

  constructor(opts: S3StorageOptions) {
    this.opts = opts;
    this.prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.url = `s3://${opts.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.client = new S3Client({
      region: opts.region ?? 'us-east-1',
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
      credentials: opts.credentials,
      maxAttempts: opts.maxAttempts ?? 5,
      // Only what S3 requires: many S3-compatible servers reject the newer checksum trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: opts.connectTimeoutMs ?? 10_000,
        // socketTimeout is the idle timeout (requestTimeout would only log a warning by default).
        socketTimeout: opts.idleTimeoutMs ?? 60_000,
      },
    });
  }

  private where(): string {
    return `${this.url}${this.opts.endpoint ? ` at ${this.opts.endpoint}` : ''}`;
  }

  private fullKey(key: string): string {
    validateKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** Maps SDK errors onto BackupErrors that say what to fix. */
  private mapError(err: unknown, action: string, key?: string): BackupError {
    if (err instanceof BackupError) return err;
    const e = err as {
      name?: string;
      code?: string;
      message?: string;
      $metadata?: { httpStatusCode?: number };
    };
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? e.code ?? '';
    const target = key ? `${this.url}/${key}` : this.where();
    // HEAD responses carry no error body: the SDK then only knows the HTTP status.
    const detail =
      name === 'Unknown' || e.message === 'UnknownError'
        ? `HTTP ${status ?? '?'}`
        : `${name}${e.message && e.message !== name ? `: ${e.message}` : ''}`;
    if (name === 'NoSuchBucket')
      return new BackupError(
        'NoSuchBucket',
        `bucket ${this.opts.bucket} does not exist (${this.where()})`,
        { cause: err },
      );
    if (
      ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden'].includes(name) ||
      status === 403
    )
      return new BackupError(
        'AccessDenied',
        `${action} ${target}: access denied (${detail}); check the access key and secret key in the credentials Secret`,
        { cause: err },
      );
    if (name === 'NoSuchKey' || name === 'NotFound' || status === 404)
      return new BackupError('NotFound', `${target} does not exist`, { cause: err });
    if (name === 'AbortError')
      return new BackupError('Cancelled', `${action} ${target}: cancelled`, { cause: err });
    if (name === 'TimeoutError' || /timeout/i.test(name))
      return new BackupError('Timeout', `${action} ${target}: timed out (${detail})`, {
        cause: err,
      });
    if (
      ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'EHOSTUNREACH', 'EPIPE'].includes(e.code ?? name)
    )
      return new BackupError(
        'Unavailable',
        `${action} ${target}: cannot reach ${this.opts.endpoint ?? 'S3'} (${detail})`,
        {
          cause: err,
        },
      );
    return new BackupError('StorageError', `${action} ${target}: ${detail || String(err)}`, {
      cause: err,
    });
  }

  async check(signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.opts.bucket }), {
        abortSignal: signal,
      });
    } catch (err) {
      const mapped = this.mapError(err, 'checking bucket');
      if (mapped.code === 'NotFound')
        throw new BackupError(
          'NoSuchBucket',
          `bucket ${this.opts.bucket} does not exist (${this.where()})`,
          { cause: err },
        );
      throw mapped;
    }
  }

  async write(
    key: string,
    body: Readable | Buffer | string,
    opts: WriteOptions = {},
  ): Promise<{ size: number }> {
    const Key = this.fullKey(key);
    let size = 0;
    // Count what the source produced, not what the SDK reports, so retried parts are not double-counted.
    const counted =
      typeof body === 'string' || Buffer.isBuffer(body)
        ? Buffer.from(body)
        : body.pipe(
            new Transform({
              highWaterMark: STREAM_HIGH_WATER_MARK,
              transform(chunk: Buffer, _enc, cb) {
                size += chunk.length;
                opts.onProgress?.(size);
                cb(null, chunk);
              },
            }),
          );
    // pipe() does not forward errors: fail the upload when the source fails.
    if (!Buffer.isBuffer(counted) && typeof body !== 'string' && !Buffer.isBuffer(body))
      body.once('error', (err) => counted.destroy(err));
    if (Buffer.isBuffer(counted)) size = counted.length;
    const sse = this.opts.serverSideEncryption;
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.opts.bucket,
        Key,
        Body: counted,
        ...(sse
          ? {
              ServerSideEncryption: sse.algorithm,
              ...(sse.kmsKeyId ? { SSEKMSKeyId: sse.kmsKeyId } : {}),
            }
          : {}),
      },
      partSize: this.opts.partSize ?? 5 * 1024 * 1024,
      queueSize: this.opts.queueSize ?? 2,
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort().catch(() => undefined);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      opts.signal?.throwIfAborted();
      await upload.done();
      opts.signal?.throwIfAborted();
      return { size };
    } catch (err) {
      // Release the caller's stream: nothing will read the rest of it.
      if (!Buffer.isBuffer(counted) && !Buffer.isBuffer(body) && typeof body !== 'string') {
        body.unpipe(counted);
        counted.destroy();
      }
      if (opts.signal?.aborted)
        throw new BackupError('Cancelled', `writing ${this.url}/${key}: cancelled`, { cause: err });
      throw this.mapError(err, 'writing', key);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async read(key: string, opts: { signal?: AbortSignal } = {}): Promise<Readable> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.fullKey(key) }),
        {
          abortSignal: opts.signal,
        },
      );
      if (!(res.Body instanceof Readable))
        throw new BackupError('StorageError', `reading ${this.url}/${key}: no body`);
      return res.Body;
    } catch (err) {
      throw this.mapError(err, 'reading', key);
    }
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    const base = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.opts.bucket,
            Prefix: base + prefix,
            ContinuationToken: token,
          }),
        );
      } catch (err) {
        throw this.mapError(err, 'listing');
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        yield {
          key: o.Key.slice(base.length),
          size: o.Size ?? 0,
          lastModified: o.LastModified ?? new Date(0),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.opts.bucket, Key: this.fullKey(key) }),
      );
      return { key, size: res.ContentLength ?? 0, lastModified: res.LastModified ?? new Date(0) };
    } catch (err) {
      const mapped = this.mapError(err, 'stat', key);
      if (mapped.code === 'NotFound') return undefined;
      throw mapped;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.opts.bucket, Key: this.fullKey(key) }),
      );
    } catch (err) {
      const mapped = this.mapError(err, 'deleting', key);
      if (mapped.code !== 'NotFound') throw mapped;
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}
