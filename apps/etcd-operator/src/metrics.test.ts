import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { EtcdOperatorMetrics, operatorMetricsFor, type ClusterSample } from './metrics.ts';

const sample = (over: Partial<ClusterSample> = {}): ClusterSample => ({
  namespace: 'prod',
  cluster: 'main',
  desired: 3,
  members: 3,
  readyMembers: 3,
  leaderId: '11',
  available: true,
  ...over,
});

async function value(r: Registry, name: string, labels: Record<string, string>) {
  const metric = (await r.getMetricsAsJSON()).find((m) => m.name === name);
  const v = (metric?.values ?? []).find((x) =>
    Object.entries(labels).every(([k, l]) => x.labels[k] === l),
  );
  return v?.value;
}

describe('EtcdOperatorMetrics', () => {
  it('reports members, ready members and availability per cluster', async () => {
    const r = new Registry();
    const m = new EtcdOperatorMetrics(r);
    m.observeCluster(sample({ readyMembers: 2, available: true }));
    const l = { namespace: 'prod', cluster: 'main' };
    expect(await value(r, 'etcd_operator_cluster_members', l)).toBe(3);
    expect(await value(r, 'etcd_operator_cluster_ready_members', l)).toBe(2);
    expect(await value(r, 'etcd_operator_cluster_desired_members', l)).toBe(3);
    expect(await value(r, 'etcd_operator_cluster_available', l)).toBe(1);
    const text = await r.metrics();
    expect(text).toContain('etcd_operator_cluster_members{namespace="prod",cluster="main"} 3');
  });

  it('counts a leader change only when a known leader is replaced', async () => {
    const r = new Registry();
    const m = new EtcdOperatorMetrics(r);
    const l = { namespace: 'prod', cluster: 'main' };
    m.observeCluster(sample({ leaderId: '11' }));
    expect(await value(r, 'etcd_operator_leader_changes_total', l)).toBe(0);
    m.observeCluster(sample({ leaderId: '' })); // election in progress: not a change yet
    m.observeCluster(sample({ leaderId: '11' }));
    expect(await value(r, 'etcd_operator_leader_changes_total', l)).toBe(0);
    m.observeCluster(sample({ leaderId: '22' }));
    m.observeCluster(sample({ leaderId: '22' }));
    m.observeCluster(sample({ leaderId: '11' }));
    expect(await value(r, 'etcd_operator_leader_changes_total', l)).toBe(2);
  });

  it('counts reconciles by action, backups by result, rotations', async () => {
    const r = new Registry();
    const m = new EtcdOperatorMetrics(r);
    m.reconciled('prod', 'main', 'none');
    m.reconciled('prod', 'main', 'none');
    m.reconciled('prod', 'main', 'addLearner');
    m.backupFinished('prod', 'main', 'succeeded', 1234);
    m.backupFinished('prod', 'main', 'failed');
    m.certificateRotated('prod', 'main');
    const l = { namespace: 'prod', cluster: 'main' };
    expect(await value(r, 'etcd_operator_reconciles_total', { ...l, action: 'none' })).toBe(2);
    expect(await value(r, 'etcd_operator_reconciles_total', { ...l, action: 'addLearner' })).toBe(
      1,
    );
    expect(await value(r, 'etcd_operator_backups_total', { ...l, result: 'succeeded' })).toBe(1);
    expect(await value(r, 'etcd_operator_backups_total', { ...l, result: 'failed' })).toBe(1);
    expect(await value(r, 'etcd_operator_last_backup_size_bytes', l)).toBe(1234);
    expect(await value(r, 'etcd_operator_certificate_rotations_total', l)).toBe(1);
  });

  it('a deleted cluster stops reporting; other clusters keep their series', async () => {
    const r = new Registry();
    const m = new EtcdOperatorMetrics(r);
    m.observeCluster(sample());
    m.observeCluster(sample({ cluster: 'other' }));
    m.reconciled('prod', 'main', 'none');
    m.backupFinished('prod', 'main', 'succeeded', 1);
    m.forgetCluster('prod', 'main');
    const text = await r.metrics();
    expect(text).not.toContain('cluster="main"');
    expect(text).toContain('cluster="other"');
  });

  it('one instance per registry, so every controller of a manager shares the series', () => {
    const r = new Registry();
    expect(operatorMetricsFor(r)).toBe(operatorMetricsFor(r));
    expect(operatorMetricsFor(new Registry())).not.toBe(operatorMetricsFor(r));
  });
});
