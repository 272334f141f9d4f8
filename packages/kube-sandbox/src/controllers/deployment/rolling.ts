// The arithmetic of Deployment rollouts (k8s pkg/controller/deployment/util), kept pure.
import { num, spec, status, type Obj } from '../util/objects.ts';
import { scaledValue, type IntOrString } from '../util/intstr.ts';

export function replicasOf(obj: Obj): number {
  return num(spec(obj).replicas, 1);
}

export function isRollingUpdate(d: Obj): boolean {
  const strategy = spec(d).strategy as { type?: string } | undefined;
  return (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

function rollingParams(d: Obj): { maxSurge?: IntOrString; maxUnavailable?: IntOrString } {
  const strategy = spec(d).strategy as
    | { rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString } }
    | undefined;
  return strategy?.rollingUpdate ?? {};
}

/**
 * maxSurge rounds up, maxUnavailable rounds down; both zero would deadlock, so unavailable becomes 1
 * (k8s ResolveFenceposts).
 */
export function resolveFenceposts(
  maxSurge: IntOrString | undefined,
  maxUnavailable: IntOrString | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Obj): number {
  if (!isRollingUpdate(d)) return 0;
  const p = rollingParams(d);
  return resolveFenceposts(p.maxSurge, p.maxUnavailable, replicasOf(d)).surge;
}

export function maxUnavailable(d: Obj): number {
  const desired = replicasOf(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  const p = rollingParams(d);
  const { unavailable } = resolveFenceposts(p.maxSurge, p.maxUnavailable, desired);
  return Math.min(unavailable, desired);
}

export const specReplicas = (rs: Obj) => num(spec(rs).replicas, 0);
export const availableReplicas = (rs: Obj) => num(status(rs).availableReplicas, 0);
export const sumSpecReplicas = (sets: Obj[]) => sets.reduce((s, rs) => s + specReplicas(rs), 0);

/** How many replicas the new ReplicaSet should have next (k8s NewRSNewReplicas). */
export function newRSNewReplicas(d: Obj, allRSs: Obj[], newRSReplicas: number): number {
  const desired = replicasOf(d);
  if (!isRollingUpdate(d)) return desired;
  const current = sumSpecReplicas(allRSs);
  const maxTotal = desired + maxSurge(d);
  if (current >= maxTotal) return newRSReplicas;
  const scaleUp = Math.min(maxTotal - current, desired - newRSReplicas);
  return newRSReplicas + Math.max(0, scaleUp);
}

/**
 * Scale-downs of old ReplicaSets allowed now without going below minAvailable (k8s
 * reconcileOldReplicaSets): first unhealthy replicas, then healthy ones, oldest sets first.
 * Returns the new replica count per old set that changes.
 */
export function scaleDownOld(
  d: Obj,
  newRS: Obj | undefined,
  oldRSs: Obj[],
  newRSReplicas: number,
): Map<Obj, number> {
  const result = new Map<Obj, number>();
  if (sumSpecReplicas(oldRSs) === 0) return result;
  const replicasNow = new Map(oldRSs.map((rs) => [rs, specReplicas(rs)]));
  const allPods = newRSReplicas + sumSpecReplicas(oldRSs);
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = newRSReplicas - (newRS ? availableReplicas(newRS) : 0);
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return result;
  const oldest = [...oldRSs].sort(byCreation);

  // Unhealthy replicas cost no availability: remove them first.
  let cleaned = 0;
  for (const rs of oldest) {
    if (cleaned >= maxScaledDown) break;
    const replicas = replicasNow.get(rs) ?? 0;
    const unhealthy = replicas - availableReplicas(rs);
    if (replicas === 0 || unhealthy <= 0) continue;
    const count = Math.min(maxScaledDown - cleaned, unhealthy);
    replicasNow.set(rs, replicas - count);
    result.set(rs, replicas - count);
    cleaned += count;
  }

  const available =
    (newRS ? availableReplicas(newRS) : 0) + oldRSs.reduce((s, rs) => s + availableReplicas(rs), 0);
  if (available > minAvailable) {
    const total = available - minAvailable;
    let scaled = 0;
    for (const rs of oldest) {
      if (scaled >= total) break;
      const replicas = replicasNow.get(rs) ?? 0;
      if (replicas === 0) continue;
      const count = Math.min(replicas, total - scaled);
      result.set(rs, replicas - count);
      replicasNow.set(rs, replicas - count);
      scaled += count;
    }
  }
  return result;
}

export function byCreation(a: Obj, b: Obj): number {
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}
