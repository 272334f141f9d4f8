import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups, readManifest, S3Storage, verifyBackup, writeBackup } from '../src/index.ts';
import { generated, sha256Of } from './support/data.ts';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.ts';
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from './support/processes.ts';

let s3: S3Server;
let proxy: FaultProxy;
const source = { kind: 'EtcdCluster', name: 'main', namespace: 'db' };

beforeAll(async () => {
  s3 = await startS3Server(['fault-tests']);
  proxy = await startFaultProxy(s3.port, {});
});
afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
});

const through = (endpoint: string, prefix: string, maxAttempts = 8) =>
  new S3Storage({
    bucket: 'fault-tests',
    prefix,
    endpoint,
    credentials: S3RVER_CREDENTIALS,
    maxAttempts,
    partSize: 5 * 1024 * 1024,
  });

describe('an S3 server that fails requests and drops connections', () => {
  it('retries, and a backup reported as successful is complete and verified', async () => {
    proxy.plan = { errorRate: 0.2, dropRate: 0.25 };
    const flaky = through(proxy.endpoint, 'flaky');
    const size = 32 * 1024 * 1024 + 77;
    const m = await writeBackup(flaky, generated(size, 5), {
      id: 'flaky-1',
      source,
      compression: 'none',
    });
    expect(proxy.stats.errors).toBeGreaterThan(0);
    expect(proxy.stats.drops).toBeGreaterThan(0);
    // Check through a clean connection: what the flaky path reported is really there.
    proxy.plan = {};
    const direct = through(s3.endpoint, 'flaky');
    expect(await readManifest(direct, 'flaky-1')).toEqual(m);
    await verifyBackup(direct, 'flaky-1');
    expect(await sha256Of(await direct.read('flaky-1/data'))).toEqual({
      sha256: m.rawSha256,
      size,
    });
    expect((await listBackups(direct)).map((b) => b.id)).toEqual(['flaky-1']);
  });

  it('fails with a clear error, leaving no usable backup, when the server keeps failing', async () => {
    proxy.plan = { errorRate: 1 };
    const broken = through(proxy.endpoint, 'broken', 3);
    await expect(
      writeBackup(broken, generated(12 * 1024 * 1024, 6), { id: 'broken-1', source }),
    ).rejects.toMatchObject({
      code: 'StorageError',
      message: expect.stringMatching(/s3:\/\/fault-tests\/broken\/broken-1\/\S+: InternalError/),
    });
    proxy.plan = {};
    const direct = through(s3.endpoint, 'broken');
    expect(await listBackups(direct)).toEqual([]);
  });

  it('fails, leaving no usable backup, when every upload connection is cut', async () => {
    proxy.plan = { dropRate: 1 };
    const cut = through(proxy.endpoint, 'cut', 3);
    await expect(
      writeBackup(cut, generated(6 * 1024 * 1024, 7), { id: 'cut-1', source }),
    ).rejects.toThrow(/writing s3:\/\/fault-tests\/cut\/cut-1\/data/);
    proxy.plan = {};
    expect(await listBackups(through(s3.endpoint, 'cut'))).toEqual([]);
  });
});
