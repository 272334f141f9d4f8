// Backup throughput: the operator's backup path (snapshot over the maintenance API from the most
// up-to-date healthy member, streamed through backup-storage to a file target, EtcdBackup's
// defaults) against `etcdctl snapshot save` from the same cluster in the same run.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileStorage } from '@opsmith/backup-storage';
import { EtcdClient, takeBackup } from '@opsmith/etcd-operator';
import { nowMs, summarize, type BenchRow } from './harness.ts';
import { ETCDCTL_BIN, LocalCluster } from './etcd-local.ts';

const MiB = 1024 * 1024;

/** Writes about `mib` MiB of half-compressible values (hex text) through `concurrency` clients. */
async function fill(client: EtcdClient, mib: number): Promise<void> {
  const valueBytes = 256 * 1024;
  const n = Math.ceil((mib * MiB) / valueBytes);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < n) {
        const i = next++;
        await client.put(`/bench/${i}`, randomBytes(valueBytes / 2).toString('hex'));
      }
    }),
  );
}

export async function backupThroughput(quick: boolean): Promise<BenchRow[]> {
  const mib = quick ? 32 : 128;
  const rounds = quick ? 2 : 5;
  const cluster = await LocalCluster.create(3, ['--quota-backend-bytes=2147483648']);
  const client = new EtcdClient({ endpoints: cluster.clientURLs, timeoutMs: 30_000 });
  try {
    cluster.startAll();
    await cluster.waitHealthy();
    await fill(client, mib);
    const ours: number[] = [];
    const etcdctl: number[] = [];
    let bytes = 0;
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first so neither always meets a warm page cache.
      const order = r % 2 === 0 ? ['etcdctl', 'operator'] : ['operator', 'etcdctl'];
      for (const which of order) {
        const out = join(cluster.dir, `round-${r}-${which}`);
        mkdirSync(out, { recursive: true });
        const t0 = nowMs();
        if (which === 'etcdctl') {
          const file = join(out, 'snapshot.db');
          const res = spawnSync(
            ETCDCTL_BIN,
            [`--endpoints=${cluster.members[0]?.clientURL ?? ''}`, 'snapshot', 'save', file],
            { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' },
          );
          if (res.status !== 0) throw new Error(`etcdctl snapshot save failed: ${res.stderr}`);
          bytes = statSync(file).size;
          etcdctl.push(nowMs() - t0);
        } else {
          await takeBackup(client, new FileStorage(out), {
            id: `bench-${r}`,
            source: { kind: 'EtcdCluster', name: 'bench', namespace: 'bench' },
            verify: false,
          });
          ours.push(nowMs() - t0);
        }
      }
    }
    const o = summarize(ours).p50;
    const e = summarize(etcdctl).p50;
    const rate = (ms: number) => bytes / MiB / (ms / 1000);
    return [
      {
        benchmark: 'etcd',
        metric: `backup throughput, ${Math.round(bytes / MiB)} MiB db (p50 of ${rounds})`,
        value: rate(o),
        unit: 'MiB/s',
        baseline: rate(e),
        baselineName: 'etcdctl snapshot save',
        ratio: rate(o) / rate(e),
      },
    ];
  } finally {
    client.close();
    await cluster.stop();
  }
}
