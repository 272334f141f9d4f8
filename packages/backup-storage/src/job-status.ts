/** Kinds of jobs the queue runs. */
export type BackupJobKind = 'backup' | 'restore-fetch' | 'verify';

export type JobState =
  | 'waiting'
  | 'delayed'
  | 'prioritized'
  | 'waiting-children'
  | 'active'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'unknown';

export interface JobProgress {
  /** Raw bytes processed so far. */
  bytes: number;
  storedBytes?: number;
  phase?: string;
}

/** What a finished job produced: where the backup is and how to check it. */
export interface BackupJobResult {
  backupId: string;
  location: string;
  size: number;
  compressedSize: number;
  sha256: string;
  rawSha256: string;
  position?: string;
  completedAt: string;
  verified: boolean;
  /** restore-fetch: the file written. */
  destination?: string;
  /** backup with retention: what retention removed (or why it could not). */
  retentionDeleted?: string[];
  retentionError?: string;
}

export interface JobSnapshot {
  id: string;
  kind: BackupJobKind;
  state: JobState;
  attemptsMade: number;
  attempts: number;
  progress?: JobProgress;
  result?: BackupJobResult;
  /** "<Reason>: <message>" of the last failure. */
  failedReason?: string;
  startedAt?: Date;
  finishedAt?: Date;
}

/** metav1.Condition as used on custom resource status. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type ResourcePhase =
  | 'Pending'
  | 'Running'
  | 'Retrying'
  | 'Succeeded'
  | 'Failed'
  | 'Cancelled';

export interface ResourceJobStatus {
  phase: ResourcePhase;
  conditions: Condition[];
  attempts: number;
  progress?: { bytesDone: number; phase?: string };
  result?: BackupJobResult;
  startTime?: string;
  completionTime?: string;
}

/** Splits "Reason: message" as written by the worker; reasons are CamelCase condition reasons. */
export function splitFailedReason(failedReason: string | undefined): {
  reason: string;
  message: string;
} {
  const m = /^([A-Z][A-Za-z]+): ([\s\S]*)$/.exec(failedReason ?? '');
  if (m?.[1] && m[2] !== undefined) return { reason: m[1], message: m[2] };
  return { reason: 'Error', message: failedReason ?? 'unknown error' };
}

function condition(
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  now: Date,
  previous: readonly Condition[],
  generation: number | undefined,
): Condition {
  const prev = previous.find((c) => c.type === type);
  // lastTransitionTime changes only when the status does, as Kubernetes conventions require.
  const lastTransitionTime =
    prev && prev.status === status ? prev.lastTransitionTime : now.toISOString();
  return {
    type,
    status,
    reason,
    message,
    lastTransitionTime,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

function describe(kind: BackupJobKind): string {
  return kind === 'backup' ? 'backup' : kind === 'verify' ? 'verification' : 'restore fetch';
}

/**
 * Pure mapping from a queue job onto a custom resource's status: phase, Running/Succeeded/Failed
 * conditions with reasons, byte progress and the result. Pass the current conditions to keep
 * transition times stable. An undefined snapshot means the job is not (or no longer) queued.
 */
export function jobToResourceStatus(
  snapshot: JobSnapshot | undefined,
  opts: { now?: Date; previous?: readonly Condition[]; generation?: number } = {},
): ResourceJobStatus {
  const now = opts.now ?? new Date();
  const prev = opts.previous ?? [];
  const c = (type: string, status: Condition['status'], reason: string, message: string) =>
    condition(type, status, reason, message, now, prev, opts.generation);
  if (!snapshot)
    return {
      phase: 'Pending',
      attempts: 0,
      conditions: [
        c('Running', 'False', 'NotQueued', 'no job is queued for this resource'),
        c('Succeeded', 'Unknown', 'NotQueued', ''),
        c('Failed', 'Unknown', 'NotQueued', ''),
      ],
    };
  const what = describe(snapshot.kind);
  const times = {
    ...(snapshot.startedAt ? { startTime: snapshot.startedAt.toISOString() } : {}),
    ...(snapshot.finishedAt && ['completed', 'failed', 'cancelled'].includes(snapshot.state)
      ? { completionTime: snapshot.finishedAt.toISOString() }
      : {}),
  };
  const progress = snapshot.progress
    ? {
        progress: {
          bytesDone: snapshot.progress.bytes,
          ...(snapshot.progress.phase ? { phase: snapshot.progress.phase } : {}),
        },
      }
    : {};
  const base = { attempts: snapshot.attemptsMade, ...times, ...progress };
  const last = splitFailedReason(snapshot.failedReason);
  switch (snapshot.state) {
    case 'completed': {
      const r = snapshot.result;
      const msg = r
        ? `${what} ${r.backupId} complete: ${r.size} bytes (${r.compressedSize} stored), sha256 ${r.sha256} at ${r.location}`
        : `${what} complete`;
      return {
        ...base,
        phase: 'Succeeded',
        ...(r ? { result: r } : {}),
        conditions: [
          c('Running', 'False', 'Completed', msg),
          c('Succeeded', 'True', 'Completed', msg),
          c('Failed', 'False', 'Completed', ''),
        ],
      };
    }
    case 'failed':
    case 'cancelled': {
      const cancelled = snapshot.state === 'cancelled' || last.reason === 'Cancelled';
      const reason = cancelled ? 'Cancelled' : last.reason;
      const msg = cancelled
        ? `${what} was cancelled`
        : `${what} failed after ${snapshot.attemptsMade} attempt(s): ${last.message}`;
      return {
        ...base,
        phase: cancelled ? 'Cancelled' : 'Failed',
        conditions: [
          c('Running', 'False', reason, msg),
          c('Succeeded', 'False', reason, msg),
          c('Failed', 'True', reason, msg),
        ],
      };
    }
    case 'active': {
      const p = snapshot.progress;
      const msg = `${what} running (attempt ${snapshot.attemptsMade + 1} of ${snapshot.attempts})${
        p ? `: ${p.bytes} bytes${p.phase ? `, ${p.phase}` : ''}` : ''
      }`;
      return {
        ...base,
        phase: 'Running',
        conditions: [
          c('Running', 'True', 'InProgress', msg),
          c('Succeeded', 'Unknown', 'InProgress', ''),
          c('Failed', 'False', 'InProgress', ''),
        ],
      };
    }
    default: {
      const retrying = snapshot.attemptsMade > 0 && snapshot.failedReason !== undefined;
      const msg = retrying
        ? `${what} attempt ${snapshot.attemptsMade} of ${snapshot.attempts} failed, retrying with backoff: ${last.message}`
        : `${what} is queued`;
      const reason = retrying ? 'Retrying' : 'Queued';
      return {
        ...base,
        phase: retrying ? 'Retrying' : 'Pending',
        conditions: [
          c('Running', 'False', reason, msg),
          c('Succeeded', 'Unknown', reason, ''),
          c(
            'Failed',
            'False',
            reason,
            retrying ? `last error: ${last.reason}: ${last.message}` : '',
          ),
        ],
      };
    }
  }
}
