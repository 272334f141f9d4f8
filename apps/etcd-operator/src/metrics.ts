// The operator's own Prometheus metrics, on the Manager's registry next to controller-runtime's
// (so one /metrics serves both). Per-cluster series carry namespace and cluster labels and are
// dropped when the cluster goes away, so a deleted cluster stops reporting instead of freezing.
import { Counter, Gauge, type Registry } from 'prom-client';

export type BackupResult = 'succeeded' | 'failed';

export interface ClusterSample {
  namespace: string;
  cluster: string;
  /** spec.size. */
  desired: number;
  /** Members etcd lists (voters and learners). */
  members: number;
  /** Healthy voting members. */
  readyMembers: number;
  /** Member id of the leader; empty when there is none. */
  leaderId: string;
  /** Whether etcd serves linearizable requests. */
  available: boolean;
}

/** What the reconciler and the backup controller report; EtcdOperatorMetrics implements it. */
export interface OperatorMetricsSink {
  observeCluster(s: ClusterSample): void;
  reconciled(namespace: string, cluster: string, action: string): void;
  certificateRotated(namespace: string, cluster: string): void;
  backupFinished(namespace: string, cluster: string, result: BackupResult, bytes?: number): void;
  forgetCluster(namespace: string, cluster: string): void;
}

type ClusterLabels = 'namespace' | 'cluster';

export class EtcdOperatorMetrics implements OperatorMetricsSink {
  readonly members: Gauge<ClusterLabels>;
  readonly desiredMembers: Gauge<ClusterLabels>;
  readonly readyMembers: Gauge<ClusterLabels>;
  readonly available: Gauge<ClusterLabels>;
  readonly leaderChanges: Counter<ClusterLabels>;
  readonly reconciles: Counter<ClusterLabels | 'action'>;
  readonly certificateRotations: Counter<ClusterLabels>;
  readonly backups: Counter<ClusterLabels | 'result'>;
  readonly backupBytes: Gauge<ClusterLabels>;
  readonly lastBackup: Gauge<ClusterLabels>;
  // Leader per cluster at the last observation: a change of a known leader counts once.
  readonly #leaders = new Map<string, string>();
  readonly #actions = new Map<string, Set<string>>();

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames: ClusterLabels[] = ['namespace', 'cluster'];
    this.members = new Gauge({
      name: 'etcd_operator_cluster_members',
      help: 'Members etcd lists for the cluster (voters and learners)',
      labelNames,
      registers,
    });
    this.desiredMembers = new Gauge({
      name: 'etcd_operator_cluster_desired_members',
      help: 'Members the EtcdCluster asks for (spec.size)',
      labelNames,
      registers,
    });
    this.readyMembers = new Gauge({
      name: 'etcd_operator_cluster_ready_members',
      help: 'Healthy voting members of the cluster',
      labelNames,
      registers,
    });
    this.available = new Gauge({
      name: 'etcd_operator_cluster_available',
      help: '1 while the cluster serves linearizable requests (has quorum), else 0',
      labelNames,
      registers,
    });
    this.leaderChanges = new Counter({
      name: 'etcd_operator_leader_changes_total',
      help: 'Leader changes the operator observed (including the ones it made with MoveLeader)',
      labelNames,
      registers,
    });
    this.reconciles = new Counter({
      name: 'etcd_operator_reconciles_total',
      help: 'EtcdCluster reconcile passes by the action decided (none = nothing to do)',
      labelNames: [...labelNames, 'action'],
      registers,
    });
    this.certificateRotations = new Counter({
      name: 'etcd_operator_certificate_rotations_total',
      help: 'Member certificates renewed by the operator',
      labelNames,
      registers,
    });
    this.backups = new Counter({
      name: 'etcd_operator_backups_total',
      help: 'Backups taken, by result',
      labelNames: [...labelNames, 'result'],
      registers,
    });
    this.backupBytes = new Gauge({
      name: 'etcd_operator_last_backup_size_bytes',
      help: 'Size of the last successful backup',
      labelNames,
      registers,
    });
    this.lastBackup = new Gauge({
      name: 'etcd_operator_last_backup_timestamp_seconds',
      help: 'Unix time of the last successful backup',
      labelNames,
      registers,
    });
  }

  observeCluster(s: ClusterSample): void {
    const l = { namespace: s.namespace, cluster: s.cluster };
    this.members.set(l, s.members);
    this.desiredMembers.set(l, s.desired);
    this.readyMembers.set(l, s.readyMembers);
    this.available.set(l, s.available ? 1 : 0);
    // Ensure the counter exists at 0 so rate() works from the first scrape.
    this.leaderChanges.inc(l, 0);
    const key = `${s.namespace}/${s.cluster}`;
    const before = this.#leaders.get(key);
    if (s.leaderId) {
      if (before && before !== s.leaderId) this.leaderChanges.inc(l);
      this.#leaders.set(key, s.leaderId);
    }
  }

  reconciled(namespace: string, cluster: string, action: string): void {
    this.reconciles.inc({ namespace, cluster, action });
    const key = `${namespace}/${cluster}`;
    const seen = this.#actions.get(key) ?? new Set<string>();
    this.#actions.set(key, seen.add(action));
  }

  certificateRotated(namespace: string, cluster: string): void {
    this.certificateRotations.inc({ namespace, cluster });
  }

  backupFinished(namespace: string, cluster: string, result: BackupResult, bytes?: number): void {
    const l = { namespace, cluster };
    this.backups.inc({ ...l, result });
    if (result === 'succeeded') {
      this.lastBackup.set(l, Date.now() / 1000);
      if (bytes !== undefined) this.backupBytes.set(l, bytes);
    }
  }

  forgetCluster(namespace: string, cluster: string): void {
    const l = { namespace, cluster };
    for (const g of [
      this.members,
      this.desiredMembers,
      this.readyMembers,
      this.available,
      this.leaderChanges,
      this.certificateRotations,
      this.backupBytes,
      this.lastBackup,
    ]) {
      g.remove(l);
    }
    // Series with an extra label: drop every one this cluster used.
    const key = `${namespace}/${cluster}`;
    for (const action of this.#actions.get(key) ?? []) this.reconciles.remove({ ...l, action });
    for (const result of ['succeeded', 'failed']) this.backups.remove({ ...l, result });
    this.#actions.delete(key);
    this.#leaders.delete(`${namespace}/${cluster}`);
  }
}

const perRegistry = new WeakMap<Registry, EtcdOperatorMetrics>();

/**
 * The operator metrics on a registry (a Manager's `metrics.registry`), created once: every
 * controller of one manager (clusters, backups) reports into the same series.
 */
export function operatorMetricsFor(registry: Registry): EtcdOperatorMetrics {
  let m = perRegistry.get(registry);
  if (!m) {
    m = new EtcdOperatorMetrics(registry);
    perRegistry.set(registry, m);
  }
  return m;
}
