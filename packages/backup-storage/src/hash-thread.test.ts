import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeBackup } from './backup.ts';
import { FileStorage } from './fs-storage.ts';
import { hashThread } from './hash-thread.ts';
import { manifestKey } from './manifest.ts';
import { Meter } from './metering.ts';

const MiB = 1024 * 1024;
const source = { kind: 'EtcdCluster', name: 'main', namespace: 'db', uid: 'u-1' };

function chunksOf(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < data.length; o += size) out.push(data.subarray(o, o + size));
  return out;
}

function sink(): Writable & { bytes: number } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      w.bytes += chunk.length;
      cb();
    },
  }) as Writable & { bytes: number };
  w.bytes = 0;
  return w;
}

/** `total` random bytes in 1 MiB chunks; `onChunk` runs before each chunk is pushed. */
function randomSource(total: number, onChunk?: (sent: number) => void): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      sent += MiB;
      onChunk?.(sent);
      this.push(randomBytes(MiB));
    },
  });
}

async function hashOffThread(data: Buffer, chunkSize: number): Promise<string> {
  const m = new Meter({ hashOffThread: true });
  const out = sink();
  await pipeline(Readable.from(chunksOf(data, chunkSize)), m, out);
  expect(m.bytes).toBe(data.length);
  expect(out.bytes).toBe(data.length);
  return m.sha256();
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

afterAll(async () => {
  await hashThread.stop();
});

describe('Meter hashing on the shared hashing thread', () => {
  it.each([0, 1, 3 * MiB + 5, 4 * MiB, 4 * MiB + 1, 37 * MiB + 777])(
    'counts and hashes %i bytes exactly, passing every byte through',
    async (size) => {
      const data = randomBytes(size);
      expect(await hashOffThread(data, 65_537)).toBe(sha256(data));
    },
  );

  it('hashes concurrent streams separately on one long-lived thread', async () => {
    const a = randomBytes(21 * MiB + 3);
    const b = randomBytes(13 * MiB + 11);
    const [ha, hb] = await Promise.all([hashOffThread(a, 100_003), hashOffThread(b, MiB)]);
    expect([ha, hb]).toEqual([sha256(a), sha256(b)]);
    const first = hashThread.current();
    expect(first).toBeDefined();
    const c = randomBytes(9 * MiB);
    expect(await hashOffThread(c, MiB)).toBe(sha256(c));
    expect(hashThread.current()).toBe(first); // reused, not restarted
  });

  it('fails the stream with a clear error when the thread dies, and the next stream gets a new one', async () => {
    const m = new Meter({ hashOffThread: true });
    const src = randomSource(64 * MiB, (sent) => {
      if (sent === 12 * MiB) void hashThread.stop(); // the stream has handed over by now
    });
    await expect(pipeline(src, m, sink())).rejects.toMatchObject({
      code: 'Unavailable', // retried by the queue: nothing is wrong with the data
      message: expect.stringMatching(/sha256 thread exited/),
    });
    const data = randomBytes(6 * MiB);
    expect(await hashOffThread(data, MiB)).toBe(sha256(data));
  });

  it('stops an idle thread, and a destroyed stream leaves it idle', async () => {
    await hashThread.stop();
    hashThread.setIdleMs(100);
    try {
      const m = new Meter({ hashOffThread: true });
      const src = randomSource(64 * MiB, (sent) => {
        if (sent > 20 * MiB) src.destroy(new Error('source broke'));
      });
      await expect(pipeline(src, m, sink())).rejects.toThrow(/source broke/);
      await vi.waitFor(() => expect(hashThread.current()).toBeUndefined(), { timeout: 10_000 });
    } finally {
      hashThread.setIdleMs(30_000);
    }
  });

  it('a cancelled file backup writes no manifest and the thread still serves others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hash-thread-'));
    try {
      const ac = new AbortController();
      let handedOver = false;
      const p = writeBackup(new FileStorage(dir), randomSource(Infinity), {
        id: 'cancelled',
        source,
        compression: 'none',
        signal: ac.signal,
        onProgress: (pr) => {
          if (hashThread.current() !== undefined) handedOver = true;
          if (pr.rawBytes > 24 * MiB) ac.abort();
        },
      });
      await expect(p).rejects.toThrow();
      expect(handedOver).toBe(true);
      expect(await readdir(dir, { recursive: true })).not.toContain(manifestKey('cancelled'));
      const data = randomBytes(8 * MiB);
      expect(await hashOffThread(data, MiB)).toBe(sha256(data));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
