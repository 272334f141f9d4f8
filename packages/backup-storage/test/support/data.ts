import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Deterministic pseudo-random bytes generated on the fly (never held in memory as a whole). */
export function generated(size: number, seed = 1, chunk = 256 * 1024): Readable {
  let produced = 0;
  let counter = seed;
  return new Readable({
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, size - produced);
      const block = Buffer.allocUnsafe(n);
      // Mix a counter through sha256 blocks: not compressible to nothing, cheap to produce.
      for (let off = 0; off < n; off += 32) {
        createHash('sha256')
          .update(String(counter++))
          .digest()
          .copy(block, off, 0, Math.min(32, n - off));
      }
      produced += n;
      this.push(block);
    },
  });
}

/** Compressible text-like data generated on the fly. */
export function compressible(size: number): Readable {
  const line = Buffer.from(
    'key=/registry/pods/default/web-0 value={"phase":"Running","ready":true}\n',
  );
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(64 * 1024, size - produced);
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i += line.length) line.copy(b, i, 0, Math.min(line.length, n - i));
      produced += n;
      this.push(b);
    },
  });
}

export async function sha256Of(stream: Readable): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of stream) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

/** Fast on-the-fly data for very large streams: a random block stamped with its index. */
export function stamped(size: number, block = 1024 * 1024): Readable {
  const base = createHash('sha512').update('seed').digest();
  const template = Buffer.alloc(block);
  for (let i = 0; i < block; i += base.length) base.copy(template, i);
  let produced = 0;
  let index = 0;
  return new Readable({
    highWaterMark: block,
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(block, size - produced);
      const b = Buffer.from(template.subarray(0, n));
      for (let off = 0; off + 8 <= n; off += 4096) b.writeDoubleBE(index * 1e6 + off, off);
      index++;
      produced += n;
      this.push(b);
    },
  });
}
