import { Readable } from 'node:stream';
import {
  openStorageFromSpec,
  type BackupJobData,
  type BackupQueueJobData,
  type SecretData,
  type WorkerHandlers,
} from '../../src/index.ts';
import { generated } from './data.ts';

/** Source parameters the test handlers understand (BackupJobData.params). */
export interface TestSourceParams {
  size: number;
  seed?: number;
  /** Throttle to about this rate, to keep a job running long enough to act on it. */
  bytesPerSecond?: number;
  /** Fail opening the source this many times per backup id (transient errors). */
  failTimes?: number;
}

export function throttled(size: number, bytesPerSecond: number, seed = 1): Readable {
  const inner = generated(size, seed, 64 * 1024);
  const perChunkMs = (64 * 1024 * 1000) / bytesPerSecond;
  return new Readable({
    read() {
      const c = inner.read() as Buffer | null;
      if (c) setTimeout(() => this.push(c), perChunkMs);
      else if (inner.readableEnded) this.push(null);
      else inner.once('readable', () => this._read(0));
    },
    destroy(err, cb) {
      inner.destroy();
      cb(err);
    },
  });
}

/**
 * Handlers as an operator would write them: Secrets looked up by name (here from a map instead
 * of the Kubernetes API), storage opened from the job's reference, bytes from a generator.
 */
export function testHandlers(
  secrets: Record<string, SecretData>,
  encryptionKey?: Buffer,
): WorkerHandlers & { opened: Map<string, number> } {
  const opened = new Map<string, number>();
  return {
    opened,
    async resolveStorage(data: BackupQueueJobData) {
      const ref = data.storage;
      const secret = ref.credentialsSecret ? secrets[ref.credentialsSecret] : undefined;
      if (ref.credentialsSecret && !secret)
        throw new Error(`Secret ${ref.credentialsSecret} not found`);
      return openStorageFromSpec(
        ref,
        secret && ref.credentialsSecret ? { name: ref.credentialsSecret, data: secret } : undefined,
      );
    },
    async resolveEncryptionKey() {
      return encryptionKey;
    },
    async openSource(data: BackupJobData, ctx) {
      const p = data.params as unknown as TestSourceParams;
      const n = (opened.get(ctx.backupId) ?? 0) + 1;
      opened.set(ctx.backupId, n);
      if (p.failTimes && n <= p.failTimes)
        throw new Error(`source not reachable yet (attempt ${n})`);
      const stream = p.bytesPerSecond
        ? throttled(p.size, p.bytesPerSecond, p.seed)
        : generated(p.size, p.seed ?? 1);
      return {
        stream,
        position: `revision=${p.size}`,
        application: { name: 'etcd', version: '3.4.23' },
      };
    },
  };
}
