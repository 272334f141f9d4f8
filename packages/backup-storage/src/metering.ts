import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from './errors.ts';
import { STREAM_HIGH_WATER_MARK } from './flow.ts';
import { OffThreadSha256 } from './hash-thread.ts';

/** Counts bytes and computes sha256 while data flows through; optionally checks them at the end. */
export class Meter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  /** Set when the sha256 is computed on a worker thread (see OffThreadSha256). */
  private readonly offThread: OffThreadSha256 | undefined;
  private hex: string | undefined;
  private readonly expected: { size: number; sha256: string; what: string } | undefined;
  private readonly onBytes: ((bytes: number) => void) | undefined;

  constructor(
    opts: {
      expect?: { size: number; sha256: string; what: string };
      onBytes?: (bytes: number) => void;
      /** Hash on a worker thread, overlapping the main thread's work (large streams). */
      hashOffThread?: boolean;
    } = {},
  ) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    this.expected = opts.expect;
    this.onBytes = opts.onBytes;
    if (opts.hashOffThread) this.offThread = new OffThreadSha256((err) => this.destroy(err));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.offThread) {
      this.onBytes?.(this.bytes);
      this.offThread.update(chunk, (err) => {
        if (err) cb(err);
        else cb(null, chunk);
      });
      return;
    }
    this.hash.update(chunk);
    if (this.expected && this.bytes > this.expected.size) {
      cb(
        new BackupError(
          'IntegrityError',
          `${this.expected.what}: more bytes than the manifest's ${this.expected.size} (object was modified)`,
        ),
      );
      return;
    }
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.offThread) {
      this.offThread.finish((err, hex) => {
        if (err) {
          cb(err);
          return;
        }
        this.hex = hex;
        this.check(cb);
      });
      return;
    }
    this.check(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.offThread?.dispose();
    cb(err);
  }

  private check(cb: TransformCallback): void {
    const e = this.expected;
    const got = this.sha256();
    if (e && this.bytes !== e.size) {
      cb(
        new BackupError(
          'IntegrityError',
          `${e.what}: ${this.bytes} bytes, manifest says ${e.size} (truncated or modified)`,
        ),
      );
      return;
    }
    if (e && got !== e.sha256) {
      cb(
        new BackupError(
          'IntegrityError',
          `${e.what}: sha256 ${got} does not match the manifest's ${e.sha256}`,
        ),
      );
      return;
    }
    cb();
  }

  sha256(): string {
    if (this.offThread && this.hex === undefined)
      throw new Error('Meter.sha256(): the stream has not ended yet');
    this.hex ??= this.hash.digest('hex');
    return this.hex;
  }
}
