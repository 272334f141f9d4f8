// The backup queue inside the operator: a BullMQ producer for the controllers and an embedded
// worker whose openSource streams an etcd snapshot. Only references travel through Redis; the
// worker reads Secrets itself with the operator's client.
import {
  BackupError,
  BackupQueue,
  BackupWorker,
  type BackupJobData,
  type BackupQueueJobData,
  type QueueOptions,
} from '@opsmith/backup-storage';
import type { Readable } from 'node:stream';
import type { KubeClient } from '@opsmith/k8s-runtime';
import { API_VERSION, type EtcdCluster } from '../api/types.ts';
import { EtcdClient } from '../etcd/client.ts';
import { ensureTls } from '../cluster/tls-secrets.ts';
import { clusterRef } from '../cluster/pods.ts';
import { memberClientURL } from '../cluster/names.ts';
import { openLocation } from './storage.ts';
import { openClusterSnapshot } from './take.ts';

export const ETCD_CLUSTER_TYPE = { apiVersion: API_VERSION, kind: 'EtcdCluster' };

/** Client endpoints of a cluster's members; default their advertised client URLs. */
export type EndpointResolver = (c: EtcdCluster, members: string[]) => string[];

export function defaultEndpoints(
  c: EtcdCluster,
  members: string[],
  clusterDomain?: string,
): string[] {
  const tls = Boolean(c.spec.tls?.client);
  return members.map((m) => memberClientURL(clusterRef(c, clusterDomain), m, tls));
}

/** Parses redis://[user:pass@]host:port[/db] into ioredis options (rediss:// adds TLS). */
export function redisConnection(url: string): QueueOptions['connection'] {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

export interface BackupRuntimeOptions {
  kube: KubeClient;
  redisUrl: string;
  /** Redis key prefix / queue name (tests isolate runs with them). */
  queueName?: string;
  prefix?: string;
  concurrency?: number;
  endpoints?: EndpointResolver;
  clusterDomain?: string;
  /** Told about every finished job, so its owner is reconciled at once. */
  onJobFinished?: (owner: { name: string; namespace?: string }) => void;
  /** First retry delay (default 5 s, doubling). */
  backoffMs?: number;
  attempts?: number;
}

export class BackupRuntime {
  readonly queue: BackupQueue;
  readonly worker: BackupWorker;
  /** backup id -> member the snapshot came from (the manifest has no field for it). */
  readonly members = new Map<string, string>();
  readonly #o: BackupRuntimeOptions;

  constructor(o: BackupRuntimeOptions) {
    this.#o = o;
    const connection = redisConnection(o.redisUrl);
    const common = {
      connection,
      ...(o.queueName ? { queueName: o.queueName } : {}),
      ...(o.prefix ? { prefix: o.prefix } : {}),
      attempts: o.attempts ?? 5,
      backoffMs: o.backoffMs ?? 5000,
    };
    this.queue = new BackupQueue(common);
    this.worker = new BackupWorker({
      ...common,
      concurrency: o.concurrency ?? 2,
      handlers: {
        resolveStorage: (data) => openLocation(o.kube, data.owner.namespace ?? '', data.storage),
        openSource: (data, ctx) => this.#openSource(data, ctx),
      },
    });
    const finished = (job: { data: BackupQueueJobData } | undefined) => {
      if (job)
        o.onJobFinished?.({
          name: job.data.owner.name,
          ...(job.data.owner.namespace ? { namespace: job.data.owner.namespace } : {}),
        });
    };
    this.worker.worker.on('completed', (job) => finished(job));
    this.worker.worker.on('failed', (job) => finished(job));
    this.worker.worker.on('active', (job) => finished(job));
  }

  async #openSource(
    data: BackupJobData,
    ctx: { signal: AbortSignal; backupId: string },
  ): Promise<{
    stream: Readable;
    position: string;
    application: { name: string; version: string };
  }> {
    const p = data.params as { cluster?: string; timeoutSeconds?: number } | undefined;
    const ns = data.owner.namespace ?? '';
    if (!p?.cluster) throw new BackupError('InvalidArgument', 'backup job without params.cluster');
    let c: EtcdCluster;
    try {
      c = (await this.#o.kube.get(ETCD_CLUSTER_TYPE, p.cluster, ns)) as unknown as EtcdCluster;
    } catch (err) {
      throw new BackupError(
        'Unavailable',
        `EtcdCluster ${ns}/${p.cluster}: ${(err as Error).message}`,
      );
    }
    const members = (c.status?.members ?? []).filter((m) => !m.isLearner).map((m) => m.name);
    if (members.length === 0) {
      throw new BackupError('Unavailable', `EtcdCluster ${ns}/${p.cluster} has no members yet`);
    }
    const endpoints = this.#o.endpoints
      ? this.#o.endpoints(c, members)
      : defaultEndpoints(c, members, this.#o.clusterDomain);
    const tls = await ensureTls(this.#o.kube, c, clusterRef(c, this.#o.clusterDomain), []);
    if (!tls.ok) throw new BackupError('InvalidArgument', tls.problem.message);
    const client = new EtcdClient({
      endpoints,
      ...(tls.client && c.spec.tls?.client ? { tls: tls.client } : {}),
      timeoutMs: 5000,
    });
    try {
      const snap = await openClusterSnapshot(client, {
        timeoutMs: (p.timeoutSeconds ?? 600) * 1000,
      });
      const name = c.status?.members?.find((m) => m.id === snap.memberId)?.name ?? snap.memberId;
      this.members.set(ctx.backupId, name);
      const close = () => client.close();
      snap.stream.once('close', close);
      ctx.signal.addEventListener('abort', () => snap.stream.destroy(), { once: true });
      return {
        stream: snap.stream,
        position: snap.revision,
        application: { name: 'etcd', version: snap.version },
      };
    } catch (err) {
      client.close();
      throw new BackupError(
        'Unavailable',
        `snapshot of ${ns}/${p.cluster}: ${(err as Error).message}`,
      );
    }
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
  }
}
