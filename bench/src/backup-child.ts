// One measured copy in a fresh process (so its RSS is its own): a backup through backup-storage,
// the plain copy of the same bytes to the same target, or the storage driver's write() alone.
// Prints one JSON line.
// usage: node --conditions=@opsmith/source backup-child.ts '<RunConfig JSON>'
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  FileStorage,
  S3Storage,
  dataKey,
  manifestKey,
  writeBackup,
  type BackupStorage,
  type Compression,
} from '@opsmith/backup-storage';
import { mixedData } from './backup-data.ts';

export type Target =
  | { kind: 'file'; dir: string }
  | { kind: 's3'; endpoint: string; bucket: string };

export interface RunConfig {
  target: Target;
  /** backup: writeBackup; plain: the plain copy; driver: the storage driver's write() alone. */
  mode: 'plain' | 'backup' | 'driver';
  compression: Compression;
  encrypt: boolean;
  bytes: number;
}

export interface RunResult {
  seconds: number;
  bytes: number;
  rssStart: number;
  rssPeak: number;
}

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const WARMUP_BYTES = 8 * 1024 * 1024;

/** The same client settings S3Storage uses, so only the copy path differs. */
function plainS3Client(endpoint: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function storageFor(t: Target): BackupStorage {
  if (t.kind === 'file') return new FileStorage(t.dir);
  return new S3Storage({ bucket: t.bucket, endpoint: t.endpoint, credentials: CREDENTIALS });
}

/** Copies `bytes` once; returns a cleanup that removes what was written (not timed). */
async function copyOnce(cfg: RunConfig, bytes: number, name: string): Promise<() => Promise<void>> {
  const data = mixedData(bytes);
  if (cfg.mode === 'backup') {
    const storage = storageFor(cfg.target);
    const key = randomBytes(32);
    await writeBackup(storage, data, {
      id: name,
      source: { kind: 'Benchmark', name: 'bench' },
      compression: cfg.compression,
      ...(cfg.encrypt ? { encryption: { key } } : {}),
      verify: false, // the plain copy does not read back either
    });
    return async () => {
      await storage.delete(dataKey(name));
      await storage.delete(manifestKey(name));
    };
  }
  if (cfg.mode === 'driver') {
    // The same driver without the backup layer (no hashing, metering or manifest).
    const storage = storageFor(cfg.target);
    await storage.write(dataKey(name), data);
    return () => storage.delete(dataKey(name));
  }
  const t = cfg.target;
  if (t.kind === 'file') {
    const path = join(t.dir, `${name}.plain`);
    // flush: fsync before close, the durability FileStorage gives its objects
    await pipeline(data, createWriteStream(path, { flush: true }));
    return () => rm(path, { force: true });
  }
  const client = plainS3Client(t.endpoint);
  const Key = `plain/${name}`;
  await new Upload({ client, params: { Bucket: t.bucket, Key, Body: data } }).done();
  return async () => {
    await client.send(new DeleteObjectCommand({ Bucket: t.bucket, Key }));
    client.destroy();
  };
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (!arg) throw new Error("usage: backup-child.ts '<RunConfig JSON>'");
  const cfg = JSON.parse(arg) as RunConfig;
  const id = `${cfg.mode}-${process.pid}`;
  // Warm up the code paths, so the RSS start includes loaded modules and the timing no JIT.
  await (
    await copyOnce(cfg, WARMUP_BYTES, `warm-${id}`)
  )();
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  const timer = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  const cleanup = await copyOnce(cfg, cfg.bytes, id);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  await cleanup();
  const result: RunResult = { seconds, bytes: cfg.bytes, rssStart, rssPeak };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
