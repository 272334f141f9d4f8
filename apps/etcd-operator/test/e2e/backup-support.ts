// Support for the backup, restore and quorum-loss e2e tests: s3rver on the sandbox bridge gateway
// (pods reach the host there), a private redis-server for the BullMQ queue, and an in-process
// operator with the EtcdCluster, EtcdBackup and EtcdRestore controllers (members reached at pod IPs).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Manager, silentLogger, type Controller, type KubeObject } from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../../src/api/types.ts';
import { POD } from '../../src/cluster/act.ts';
import { addEtcdClusterController, MANAGED_SELECTOR } from '../../src/cluster/controller.ts';
import { ETCD_CLIENT_PORT } from '../../src/cluster/names.ts';
import { addEtcdBackupController, backupNotifier } from '../../src/backup/controller.ts';
import { BackupRuntime } from '../../src/backup/runtime.ts';
import { addEtcdRestoreController } from '../../src/restore/controller.ts';
import { EtcdClient } from '../../src/etcd/client.ts';
import { Failpoints, parseFailpoints } from '../../src/failpoints.ts';
import { freePort } from '../support/local-etcd.ts';
import { podIpEndpoints, type RealCluster } from '../support/real-cluster.ts';

export const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

function waitForLine(
  child: ChildProcess,
  re: RegExp,
  timeoutMs = 30_000,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${re}: ${out}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ${re}: ${out}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

export interface S3 {
  endpoint: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startS3(address: string, buckets: string[]): Promise<S3> {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-e2e-s3-'));
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 's3rver-main.ts'), dir, address, ...buckets],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const m = await waitForLine(child, /PORT (\d+)/);
  return {
    endpoint: `http://${address}:${m[1]}`,
    dir,
    stop: async () => {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const REDIS = '/usr/bin/redis-server';

export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  if (!existsSync(REDIS)) throw new Error(`${REDIS} is missing: apt-get install redis-server`);
  const dir = mkdtempSync(join(tmpdir(), 'etcd-e2e-redis-'));
  const port = await freePort();
  const child = spawn(
    REDIS,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitForLine(child, /Ready to accept connections/);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface PodWithIp extends KubeObject {
  status?: { podIP?: string };
}

/** The operator with every controller, in this process. */
export class BackupOperator {
  manager: Manager | undefined;
  runtime: BackupRuntime | undefined;
  readonly #real: RealCluster;
  readonly #redisUrl: string | undefined;

  constructor(real: RealCluster, redisUrl: string | undefined) {
    this.#real = real;
    this.#redisUrl = redisUrl;
  }

  async start(): Promise<void> {
    const manager = new Manager({
      client: this.#real.newClient(),
      namespaces: { kind: 'list', namespaces: [this.#real.namespace] },
      logger: silentLogger,
      processMetrics: false,
    });
    const pods = manager.informers.informerFor<PodWithIp>(POD, { labelSelector: MANAGED_SELECTOR });
    const endpoints = podIpEndpoints(pods);
    addEtcdClusterController(manager, {
      failpoints: new Failpoints(parseFailpoints('')),
      overrides: { endpoints, etcdTimeoutMs: 3000, quorumLossAfterMs: 5000 },
    });
    const holder: { backups?: Controller } = {};
    this.runtime = this.#redisUrl
      ? new BackupRuntime({
          kube: manager.client,
          redisUrl: this.#redisUrl,
          endpoints,
          backoffMs: 1000,
          onJobFinished: backupNotifier(() => holder.backups),
        })
      : undefined;
    holder.backups = addEtcdBackupController(manager, { runtime: this.runtime }).controller;
    addEtcdRestoreController(manager, { agentImage: 'ghcr.io/opsmith/etcd-operator:e2e' });
    await manager.start();
    this.manager = manager;
  }

  async stop(): Promise<void> {
    await this.manager?.stop();
    await this.runtime?.close();
    this.manager = undefined;
    this.runtime = undefined;
  }
}

/** A client to the cluster's members at their pod IPs (the host routes to the sandbox bridge). */
export async function etcdAt(real: RealCluster, cluster: string): Promise<EtcdClient> {
  const pods = await real.kube.list<PodWithIp>(POD, {
    namespace: real.namespace,
    labelSelector: `etcd.opsmith.io/cluster=${cluster}`,
  });
  const endpoints = pods.items
    .map((p) => p.status?.podIP)
    .filter((ip): ip is string => Boolean(ip))
    .map((ip) => `http://${ip}:${ETCD_CLIENT_PORT}`);
  return new EtcdClient({ endpoints, timeoutMs: 3000 });
}

export const ETCD_BACKUP_TYPE = { apiVersion: 'etcd.opsmith.io/v1alpha1', kind: 'EtcdBackup' };
export const ETCD_RESTORE_TYPE = { apiVersion: 'etcd.opsmith.io/v1alpha1', kind: 'EtcdRestore' };
export type { EtcdCluster };

/** Cluster conditions, members, pods (with init containers) and recent events, for failures. */
export async function describeState(real: RealCluster, cluster: string): Promise<string> {
  const lines: string[] = [];
  try {
    const c = (await real.kube.get(
      { apiVersion: 'etcd.opsmith.io/v1alpha1', kind: 'EtcdCluster' },
      cluster,
      real.namespace,
    )) as unknown as EtcdCluster;
    lines.push(`annotations: ${JSON.stringify(c.metadata.annotations ?? {})}`);
    for (const x of c.status?.conditions ?? []) {
      lines.push(`${x.type}=${x.status} ${x.reason}: ${x.message}`);
    }
    lines.push(`members: ${JSON.stringify(c.status?.members ?? [])}`);
  } catch (err) {
    lines.push(`cluster: ${String(err)}`);
  }
  const pods = await real.kube.list<KubeObject & { status?: Record<string, unknown> }>(POD, {
    namespace: real.namespace,
  });
  for (const p of pods.items) {
    const s = p.status ?? {};
    lines.push(
      `pod ${p.metadata?.name} ${String(s.phase)} init=${JSON.stringify(s.initContainerStatuses ?? [])} main=${JSON.stringify((s.containerStatuses as unknown[] | undefined) ?? [])}`,
    );
  }
  const events = await real.kube.list<
    KubeObject & { reason?: string; note?: string; message?: string }
  >({ apiVersion: 'v1', kind: 'Event' }, { namespace: real.namespace });
  for (const e of events.items.slice(-25))
    lines.push(`event ${e.reason}: ${e.note ?? e.message ?? ''}`);
  return lines.join('\n');
}

/** Runs `wait`; on failure the error carries describeState(). */
export async function withState<T>(
  real: RealCluster,
  cluster: string,
  wait: Promise<T>,
): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await describeState(real, cluster)}`);
  }
}
