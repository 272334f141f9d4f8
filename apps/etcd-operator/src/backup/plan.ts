// Pure parts of the EtcdBackup controller: how a spec's schedule is run, job -> status, and the
// backoff for problems only runtime can see.
import {
  jobToResourceStatus,
  type BackupJobResult,
  type JobSnapshot,
} from '@opsmith/backup-storage';
import { setCondition, type Condition } from '@opsmith/k8s-runtime';
import type { BackupPhase, BackupRecord, EtcdBackupSpec, EtcdBackupStatus } from './types.ts';

export type BackupSchedule =
  | { kind: 'once' }
  | { kind: 'cron'; pattern: string; timeZone?: string }
  /** "@every 30s": a fixed interval (cron cannot express sub-minute periods). */
  | { kind: 'every'; everyMs: number };

export function backupSchedule(
  spec: Pick<EtcdBackupSpec, 'schedule' | 'timeZone'>,
): BackupSchedule {
  const s = spec.schedule?.trim();
  if (!s) return { kind: 'once' };
  const every = /^@every ([0-9]+)(s|m|h)$/.exec(s);
  if (every) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000 }[every[2] as 's' | 'm' | 'h'];
    return { kind: 'every', everyMs: Math.max(1, Number(every[1])) * unit };
  }
  return { kind: 'cron', pattern: s, ...(spec.timeZone ? { timeZone: spec.timeZone } : {}) };
}

/** A fingerprint of what the queue's scheduler must match; a change re-registers it. */
export function scheduleKey(spec: EtcdBackupSpec): string {
  return JSON.stringify([
    spec.schedule ?? '',
    spec.timeZone ?? '',
    spec.retention?.maxBackups ?? 0,
    spec.destination,
    spec.clusterName,
    spec.timeoutSeconds ?? 600,
  ]);
}

/** Backoff for runtime problems (missing Secret, unknown cluster, unreachable bucket). */
export function problemDelayMs(failures: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, failures), 300_000);
}

/** What the manifest adds to a job's result (etcd version; member when the worker knows it). */
export interface ManifestFacts {
  etcdVersion?: string;
  member?: string;
}

export function backupRecord(
  r: BackupJobResult,
  job: Pick<JobSnapshot, 'startedAt' | 'finishedAt'>,
  facts: ManifestFacts,
): BackupRecord {
  return {
    key: r.location,
    revision: r.position ?? '',
    size: r.size,
    // The snapshot's own digest (what `etcdctl snapshot restore` consumes), not the compressed object's.
    sha256: r.rawSha256,
    etcdVersion: facts.etcdVersion ?? '',
    ...(facts.member ? { member: facts.member } : {}),
    startTime: (job.startedAt ?? new Date(r.completedAt)).toISOString(),
    completionTime: job.finishedAt?.toISOString() ?? r.completedAt,
    verified: r.verified,
  };
}

function phaseOf(p: ReturnType<typeof jobToResourceStatus>['phase']): BackupPhase {
  if (p === 'Retrying') return 'Running';
  if (p === 'Cancelled') return 'Failed';
  return p;
}

/** Status of a one-shot backup from its job (undefined: not queued yet). */
export function oneShotStatus(
  job: JobSnapshot | undefined,
  prev: EtcdBackupStatus,
  generation: number | undefined,
  record: BackupRecord | undefined,
  now = new Date(),
): EtcdBackupStatus {
  const s = jobToResourceStatus(job, {
    now,
    previous: prev.conditions ?? [],
    ...(generation !== undefined ? { generation } : {}),
  });
  let conditions = (prev.conditions ?? []).filter((c) => c.type !== 'Ready');
  for (const c of s.conditions) conditions = setCondition(conditions, c, now);
  conditions = setCondition(conditions, readyFrom(s.phase, s.conditions, generation), now);
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    phase: phaseOf(s.phase),
    conditions,
    ...(record ? { lastBackup: record, lastSuccessTime: record.completionTime } : {}),
  };
}

function readyFrom(
  phase: ReturnType<typeof jobToResourceStatus>['phase'],
  conds: readonly Condition[],
  generation: number | undefined,
): Omit<Condition, 'lastTransitionTime'> {
  const g = generation !== undefined ? { observedGeneration: generation } : {};
  if (phase === 'Failed' || phase === 'Cancelled') {
    const f = conds.find((c) => c.type === 'Failed');
    return {
      type: 'Ready',
      status: 'False',
      reason: f?.reason ?? 'Failed',
      message: f?.message ?? '',
      ...g,
    };
  }
  if (phase === 'Succeeded') {
    return {
      type: 'Ready',
      status: 'True',
      reason: 'BackupComplete',
      message: 'backup complete',
      ...g,
    };
  }
  return {
    type: 'Ready',
    status: 'False',
    reason: 'InProgress',
    message: 'backup queued or running',
    ...g,
  };
}

/**
 * Status of a scheduled backup from its newest job (running or finished) and its newest
 * successful one.
 */
export function scheduledStatus(input: {
  prev: EtcdBackupStatus;
  generation: number | undefined;
  suspended: boolean;
  latest: JobSnapshot | undefined;
  lastSuccess: { job: JobSnapshot; record: BackupRecord } | undefined;
  nextRun: Date | undefined;
  backups: number | undefined;
  now?: Date;
}): EtcdBackupStatus {
  const now = input.now ?? new Date();
  const g = input.generation !== undefined ? { observedGeneration: input.generation } : {};
  let conditions = input.prev.conditions ?? [];
  let phase: BackupPhase = 'Scheduled';
  const latest = input.latest;
  if (latest && ['active', 'waiting', 'delayed', 'prioritized'].includes(latest.state)) {
    phase = latest.state === 'active' ? 'Running' : 'Scheduled';
  } else if (latest && (latest.state === 'failed' || latest.state === 'cancelled')) {
    phase = 'Failed';
  }
  const s = jobToResourceStatus(latest, {
    now,
    previous: conditions,
    ...(input.generation !== undefined ? { generation: input.generation } : {}),
  });
  if (latest) for (const c of s.conditions) conditions = setCondition(conditions, c, now);
  const ready: Omit<Condition, 'lastTransitionTime'> = input.suspended
    ? {
        type: 'Ready',
        status: 'False',
        reason: 'Suspended',
        message: 'spec.suspend is true: no scheduled runs',
        ...g,
      }
    : phase === 'Failed'
      ? {
          type: 'Ready',
          status: 'False',
          reason: s.conditions.find((c) => c.type === 'Failed')?.reason ?? 'Failed',
          message: `last scheduled backup failed: ${s.conditions.find((c) => c.type === 'Failed')?.message ?? ''}; the schedule keeps running`,
          ...g,
        }
      : {
          type: 'Ready',
          status: 'True',
          reason: 'Scheduled',
          message: 'schedule registered',
          ...g,
        };
  conditions = setCondition(conditions, ready, now);
  const record = input.lastSuccess?.record ?? input.prev.lastBackup;
  return {
    ...g,
    phase,
    conditions,
    ...(record ? { lastBackup: record, lastSuccessTime: record.completionTime } : {}),
    ...(latest?.startedAt ? { lastScheduleTime: latest.startedAt.toISOString() } : {}),
    ...(input.nextRun && !input.suspended ? { nextScheduleTime: input.nextRun.toISOString() } : {}),
    ...(input.backups !== undefined ? { backups: input.backups } : {}),
  };
}

/** Status for a problem only runtime can see: condition Ready=False with the reason. */
export function problemStatus(
  prev: EtcdBackupStatus,
  generation: number | undefined,
  reason: string,
  message: string,
  now = new Date(),
): EtcdBackupStatus {
  const g = generation !== undefined ? { observedGeneration: generation } : {};
  return {
    ...g,
    phase: prev.phase === 'Succeeded' ? 'Succeeded' : 'Pending',
    conditions: setCondition(
      prev.conditions ?? [],
      { type: 'Ready', status: 'False', reason, message, ...g },
      now,
    ),
  };
}
