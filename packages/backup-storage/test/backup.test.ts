import { randomBytes } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyRetention,
  type BackupStorage,
  type Compression,
  dataKey,
  fetchBackupToFile,
  FileStorage,
  latestBackup,
  listBackups,
  manifestKey,
  readManifest,
  requireManifest,
  restoreBackup,
  S3Storage,
  verifyBackup,
  writeBackup,
} from '../src/index.ts';
import { compressible, generated, sha256Of } from './support/data.ts';
import { S3RVER_CREDENTIALS, startS3Server, tempDir, type S3Server } from './support/processes.ts';

let s3: S3Server;
let dir: string;
const key = randomBytes(32);
const source = {
  kind: 'EtcdCluster',
  name: 'main',
  namespace: 'db',
  uid: 'c0ffee00-0000-4000-8000-000000000001',
};

beforeAll(async () => {
  s3 = await startS3Server(['backup-tests']);
  dir = await tempDir('backup');
});
afterAll(async () => {
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let n = 0;
const fresh = (kind: 's3' | 'file'): BackupStorage =>
  kind === 's3'
    ? new S3Storage({
        bucket: 'backup-tests',
        prefix: `run-${++n}`,
        endpoint: s3.endpoint,
        credentials: S3RVER_CREDENTIALS,
      })
    : new FileStorage(join(dir, `run-${++n}`));

async function restoredHash(st: BackupStorage, id: string, k?: Buffer) {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  await restoreBackup(st, id, sink, { key: k });
  return sha256Of(Readable.from(chunks));
}

/** Rewrites a stored object through the driver (what an attacker or a bad disk would do). */
async function mutate(st: BackupStorage, k: string, change: (b: Buffer) => Buffer) {
  const chunks: Buffer[] = [];
  for await (const c of await st.read(k)) chunks.push(c as Buffer);
  await st.write(k, change(Buffer.concat(chunks)));
}

describe.each(['s3', 'file'] as const)('backups on %s', (kind) => {
  const combos: [Compression, boolean][] = [
    ['none', false],
    ['none', true],
    ['gzip', false],
    ['zstd', false],
    ['gzip', true],
    ['zstd', true],
  ];
  it.each(combos)(
    'round-trips with compression %s, encrypted %s',
    async (compression, encrypted) => {
      const st = fresh(kind);
      const size = 3 * 1024 * 1024 + 5;
      const expected = await sha256Of(compressible(size));
      const m = await writeBackup(st, compressible(size), {
        id: 'b1',
        source,
        application: { name: 'etcd', version: '3.4.23' },
        position: 'revision=1234',
        compression,
        ...(encrypted ? { encryption: { key, chunkSize: 64 * 1024 } } : {}),
      });
      expect(m).toMatchObject({
        formatVersion: 1,
        id: 'b1',
        dataKey: 'b1/data',
        source,
        application: { name: 'etcd', version: '3.4.23' },
        position: 'revision=1234',
        size,
        rawSha256: expected.sha256,
        compression,
        encryption: encrypted
          ? { algorithm: 'AES-256-GCM-chunked-v1', chunkSize: 64 * 1024 }
          : { algorithm: 'none' },
      });
      expect(m.verifiedAt).toBeDefined();
      expect(Date.parse(m.completedAt)).toBeGreaterThanOrEqual(Date.parse(m.createdAt));
      if (compression !== 'none') expect(m.compressedSize).toBeLessThan(size / 10);
      const stored = await sha256Of(await st.read('b1/data'));
      expect(stored).toEqual({ sha256: m.sha256, size: m.compressedSize });
      expect(await readManifest(st, 'b1')).toEqual(m);
      expect(await restoredHash(st, 'b1', encrypted ? key : undefined)).toEqual(expected);
      if (encrypted) {
        await expect(restoredHash(st, 'b1')).rejects.toThrow(/encrypted.*no key/);
        await expect(restoredHash(st, 'b1', randomBytes(32))).rejects.toThrow(
          /encrypted with key sha256:/,
        );
      }
    },
  );

  it('round-trips an empty backup', async () => {
    const st = fresh(kind);
    const m = await writeBackup(st, Readable.from([]), {
      id: 'empty',
      source,
      encryption: { key },
    });
    expect(m.size).toBe(0);
    expect(await restoredHash(st, 'empty', key)).toEqual({ sha256: m.rawSha256, size: 0 });
  });

  it('lists only complete backups, newest first', async () => {
    const st = fresh(kind);
    let t = Date.parse('2026-01-01T00:00:00Z');
    const now = () => new Date((t += 1000));
    for (const id of ['a', 'b', 'c'])
      await writeBackup(st, generated(1000, id.charCodeAt(0)), { id, source, now });
    // An interrupted backup: data without manifest.
    await st.write(dataKey('d'), 'partial bytes');
    // A corrupt manifest is reported, not listed.
    await st.write(manifestKey('e'), '{"formatVersion": 1');
    const invalid: string[] = [];
    const listed = await listBackups(st, { onInvalid: (id) => invalid.push(id) });
    expect(listed.map((m) => m.id)).toEqual(['c', 'b', 'a']);
    expect(invalid).toEqual(['e']);
    expect((await latestBackup(st))?.id).toBe('c');
    expect(await readManifest(st, 'd')).toBeUndefined();
    await expect(verifyBackup(st, 'd')).rejects.toMatchObject({
      code: 'NotFound',
      message: expect.stringMatching(/no manifest/),
    });
    await expect(writeBackup(st, generated(10), { id: 'a', source })).rejects.toThrow(
      /already exists/,
    );
    await expect(writeBackup(st, generated(10), { id: '../x', source })).rejects.toThrow(
      /invalid backup id/,
    );
  });

  it('detects tampered and truncated stored objects', async () => {
    const st = fresh(kind);
    for (const [id, enc] of [
      ['plain', false],
      ['sealed', true],
    ] as const) {
      await writeBackup(st, generated(300_000, 3), {
        id,
        source,
        compression: 'gzip',
        ...(enc ? { encryption: { key } } : {}),
      });
      const k = enc ? key : undefined;
      await mutate(st, dataKey(id), (b) => {
        const c = Buffer.from(b);
        c[c.length >> 1] = (c[c.length >> 1] ?? 0) ^ 0xff;
        return c;
      });
      await expect(verifyBackup(st, id, { key: k })).rejects.toMatchObject({
        code: 'IntegrityError',
        message: expect.stringMatching(
          enc ? /failed authentication/ : /sha256 .* does not match|corrupt/,
        ),
      });
      await mutate(st, dataKey(id), (b) => b.subarray(0, b.length - 100));
      await expect(verifyBackup(st, id, { key: k })).rejects.toMatchObject({
        code: 'IntegrityError',
        // (the encrypted copy still has the flipped byte from above, which fails first)
        message: expect.stringMatching(enc ? /failed authentication/ : /truncated/),
      });
      await mutate(st, dataKey(id), (b) => Buffer.concat([b, Buffer.from('junk')]));
      await expect(verifyBackup(st, id, { key: k })).rejects.toMatchObject({
        code: 'IntegrityError',
      });
    }
    // A manifest edited to match tampered data still fails on the raw checksum or decryption.
    await writeBackup(st, generated(200_000, 4), {
      id: 'forged',
      source,
      compression: 'none',
      encryption: { key },
    });
    const m = await requireManifest(st, 'forged');
    let forgedData = Buffer.alloc(0);
    await mutate(st, dataKey('forged'), (b) => {
      forgedData = Buffer.from(b);
      forgedData[100] = (forgedData[100] ?? 0) ^ 1;
      return forgedData;
    });
    const h = await sha256Of(Readable.from([forgedData]));
    await st.write(manifestKey('forged'), JSON.stringify({ ...m, sha256: h.sha256 }));
    await expect(verifyBackup(st, 'forged', { key })).rejects.toMatchObject({
      code: 'IntegrityError',
      message: expect.stringMatching(/failed authentication/),
    });
  });

  it('checks an uncompressed, unencrypted backup in one pass and rejects forged manifests', async () => {
    const st = fresh(kind);
    await writeBackup(st, generated(300_000, 5), { id: 'raw', source, compression: 'none' });
    const m = await requireManifest(st, 'raw');
    expect(m.sha256).toBe(m.rawSha256);
    const seen: number[] = [];
    await verifyBackup(st, 'raw', { onProgress: (n) => seen.push(n) });
    expect(seen.at(-1)).toBe(m.size);
    let tampered = Buffer.alloc(0);
    await mutate(st, dataKey('raw'), (b) => {
      tampered = Buffer.from(b);
      tampered[7] = (tampered[7] ?? 0) ^ 1;
      return tampered;
    });
    await expect(verifyBackup(st, 'raw')).rejects.toMatchObject({
      code: 'IntegrityError',
      message: expect.stringMatching(/sha256 .* does not match/),
    });
    // Editing only the stored checksum to match no longer agrees with the raw one.
    const h = await sha256Of(Readable.from([tampered]));
    await st.write(manifestKey('raw'), JSON.stringify({ ...m, sha256: h.sha256 }));
    await expect(verifyBackup(st, 'raw')).rejects.toMatchObject({
      code: 'IntegrityError',
      message: expect.stringMatching(/inconsistent/),
    });
  });

  it('records a later verification in the manifest only when asked', async () => {
    const st = fresh(kind);
    await writeBackup(st, generated(50_000, 6), { id: 'later', source, verify: false });
    expect((await requireManifest(st, 'later')).verifiedAt).toBeUndefined();
    await verifyBackup(st, 'later');
    expect((await requireManifest(st, 'later')).verifiedAt).toBeUndefined();
    const at = new Date('2026-11-22T05:00:00Z');
    const m = await verifyBackup(st, 'later', { record: true, now: () => at });
    expect(m.verifiedAt).toBe(at.toISOString());
    expect(await requireManifest(st, 'later')).toEqual(m);
    // A backup whose deletion began (manifest first) while it was being verified stays deleted.
    const gone = await requireManifest(st, 'later');
    await st.delete(manifestKey('later'));
    await expect(verifyBackup(st, gone, { record: true })).rejects.toMatchObject({
      code: 'NotFound',
    });
    expect(await readManifest(st, 'later')).toBeUndefined();
  });

  it('fetches into a file only after verification', async () => {
    const st = fresh(kind);
    await writeBackup(st, generated(500_000, 9), { id: 'f1', source, encryption: { key } });
    const out = join(dir, `restore-${kind}`, 'snapshot.db');
    const m = await fetchBackupToFile(st, 'f1', out, { key });
    expect(await sha256Of(Readable.from([await readFile(out)]))).toEqual({
      sha256: m.rawSha256,
      size: m.size,
    });
    await mutate(st, dataKey('f1'), (b) => b.subarray(0, b.length - 10));
    const bad = join(dir, `restore-${kind}`, 'bad.db');
    await expect(fetchBackupToFile(st, 'f1', bad, { key })).rejects.toMatchObject({
      code: 'IntegrityError',
    });
    await expect(stat(bad)).rejects.toThrow(/ENOENT/);
  });

  it('applies retention, collects orphans and tolerates overlapping runs', async () => {
    const st = fresh(kind);
    const base = Date.now() - 20 * 24 * 3600_000;
    const ids = ['r1', 'r2', 'r3', 'r4', 'r5'];
    for (const [i, id] of ids.entries())
      await writeBackup(st, generated(2000, i), {
        id,
        source,
        now: () => new Date(base + i * 3600_000),
      });
    // r5 (the newest) was never verified: r4 is the newest verified backup.
    const m5 = await requireManifest(st, 'r5');
    delete m5.verifiedAt;
    await st.write(manifestKey('r5'), JSON.stringify(m5));
    await st.write(dataKey('orphan'), 'left by a killed worker');
    const now = new Date(Date.now() + 2 * 3600_000);
    const [a, b] = await Promise.all([
      applyRetention(st, { keepLast: 1 }, { now, orphanGraceMs: 3600_000 }),
      applyRetention(st, { keepLast: 1 }, { now, orphanGraceMs: 3600_000 }),
    ]);
    // Each run plans from its own listing, which may already miss what the other deleted: both keep
    // the same two, and together they delete exactly the rest.
    expect(a.keep).toEqual(['r5', 'r4']);
    expect(b.keep).toEqual(['r5', 'r4']);
    expect([...new Set([...a.delete, ...b.delete])].sort()).toEqual(['r1', 'r2', 'r3']);
    expect(a.reasons['r4']).toEqual(['newest verified backup']);
    expect([...a.orphansDeleted, ...b.orphansDeleted]).toContain('orphan/data');
    expect((await listBackups(st)).map((m) => m.id)).toEqual(['r5', 'r4']);
    const left: string[] = [];
    for await (const o of st.list('')) left.push(o.key);
    expect(left.sort()).toEqual(['r4/data', 'r4/manifest.json', 'r5/data', 'r5/manifest.json']);
  });

  it('never lists a backup whose deletion was interrupted after the manifest went', async () => {
    const st = fresh(kind);
    await writeBackup(st, generated(1000), { id: 'gone', source });
    await st.delete(manifestKey('gone')); // what deleteBackup does first
    expect(await listBackups(st)).toEqual([]);
    const res = await applyRetention(
      st,
      { keepLast: 1 },
      { now: new Date(Date.now() + 2 * 24 * 3600_000) },
    );
    expect(res.orphansDeleted).toEqual(['gone/data']);
  });
});

describe('failures while writing', () => {
  it('writes no manifest when the source fails', async () => {
    const st = fresh('s3');
    let sent = 0;
    const src = new Readable({
      read() {
        sent += 1024 * 1024;
        if (sent > 9 * 1024 * 1024) this.destroy(new Error('etcd snapshot stream broke'));
        else this.push(randomBytes(1024 * 1024));
      },
    });
    await expect(writeBackup(st, src, { id: 'broken', source })).rejects.toThrow(
      /etcd snapshot stream broke/,
    );
    expect(await listBackups(st)).toEqual([]);
    expect(await st.stat(manifestKey('broken'))).toBeUndefined();
  });

  it('stops and writes no manifest when cancelled', async () => {
    const st = fresh('file');
    const ac = new AbortController();
    const p = writeBackup(st, generated(200 * 1024 * 1024), {
      id: 'cancelled',
      source,
      signal: ac.signal,
      onProgress: (pr) => {
        if (pr.rawBytes > 4 * 1024 * 1024) ac.abort();
      },
    });
    await expect(p).rejects.toThrow();
    expect(await listBackups(st)).toEqual([]);
  });
});
