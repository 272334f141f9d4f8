// The etcd operator's benchmarks (issue 7), each against a baseline measured in the same run:
// time to a Ready 3-member cluster and back to health after a member kill vs a script running the
// same etcd processes, backup throughput vs `etcdctl snapshot save`, and operator memory with 100
// EtcdClusters vs the idle operator. ETCD_BENCH=ready,backup,rss picks parts.
import type { Benchmark, BenchRow } from './harness.ts';

const parts: Record<string, (quick: boolean) => Promise<BenchRow[]>> = {
  backup: async (q) => (await import('./etcd-backup.ts')).backupThroughput(q),
  rss: async (q) => (await import('./etcd-rss.ts')).operatorRss(q),
  ready: async (q) => (await import('./etcd-ready.ts')).readyAndHeal(q),
};

export const benchmark: Benchmark = {
  name: 'etcd',
  description: 'etcd operator: time to Ready, recovery after a kill, backup throughput, memory',
  async run({ quick }) {
    const only = process.env.ETCD_BENCH?.split(',').filter(Boolean);
    const rows: BenchRow[] = [];
    for (const [name, run] of Object.entries(parts)) {
      if (only && !only.includes(name)) continue;
      console.error(`  etcd: ${name}`);
      rows.push(...(await run(quick)));
    }
    return rows;
  },
};
