import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function tempDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `opsmith-bs-${name}-`));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Waits for a line matching re on the child's stdout (or fails on exit/timeout with its output). */
export function waitForLine(
  child: ChildProcess,
  re: RegExp,
  timeoutMs = 30_000,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`process exited (${code}) before printing ${re}: ${out}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${re}: ${out}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface S3Server {
  endpoint: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** s3rver (default account S3RVER/S3RVER, signatures checked) in a child process. */
export async function startS3Server(buckets: string[]): Promise<S3Server> {
  const dir = await tempDir('s3');
  const main = join(import.meta.dirname, 's3rver-main.ts');
  const child = spawn(process.execPath, [main, dir, ...buckets], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = await waitForLine(child, /PORT (\d+)/);
  const port = Number(m[1]);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface RedisServer {
  port: number;
  connection: { host: string; port: number };
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const REDIS = '/usr/bin/redis-server';

/** A private redis-server with append-only persistence, so a restart keeps the queue. */
export async function startRedis(): Promise<RedisServer> {
  const { existsSync } = await import('node:fs');
  if (!existsSync(REDIS)) throw new Error(`${REDIS} is missing: apt-get install redis-server`);
  const dir = await tempDir('redis');
  const port = await freePort();
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(
      REDIS,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitForLine(child, /Ready to accept connections/);
  };
  await launch();
  return {
    port,
    connection: { host: '127.0.0.1', port },
    async restart() {
      await stopProcess(child);
      await launch();
    },
    async stop() {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
