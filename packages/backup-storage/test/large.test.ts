import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listBackups, S3Storage } from '../src/index.ts';
import {
  S3RVER_CREDENTIALS,
  startS3Server,
  waitForLine,
  type S3Server,
} from './support/processes.ts';

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server(['large-tests']);
});
afterAll(async () => {
  await s3?.stop();
});

const GiB = 1024 * 1024 * 1024;

it(
  'streams 1 GiB through the S3 driver (write + verifying read-back) with RSS growth under 64 MiB',
  { timeout: 600_000 },
  async () => {
    const main = join(import.meta.dirname, 'support', 'large-main.ts');
    const child = spawn(
      process.execPath,
      ['--conditions=@opsmith/source', main, s3.endpoint, 'large-tests', String(GiB)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const line = await waitForLine(child, /^\{.*\}$/m, 540_000);
    const r = JSON.parse(line[0]) as {
      baseline: number;
      peak: number;
      size: number;
      verified: boolean;
    };
    const growthMiB = (r.peak - r.baseline) / 1024 / 1024;
    console.log(
      `1 GiB backup: RSS baseline ${(r.baseline / 1048576).toFixed(0)} MiB, growth ${growthMiB.toFixed(1)} MiB`,
    );
    expect(r).toMatchObject({ size: GiB, verified: true });
    expect(growthMiB).toBeLessThan(64);
    const st = new S3Storage({
      bucket: 'large-tests',
      endpoint: s3.endpoint,
      credentials: S3RVER_CREDENTIALS,
    });
    expect((await listBackups(st)).map((b) => b.id).sort()).toEqual(['large', 'warmup']);
  },
);
