import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DecryptStream, EncryptStream, keyFingerprint } from './encryption.ts';

const key = randomBytes(32);
const CHUNK = 1024;
const HEADER = 25;
const FRAME = 1 + 12 + 4 + 16;

async function run(
  input: Buffer,
  make: () => EncryptStream | DecryptStream,
  pieces = 7,
): Promise<Buffer> {
  const out: Buffer[] = [];
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += pieces * 97)
    parts.push(input.subarray(i, i + pieces * 97));
  const sink = new Writable({
    write(c: Buffer, _enc, cb) {
      out.push(c);
      cb();
    },
  });
  await pipeline(Readable.from(parts), make(), sink);
  return Buffer.concat(out);
}

const encrypt = (b: Buffer, k = key) => run(b, () => new EncryptStream(k, CHUNK));
const decrypt = (b: Buffer, k = key) => run(b, () => new DecryptStream(k));

describe('chunked AES-256-GCM', () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 17])(
    'round-trips %i bytes',
    async (n) => {
      const plain = randomBytes(n);
      const sealed = await encrypt(plain);
      const frames = Math.max(1, Math.ceil(n / CHUNK));
      expect(sealed.length).toBe(HEADER + n + frames * FRAME);
      expect(await decrypt(sealed)).toEqual(plain);
    },
  );

  it('uses a fresh nonce per chunk and stream', async () => {
    const plain = Buffer.alloc(3 * CHUNK, 7);
    const a = await encrypt(plain);
    const b = await encrypt(plain);
    expect(a.equals(b)).toBe(false);
  });

  it('detects a flipped bit anywhere', async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK));
    for (const pos of [HEADER + 20, HEADER + FRAME + CHUNK + 40, sealed.length - 1, 6]) {
      const bad = Buffer.from(sealed);
      bad[pos] = (bad[pos] ?? 0) ^ 1;
      await expect(decrypt(bad)).rejects.toMatchObject({ code: 'DecryptionFailed' });
    }
  });

  it('detects truncation, even exactly at a chunk boundary', async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK + 5));
    const boundary = HEADER + 2 * (CHUNK + FRAME);
    for (const len of [10, HEADER, HEADER + 100, boundary, sealed.length - 1])
      await expect(decrypt(sealed.subarray(0, len))).rejects.toThrow(/truncated|tampered/);
  });

  it('detects reordered and dropped chunks', async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK + 5));
    const f = (i: number) =>
      sealed.subarray(HEADER + i * (CHUNK + FRAME), HEADER + (i + 1) * (CHUNK + FRAME));
    const header = sealed.subarray(0, HEADER);
    const last = sealed.subarray(HEADER + 3 * (CHUNK + FRAME));
    await expect(decrypt(Buffer.concat([header, f(1), f(0), f(2), last]))).rejects.toThrow(
      /first chunk/,
    );
    await expect(decrypt(Buffer.concat([header, f(0), f(2), last]))).rejects.toThrow(/chunk 1/);
    // Marking a middle chunk final (to hide a truncation) breaks its authentication.
    const forged = Buffer.from(Buffer.concat([header, f(0), f(1)]));
    forged[HEADER + CHUNK + FRAME] = 1;
    await expect(decrypt(forged)).rejects.toThrow(/chunk 1/);
  });

  it('detects chunks spliced in from another stream with the same key', async () => {
    const a = await encrypt(randomBytes(2 * CHUNK + 1));
    const b = await encrypt(randomBytes(2 * CHUNK + 1));
    const mixed = Buffer.concat([
      a.subarray(0, HEADER + CHUNK + FRAME),
      b.subarray(HEADER + CHUNK + FRAME),
    ]);
    await expect(decrypt(mixed)).rejects.toMatchObject({ code: 'DecryptionFailed' });
  });

  it('detects data appended after the final chunk', async () => {
    const sealed = await encrypt(randomBytes(100));
    await expect(decrypt(Buffer.concat([sealed, sealed.subarray(HEADER)]))).rejects.toThrow(
      /after the final chunk/,
    );
    await expect(decrypt(Buffer.concat([sealed, Buffer.from('x')]))).rejects.toThrow(
      /after the final chunk/,
    );
  });

  it('names a wrong key and a stream that is not encrypted', async () => {
    const sealed = await encrypt(randomBytes(100));
    await expect(decrypt(sealed, randomBytes(32))).rejects.toThrow(/wrong key/);
    await expect(decrypt(Buffer.from('plain old data that is long enough'))).rejects.toThrow(
      /bad header/,
    );
    expect(() => new EncryptStream(randomBytes(16))).toThrow(/32/);
    expect(keyFingerprint(key)).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(keyFingerprint(key)).not.toContain(key.toString('hex').slice(0, 16));
  });
});
