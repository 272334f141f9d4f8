import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it, vi } from 'vitest';
import { writeBackup } from './backup.ts';
import { FileStorage } from './fs-storage.ts';
import { liveHashWorkers } from './hash-worker.ts';
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

async function noLiveWorkers(): Promise<void> {
  await vi.waitFor(() => expect(liveHashWorkers().size).toBe(0), { timeout: 10_000 });
}

describe('Meter hashing on a worker thread', () => {
  it.each([0, 1, 3 * MiB + 5, 4 * MiB, 4 * MiB + 1, 37 * MiB + 777])(
    'counts and hashes %i bytes exactly, passing every byte through',
    async (size) => {
      const data = randomBytes(size);
      const m = new Meter({ hashOffThread: true });
      const out = sink();
      await pipeline(Readable.from(chunksOf(data, 65_537)), m, out);
      expect(m.bytes).toBe(size);
      expect(out.bytes).toBe(size);
      expect(m.sha256()).toBe(createHash('sha256').update(data).digest('hex'));
      await noLiveWorkers();
    },
  );

  it('fails the stream with a clear error when the hashing thread dies', async () => {
    const m = new Meter({ hashOffThread: true });
    let sent = 0;
    const src = new Readable({
      read() {
        sent += MiB;
        // Once the thread is running, kill it from outside.
        if (sent === 12 * MiB) for (const w of liveHashWorkers()) void w.terminate();
        this.push(sent > 64 * MiB ? null : randomBytes(MiB));
      },
    });
    await expect(pipeline(src, m, sink())).rejects.toThrow(/sha256 thread exited/);
    await noLiveWorkers();
  });

  it('stops the hashing thread when the stream is destroyed', async () => {
    const m = new Meter({ hashOffThread: true });
    let sent = 0;
    const src = new Readable({
      read() {
        sent += MiB;
        if (sent > 20 * MiB) this.destroy(new Error('source broke'));
        else this.push(randomBytes(MiB));
      },
    });
    await expect(pipeline(src, m, sink())).rejects.toThrow(/source broke/);
    await noLiveWorkers();
  });

  it('leaves no hashing thread behind when a file backup is cancelled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hash-worker-'));
    try {
      const ac = new AbortController();
      let started = false;
      const src = new Readable({
        read() {
          this.push(randomBytes(MiB));
        },
      });
      const p = writeBackup(new FileStorage(dir), src, {
        id: 'cancelled',
        source,
        compression: 'none',
        signal: ac.signal,
        onProgress: (pr) => {
          if (liveHashWorkers().size > 0) started = true;
          if (pr.rawBytes > 24 * MiB) ac.abort();
        },
      });
      await expect(p).rejects.toThrow();
      expect(started).toBe(true);
      await noLiveWorkers();
      expect(await readdir(dir, { recursive: true })).not.toContain('cancelled.json');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
