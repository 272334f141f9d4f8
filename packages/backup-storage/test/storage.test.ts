import { mkdir, open, readdir, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileStorage, openStorage, S3Storage, type BackupStorage } from '../src/index.ts';
import { generated, sha256Of } from './support/data.ts';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.ts';
import { S3RVER_CREDENTIALS, startS3Server, tempDir, type S3Server } from './support/processes.ts';

let s3: S3Server;
let fsRoot: string;

beforeAll(async () => {
  s3 = await startS3Server(['storage-tests']);
  fsRoot = await tempDir('fs');
});
afterAll(async () => {
  await s3?.stop();
  if (fsRoot) await rm(fsRoot, { recursive: true, force: true });
});

function s3Storage(
  prefix: string,
  extra: Partial<ConstructorParameters<typeof S3Storage>[0]> = {},
): S3Storage {
  return new S3Storage({
    bucket: 'storage-tests',
    prefix,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    ...extra,
  });
}

async function text(storage: BackupStorage, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of await storage.read(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

async function keys(storage: BackupStorage, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const o of storage.list(prefix)) out.push(o.key);
  return out.sort();
}

const drivers: [string, () => BackupStorage][] = [
  ['s3', () => s3Storage('round-trip/p1')],
  ['file', () => new FileStorage(join(fsRoot, 'round-trip'))],
];

describe.each(drivers)('%s driver', (_name, make) => {
  it('writes, reads, lists by prefix, stats and deletes objects', async () => {
    const st = make();
    await st.check();
    expect((await st.write('a/one', 'first')).size).toBe(5);
    await st.write('a/two', Buffer.from('second'));
    await st.write('b/three', Readable.from([Buffer.from('thi'), Buffer.from('rd')]));
    expect(await text(st, 'a/one')).toBe('first');
    expect(await text(st, 'b/three')).toBe('third');
    expect(await keys(st)).toEqual(['a/one', 'a/two', 'b/three']);
    expect(await keys(st, 'a/')).toEqual(['a/one', 'a/two']);
    const info = await st.stat('a/two');
    expect(info?.size).toBe(6);
    expect(info?.lastModified.getTime()).toBeGreaterThan(Date.now() - 3600_000);
    expect(await st.stat('a/missing')).toBeUndefined();
    await st.write('a/one', 'replaced');
    expect(await text(st, 'a/one')).toBe('replaced');
    await st.delete('a/one');
    await st.delete('a/one'); // idempotent
    expect(await keys(st, 'a/')).toEqual(['a/two']);
    await expect(st.read('a/one')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('streams a multi-part object with the same bytes back', async () => {
    const st = make();
    const size = 12 * 1024 * 1024 + 123;
    const expected = await sha256Of(generated(size, 7));
    let progress = 0;
    const res = await st.write('big/object', generated(size, 7), {
      onProgress: (n) => (progress = n),
    });
    expect(res.size).toBe(size);
    expect(progress).toBe(size);
    expect(await sha256Of(await st.read('big/object'))).toEqual(expected);
  });

  it('leaves nothing under the key when the source stream fails midway', async () => {
    const st = make();
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(6 * 1024 * 1024, 1));
        this.destroy(new Error('source broke'));
      },
    });
    await expect(st.write('broken/object', failing)).rejects.toThrow(/source broke/);
    expect(await st.stat('broken/object')).toBeUndefined();
  });

  it('aborts a write on signal without leaving an object', async () => {
    const st = make();
    const ac = new AbortController();
    const slow = new Readable({
      read() {
        setTimeout(() => this.push(Buffer.alloc(1024 * 1024)), 5);
      },
    });
    setTimeout(() => ac.abort(), 100);
    await expect(st.write('aborted/object', slow, { signal: ac.signal })).rejects.toThrow();
    expect(await st.stat('aborted/object')).toBeUndefined();
  });
});

describe('s3 driver', () => {
  it('sends the server-side encryption header and still round-trips', async () => {
    const st = s3Storage('sse', { serverSideEncryption: { algorithm: 'AES256' } });
    const seen: string[] = [];
    st.client.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { headers?: Record<string, string> };
        if (req.headers?.['x-amz-server-side-encryption'])
          seen.push(req.headers['x-amz-server-side-encryption']);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureSse' },
    );
    await st.write('obj', 'sealed');
    expect(seen).toContain('AES256');
    expect(await text(st, 'obj')).toBe('sealed');
  });

  it('names a missing bucket', async () => {
    const st = new S3Storage({
      bucket: 'no-such-bucket',
      endpoint: s3.endpoint,
      credentials: S3RVER_CREDENTIALS,
    });
    await expect(st.check()).rejects.toMatchObject({
      code: 'NoSuchBucket',
      message: expect.stringMatching(/no-such-bucket does not exist/),
    });
    await expect(st.write('x', 'y')).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });

  it('reports wrong credentials as access denied', async () => {
    const st = s3Storage('creds', {
      credentials: { accessKeyId: 'WRONG', secretAccessKey: 'nope' },
    });
    await expect(st.check()).rejects.toMatchObject({ code: 'AccessDenied' });
    await expect(st.write('x', 'y')).rejects.toMatchObject({
      code: 'AccessDenied',
      message: expect.stringMatching(/InvalidAccessKeyId.*credentials Secret/),
    });
  });

  it('reports a server that rejects the credentials (403) as access denied', async () => {
    const proxy = await startFaultProxy(s3.port, { forbidAll: true });
    try {
      const st = new S3Storage({
        bucket: 'storage-tests',
        endpoint: proxy.endpoint,
        credentials: S3RVER_CREDENTIALS,
      });
      await expect(st.write('x', 'y')).rejects.toMatchObject({
        code: 'AccessDenied',
        message: expect.stringMatching(/AccessDenied/),
      });
      await expect(st.check()).rejects.toMatchObject({ code: 'AccessDenied' });
    } finally {
      await proxy.close();
    }
  });

  it('reports an unreachable endpoint quickly instead of hanging', async () => {
    const st = new S3Storage({
      bucket: 'abc',
      endpoint: 'http://127.0.0.1:1',
      credentials: S3RVER_CREDENTIALS,
      maxAttempts: 2,
    });
    await expect(st.check()).rejects.toMatchObject({
      code: 'Unavailable',
      message: expect.stringMatching(/127\.0\.0\.1:1/),
    });
  });

  it('times out on a server that accepts but never answers', async () => {
    let proxy: FaultProxy | undefined;
    try {
      proxy = await startFaultProxy(s3.port, { blackhole: true });
      const st = new S3Storage({
        bucket: 'storage-tests',
        endpoint: proxy.endpoint,
        credentials: S3RVER_CREDENTIALS,
        maxAttempts: 1,
        idleTimeoutMs: 500,
      });
      await expect(st.check()).rejects.toMatchObject({ code: 'Timeout' });
    } finally {
      await proxy?.close();
    }
  });
});

describe('file driver', () => {
  it('never shows a half-written file under the final name', async () => {
    const root = join(fsRoot, 'atomic');
    const st = new FileStorage(root);
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
        this.destroy(new Error('cut'));
      },
    });
    await expect(st.write('b1/data', failing)).rejects.toThrow(/cut/);
    expect(await readdir(join(root, 'b1'))).toEqual([]);
  });

  it('writes a stream of many small chunks exactly, reporting progress up to its size', async () => {
    const st = new FileStorage(join(fsRoot, 'small-chunks'));
    const size = 5 * 1024 * 1024 + 7; // odd-sized chunks, batched into few writev calls
    const progress: number[] = [];
    const { size: written } = await st.write('b1/data', generated(size, 5, 1000), {
      onProgress: (n) => progress.push(n),
    });
    expect(written).toBe(size);
    expect(progress.at(-1)).toBe(size);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(await sha256Of(await st.read('b1/data'))).toEqual(
      await sha256Of(generated(size, 5, 1000)),
    );
    expect(await readdir(join(fsRoot, 'small-chunks', 'b1'))).toEqual(['data']);
  });

  it('syncs large writes in the background as they go, and fails a write whose sync fails', async () => {
    const root = join(fsRoot, 'background-sync');
    const st = new FileStorage(root, { syncEveryBytes: 1024 * 1024 });
    const size = 9 * 1024 * 1024 + 3;
    const probe = await open(join(fsRoot, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const datasync = vi.spyOn(proto, 'datasync');
    try {
      expect((await st.write('b1/data', generated(size, 9))).size).toBe(size);
      expect(datasync.mock.calls.length).toBeGreaterThanOrEqual(2);
      expect(await sha256Of(await st.read('b1/data'))).toEqual(await sha256Of(generated(size, 9)));

      // A writeback error is reported once, by whichever sync sees it: it must fail the write.
      datasync.mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
      await expect(st.write('b2/data', generated(size, 9))).rejects.toThrow(/EIO/);
      expect(await readdir(join(root, 'b2'))).toEqual([]);
    } finally {
      datasync.mockRestore();
    }
  });

  it('rejects keys that escape the root', async () => {
    const st = new FileStorage(join(fsRoot, 'keys'));
    await expect(st.write('../evil', 'x')).rejects.toThrow(/invalid object key/);
    await expect(st.write('/abs', 'x')).rejects.toThrow(/invalid object key/);
  });

  it('reports misplaced directories and missing objects by name', async () => {
    const blocker = join(fsRoot, 'blocker');
    await mkdir(fsRoot, { recursive: true });
    await writeFile(blocker, 'a file, not a directory');
    // A directory that does not exist yet is fine (writes create it), like an empty S3 prefix.
    await new FileStorage(join(fsRoot, 'absent', 'deeper')).check();
    await expect(new FileStorage(join(fsRoot, 'absent')).read('x/data')).rejects.toMatchObject({
      code: 'NotFound',
      message: expect.stringMatching(/absent\/x\/data does not exist/),
    });
    await expect(new FileStorage(join(blocker, 'sub')).check()).rejects.toMatchObject({
      code: 'InvalidLocation',
    });
    await expect(new FileStorage(blocker).check()).rejects.toMatchObject({
      code: 'InvalidLocation',
    });
    await expect(new FileStorage(join(blocker, 'sub')).write('a/b', 'x')).rejects.toMatchObject({
      code: 'InvalidLocation',
      message: expect.stringMatching(/not a directory/),
    });
  });
});

describe('openStorage', () => {
  it('opens drivers from location URLs and rejects malformed ones with the reason', () => {
    expect(openStorage('file:///var/backups/etcd')).toBeInstanceOf(FileStorage);
    const st = openStorage('s3://my-bucket/etcd/prod', {
      s3: { endpoint: 'http://127.0.0.1:9000' },
    });
    expect(st).toBeInstanceOf(S3Storage);
    expect(st.url).toBe('s3://my-bucket/etcd/prod');
    expect(() => openStorage('s3://ab/x')).toThrow(/3 to 63 characters/);
    expect(() => openStorage('s3://Bad_Bucket/x')).toThrow(/lowercase/);
    expect(() => openStorage('s3://bucket:9000/x')).toThrow(/not a host:port/);
    expect(() => openStorage('s3://user:pw@bucket/x')).toThrow(/Secret/);
    expect(() => openStorage('http://bucket/x')).toThrow(/unsupported scheme http:/);
    expect(() => openStorage('file:///')).toThrow(/root/);
    expect(() => openStorage('file:///var/../etc')).toThrow(/"\.\."/);
    expect(() => openStorage('s3://bucket/a//b')).toThrow(/empty/);
  });
});
