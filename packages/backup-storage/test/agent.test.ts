import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_EXIT_CODES as EXIT,
  dataKey,
  FileStorage,
  S3Storage,
  writeBackup,
} from '../src/index.ts';
import { generated, sha256Of } from './support/data.ts';
import { S3RVER_CREDENTIALS, startS3Server, tempDir, type S3Server } from './support/processes.ts';

let s3: S3Server;
let dir: string;
let secretDir: string;
let keyFile: string;
const key = randomBytes(32);
const source = { kind: 'EtcdCluster', name: 'main' };
const bin = join(import.meta.dirname, '..', 'bin', 'backup-agent.js');

/** A Secret volume as the kubelet lays it out: key files are symlinks into ..data. */
async function mountSecret(path: string, data: Record<string, string>) {
  const ts = join(path, '..2026_01_01_00_00_00.000');
  await mkdir(ts, { recursive: true });
  for (const [k, v] of Object.entries(data)) await writeFile(join(ts, k), v);
  await symlink('..2026_01_01_00_00_00.000', join(path, '..data'));
  for (const k of Object.keys(data)) await symlink(join('..data', k), join(path, k));
}

function agent(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: Buffer; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

beforeAll(async () => {
  s3 = await startS3Server(['agent-tests']);
  dir = await tempDir('agent');
  secretDir = join(dir, 'secret');
  await mountSecret(secretDir, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER\n' });
  keyFile = join(dir, 'enc-key');
  await writeFile(keyFile, key.toString('base64'));
  const st = new S3Storage({
    bucket: 'agent-tests',
    prefix: 'etcd',
    endpoint: s3.endpoint,
    credentials: S3RVER_CREDENTIALS,
  });
  let t = Date.now() - 60_000;
  await writeBackup(st, generated(400_000, 1), {
    id: 'older',
    source,
    now: () => new Date((t += 1000)),
  });
  await writeBackup(st, generated(300_000, 2), {
    id: 'newer',
    source,
    position: 'revision=42',
    encryption: { key },
    now: () => new Date((t += 1000)),
  });
  await writeBackup(st, generated(1000, 3), {
    id: 'tampered',
    source,
    now: () => new Date(t - 50_000),
  });
  await st.write(dataKey('tampered'), 'not what was backed up');
  await writeBackup(new FileStorage(join(dir, 'pvc')), generated(5000, 4), { id: 'local', source });
});
afterAll(async () => {
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const s3Args = () => [
  '--location',
  's3://agent-tests/etcd',
  '--endpoint',
  s3.endpoint,
  '--credentials-dir',
  secretDir,
];

describe('backup-agent', () => {
  it('fetches and verifies the latest backup into a file with credentials from a mounted Secret', async () => {
    const out = join(dir, 'restore', 'snapshot.db');
    const r = await agent([
      'fetch',
      ...s3Args(),
      '--backup',
      'latest',
      '--output',
      out,
      '--encryption-key-file',
      keyFile,
    ]);
    expect(r.stderr).toMatch(
      /backup newer fetched and verified into .*snapshot\.db: 300000 bytes, sha256 [0-9a-f]{64}, position revision=42/,
    );
    expect(r.code).toBe(EXIT.ok);
    expect(await sha256Of(Readable.from([await readFile(out)]))).toEqual(
      await sha256Of(generated(300_000, 2)),
    );
  });

  it('streams a backup to stdout with credentials from the environment', async () => {
    const r = await agent(['fetch', '--backup', 'older', '--output', '-'], {
      BACKUP_LOCATION: 's3://agent-tests/etcd',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    expect(r.code).toBe(EXIT.ok);
    expect(await sha256Of(Readable.from([r.stdout]))).toEqual(
      await sha256Of(generated(400_000, 1)),
    );
  });

  it('lists and verifies, and works on a file location without credentials', async () => {
    const list = await agent(['list', ...s3Args()]);
    expect(list.code).toBe(EXIT.ok);
    expect(
      list.stdout
        .toString()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(['newer', 'older', 'tampered']);
    expect((await agent(['verify', ...s3Args(), '--backup', 'older'])).code).toBe(EXIT.ok);
    const local = await agent([
      'verify',
      '--location',
      `file://${join(dir, 'pvc')}`,
      '--backup',
      'local',
    ]);
    expect(local.stderr).toMatch(/backup local verified/);
    expect(local.code).toBe(EXIT.ok);
  });

  it('exits 4 naming the problem when a backup is tampered with, and leaves no output file', async () => {
    const out = join(dir, 'restore', 'bad.db');
    const r = await agent(['fetch', ...s3Args(), '--backup', 'tampered', '--output', out]);
    expect(r.code).toBe(EXIT.integrity);
    expect(r.stderr).toMatch(/IntegrityError: .*tampered\/data/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
    const noKey = await agent(['verify', ...s3Args(), '--backup', 'newer']);
    expect(noKey.code).toBe(EXIT.integrity);
    expect(noKey.stderr).toMatch(/encrypted .*no key was given/);
  });

  it('names bad input with distinct exit codes and never hangs', async () => {
    const cases: [string[], Record<string, string>, number, RegExp][] = [
      [
        ['fetch', '--location', 'bucket/path', '--backup', 'x', '--output', '-'],
        {},
        EXIT.usage,
        /not a URL/,
      ],
      [['fetch', '--location', 's3://Bad/x'], {}, EXIT.usage, /bad bucket name/],
      [['frobnicate'], {}, EXIT.usage, /unknown or missing command frobnicate/],
      [['verify', ...s3Args()], {}, EXIT.usage, /--backup is required/],
      [
        ['verify', ...s3Args(), '--backup', 'missing'],
        {},
        EXIT.notFound,
        /backup missing not found/,
      ],
      [
        [
          'list',
          '--location',
          's3://no-such-bucket/etcd',
          '--endpoint',
          s3.endpoint,
          '--credentials-dir',
          secretDir,
        ],
        {},
        EXIT.notFound,
        /bucket no-such-bucket does not exist/,
      ],
      [
        ['list', '--location', 's3://agent-tests/etcd', '--endpoint', s3.endpoint],
        { AWS_ACCESS_KEY_ID: 'nobody', AWS_SECRET_ACCESS_KEY: 'x' },
        EXIT.credentials,
        /access denied \(HTTP 403\); check the access key/,
      ],
      [
        [
          'list',
          '--location',
          's3://agent-tests/etcd',
          '--endpoint',
          'http://127.0.0.1:1',
          '--credentials-dir',
          secretDir,
        ],
        {},
        EXIT.unavailable,
        /cannot reach/,
      ],
      [
        ['list', '--location', 's3://agent-tests/etcd', '--credentials-dir', join(dir, 'nowhere')],
        {},
        EXIT.credentials,
        /credentials directory .*nowhere cannot be read/,
      ],
      [
        ['verify', ...s3Args(), '--backup', 'newer', '--encryption-key-file', join(dir, 'nokey')],
        {},
        EXIT.credentials,
        /encryption key file .*nokey cannot be read/,
      ],
      [['list', ...s3Args(), '--timeout', 'soon'], {}, EXIT.usage, /not a positive number/],
    ];
    const half = join(dir, 'half-secret');
    await mountSecret(half, { accessKey: 'S3RVER' });
    cases.push([
      [
        'list',
        '--location',
        's3://agent-tests/etcd',
        '--endpoint',
        s3.endpoint,
        '--credentials-dir',
        half,
      ],
      {},
      EXIT.credentials,
      /Secret mounted at .*half-secret has no key AWS_SECRET_ACCESS_KEY \(or secretKey\); present keys: accessKey/,
    ]);
    const results = await Promise.all(cases.map(([args, env]) => agent(args, env)));
    results.forEach((r, i) => {
      const [args, , code, re] = cases[i];
      expect({ args, stderr: r.stderr, code: r.code }).toMatchObject({
        stderr: expect.stringMatching(re),
        code,
      });
    });
  });
});
