import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from './errors.ts';
import { STREAM_HIGH_WATER_MARK } from './flow.ts';

/** Counts bytes and computes sha256 while data flows through; optionally checks them at the end. */
export class Meter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private hex: string | undefined;
  private readonly expected: { size: number; sha256: string; what: string } | undefined;
  private readonly onBytes: ((bytes: number) => void) | undefined;

  constructor(
    opts: {
      expect?: { size: number; sha256: string; what: string };
      onBytes?: (bytes: number) => void;
    } = {},
  ) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    this.expected = opts.expect;
    this.onBytes = opts.onBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
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
    this.hex ??= this.hash.digest('hex');
    return this.hex;
  }
}
