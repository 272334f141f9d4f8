import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from './errors.ts';
import { STREAM_HIGH_WATER_MARK } from './flow.ts';

/*
 * Chunked AES-256-GCM stream format ("opsmith-aes256gcm-chunked-v1"):
 *   header: "OBK1" | version (1) | chunkSize uint32 BE | streamId (16 random bytes)      = 25 bytes
 *   frame:  flags (1, bit0 = final) | nonce (12) | length uint32 BE | ciphertext | tag (16)
 * Each frame's AAD is header | sequence number uint64 BE | flags, so a reordered, dropped,
 * spliced (from another stream) or re-flagged frame fails authentication, and a stream that
 * ends before a frame flagged final is reported as truncated.
 */
export const ENCRYPTION_ALGORITHM = 'AES-256-GCM-chunked-v1';
const MAGIC = Buffer.from('OBK1');
const VERSION = 1;
const HEADER_LEN = 25;
const FRAME_HEAD = 1 + 12 + 4;
const TAG_LEN = 16;
const MAX_CHUNK = 16 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 256 * 1024;

/** A non-secret identifier for a key, so a restore can say "wrong key" before trying to decrypt. */
export function keyFingerprint(key: Buffer): string {
  return `sha256:${createHash('sha256').update('opsmith-backup-key').update(key).digest('hex').slice(0, 16)}`;
}

function checkKey(key: Buffer): void {
  if (key.length !== 32)
    throw new BackupError(
      'InvalidEncryptionKey',
      `encryption key is ${key.length} bytes, AES-256 needs 32`,
    );
}

function aad(header: Buffer, seq: bigint, flags: number): Buffer {
  const b = Buffer.alloc(HEADER_LEN + 9);
  header.copy(b, 0);
  b.writeBigUInt64BE(seq, HEADER_LEN);
  b[HEADER_LEN + 8] = flags;
  return b;
}

/**
 * Collects incoming buffers and hands out exact-length slices: a view when one buffer holds the
 * slice (no copy), a copy only when it spans buffers.
 */
class ByteQueue {
  private parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    if (b.length) {
      this.parts.push(b);
      this.length += b.length;
    }
  }
  take(n: number): Buffer {
    const first = this.parts[0];
    if (first && first.length >= n) {
      if (first.length === n) this.parts.shift();
      else this.parts[0] = first.subarray(n);
      this.length -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const head = this.parts[0];
      if (!head) throw new Error('ByteQueue underflow');
      const k = Math.min(head.length, n - off);
      head.copy(out, off, 0, k);
      off += k;
      if (k === head.length) this.parts.shift();
      else this.parts[0] = head.subarray(k);
    }
    this.length -= n;
    return out;
  }
  peek(n: number): Buffer {
    const b = this.take(n);
    this.parts.unshift(b);
    this.length += n;
    return b;
  }
}

export class EncryptStream extends Transform {
  private readonly key: KeyObject;
  private readonly chunkSize: number;
  private readonly header: Buffer;
  private readonly pending = new ByteQueue();
  private seq = 0n;
  private headerSent = false;

  constructor(key: Buffer, chunkSize = DEFAULT_CHUNK_SIZE) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    checkKey(key);
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK)
      throw new BackupError(
        'InvalidArgument',
        `encryption chunk size ${chunkSize} is outside 1..${MAX_CHUNK}`,
      );
    this.key = createSecretKey(key); // once, not per frame
    this.chunkSize = chunkSize;
    this.header = Buffer.alloc(HEADER_LEN);
    MAGIC.copy(this.header, 0);
    this.header[4] = VERSION;
    this.header.writeUInt32BE(chunkSize, 5);
    randomBytes(16).copy(this.header, 9);
  }

  /** Pushes one frame as its parts: joining them would copy every ciphertext byte once more. */
  private pushFrame(plain: Buffer, final: boolean): void {
    const flags = final ? 1 : 0;
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(aad(this.header, this.seq++, flags));
    const head = Buffer.alloc(FRAME_HEAD);
    head[0] = flags;
    nonce.copy(head, 1);
    head.writeUInt32BE(plain.length, 13);
    this.push(head);
    this.push(c.update(plain));
    const rest = c.final(); // computes the tag; GCM has no buffered output
    if (rest.length) this.push(rest);
    this.push(c.getAuthTag());
  }

  private sendHeader(): void {
    if (!this.headerSent) {
      this.push(this.header);
      this.headerSent = true;
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.sendHeader();
    this.pending.push(chunk);
    // Keep at least one byte back: only flush() knows which frame is the final one.
    while (this.pending.length > this.chunkSize)
      this.pushFrame(this.pending.take(this.chunkSize), false);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    this.sendHeader();
    this.pushFrame(this.pending.take(this.pending.length), true);
    cb();
  }
}

export class DecryptStream extends Transform {
  private readonly key: KeyObject;
  private readonly queue = new ByteQueue();
  private header: Buffer | undefined;
  private chunkSize = 0;
  private seq = 0n;
  private finished = false;

  constructor(key: Buffer) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    checkKey(key);
    this.key = createSecretKey(key); // once, not per frame
  }

  private fail(msg: string): BackupError {
    return new BackupError('DecryptionFailed', msg);
  }

  private drain(): void {
    if (!this.header) {
      if (this.queue.length < HEADER_LEN) return;
      const h = this.queue.take(HEADER_LEN);
      if (!h.subarray(0, 4).equals(MAGIC) || h[4] !== VERSION)
        throw this.fail(
          'not an opsmith encrypted backup stream (bad header): wrong object or not encrypted',
        );
      this.chunkSize = h.readUInt32BE(5);
      if (this.chunkSize < 1 || this.chunkSize > MAX_CHUNK)
        throw this.fail('corrupt header: bad chunk size');
      this.header = h;
    }
    while (this.queue.length >= FRAME_HEAD) {
      if (this.finished)
        throw this.fail('data after the final chunk (object was appended to or tampered with)');
      const head = this.queue.peek(FRAME_HEAD);
      const flags = head[0] ?? 0;
      const len = head.readUInt32BE(13);
      if (flags > 1 || len > this.chunkSize)
        throw this.fail(`chunk ${this.seq} is corrupt (bad frame header)`);
      if (this.queue.length < FRAME_HEAD + len + TAG_LEN) return;
      this.queue.take(FRAME_HEAD);
      const ct = this.queue.take(len);
      const tag = this.queue.take(TAG_LEN);
      const d = createDecipheriv('aes-256-gcm', this.key, head.subarray(1, 13));
      d.setAAD(aad(this.header, this.seq, flags));
      d.setAuthTag(tag);
      let plain: Buffer;
      try {
        plain = Buffer.concat([d.update(ct), d.final()]);
      } catch {
        throw this.fail(
          this.seq === 0n
            ? 'authentication failed on the first chunk: wrong key, or the object was tampered with'
            : `authentication failed on chunk ${this.seq}: the object was tampered with or reordered`,
        );
      }
      this.seq++;
      if (flags === 1) this.finished = true;
      if (plain.length) this.push(plain);
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.queue.push(chunk);
    try {
      this.drain();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (!this.header) cb(this.fail('encrypted stream is truncated (incomplete header)'));
    else if (this.finished && this.queue.length > 0)
      cb(this.fail('data after the final chunk (object was appended to or tampered with)'));
    else if (!this.finished)
      cb(this.fail(`encrypted stream is truncated after chunk ${this.seq} (no final chunk)`));
    else cb();
  }
}
