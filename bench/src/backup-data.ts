// Benchmark input generated on the fly: 1 MiB chunks, half random bytes (incompressible) and half
// log-like text (compressible), never held in memory as a whole. The random pool is larger than
// zstd's window so its repeats cannot be matched.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

const HALF = 512 * 1024;
const RANDOM_POOL = 16 * 1024 * 1024;
const TEXT_POOL = 4 * 1024 * 1024;

function textPool(): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < TEXT_POOL; i++) {
    const line = `{"ts":"2026-11-22T02:${String(i % 60).padStart(2, '0')}:00Z","key":"/registry/pods/ns-${i % 50}/web-${i}","rev":${1_000_000 + i},"phase":"${i % 7 ? 'Running' : 'Pending'}"}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, TEXT_POOL);
}

let pools: { random: Buffer; text: Buffer } | undefined;

/** `size` bytes of mixed data as a stream of 1 MiB chunks. */
export function mixedData(size: number): Readable {
  pools ??= { random: randomBytes(RANDOM_POOL), text: textPool() };
  const { random, text } = pools;
  let produced = 0;
  let index = 0;
  return new Readable({
    highWaterMark: 2 * HALF,
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(2 * HALF, size - produced);
      const chunk = Buffer.allocUnsafe(n);
      const r = (index * HALF) % RANDOM_POOL;
      const t = (index * HALF) % TEXT_POOL;
      random.copy(chunk, 0, r, r + Math.min(HALF, n));
      if (n > HALF) text.copy(chunk, HALF, t, t + (n - HALF));
      index++;
      produced += n;
      this.push(chunk);
    },
  });
}
