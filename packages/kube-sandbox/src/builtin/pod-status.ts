// The pod row kubectl shows (READY, STATUS, RESTARTS), computed from the status the same way as
// the real server's printer (pkg/printers/internalversion printPod), so `kubectl get pods` reads
// "CrashLoopBackOff", "Init:0/1", "Completed" or "Terminating" exactly as on a real cluster.
import type { KubeObject } from '../core/types.ts';
import { at, isObj, num, objs, spec, status, str, type Obj } from './access.ts';
import { humanDuration } from './duration.ts';

export interface PodRow {
  ready: string;
  status: string;
  restarts: string;
}

function isRestartableInit(container: Obj | undefined): boolean {
  return container?.['restartPolicy'] === 'Always';
}

function terminated(cs: Obj): Obj | undefined {
  const t = at(cs, 'state', 'terminated');
  return isObj(t) ? t : undefined;
}

function lastTerminatedAt(cs: Obj): number | undefined {
  const finished = at(cs, 'lastState', 'terminated', 'finishedAt');
  if (typeof finished !== 'string') return undefined;
  const t = Date.parse(finished);
  return Number.isNaN(t) ? undefined : t;
}

function exitReason(prefix: string, t: Obj): string {
  const signal = num(t['signal']);
  if (signal !== 0) return `${prefix}Signal:${signal}`;
  return `${prefix}ExitCode:${num(t['exitCode'])}`;
}

function conditionTrue(pod: KubeObject, type: string): boolean {
  return objs(status(pod)['conditions']).some((c) => c['type'] === type && c['status'] === 'True');
}

export function podRow(pod: KubeObject, now: Date): PodRow {
  const podSpec = spec(pod);
  const podStatus = status(pod);
  const initSpecs = new Map(objs(podSpec['initContainers']).map((c) => [str(c['name']), c]));
  let total = objs(podSpec['containers']).length;
  for (const c of initSpecs.values()) if (isRestartableInit(c)) total++;

  const phase = str(podStatus['phase']);
  let reason = str(podStatus['reason']) || phase;
  for (const c of objs(podStatus['conditions'])) {
    if (c['type'] === 'PodScheduled' && c['reason'] === 'SchedulingGated')
      reason = 'SchedulingGated';
  }

  let restarts = 0;
  let sidecarRestarts = 0;
  let ready = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : Math.max(a, b);

  let initializing = false;
  const initStatuses = objs(podStatus['initContainerStatuses']);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const specOf = initSpecs.get(str(cs['name']));
    restarts += num(cs['restartCount']);
    lastRestart = later(lastRestart, lastTerminatedAt(cs));
    if (isRestartableInit(specOf)) {
      sidecarRestarts += num(cs['restartCount']);
      lastSidecarRestart = later(lastSidecarRestart, lastTerminatedAt(cs));
    }
    const t = terminated(cs);
    const waitingReason = str(at(cs, 'state', 'waiting', 'reason'));
    if (t && num(t['exitCode']) === 0) continue;
    if (isRestartableInit(specOf) && cs['started'] === true) {
      if (cs['ready'] === true) ready++;
      continue;
    }
    if (t) {
      reason = str(t['reason']) ? `Init:${str(t['reason'])}` : exitReason('Init:', t);
    } else if (waitingReason !== '' && waitingReason !== 'PodInitializing') {
      reason = `Init:${waitingReason}`;
    } else {
      reason = `Init:${i}/${initSpecs.size}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(pod, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = objs(podStatus['containerStatuses']);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += num(cs['restartCount']);
      lastRestart = later(lastRestart, lastTerminatedAt(cs));
      const waitingReason = str(at(cs, 'state', 'waiting', 'reason'));
      const t = terminated(cs);
      if (waitingReason !== '') reason = waitingReason;
      else if (t && str(t['reason']) !== '') reason = str(t['reason']);
      else if (t) reason = exitReason('', t);
      else if (cs['ready'] === true && isObj(at(cs, 'state', 'running'))) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const deleting = typeof pod.metadata?.deletionTimestamp === 'string';
  if (deleting && podStatus['reason'] === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsCell = `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;
  }
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsCell };
}
