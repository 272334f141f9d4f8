// PodDisruptionBudget status (k8s disruption controller): expected pods from the owning
// controllers' scale (or the matching pods), desired healthy from minAvailable/maxUnavailable,
// currently healthy (Ready, not terminating), and how many disruptions that allows.
import { rfc3339 } from '../runtime/clock.ts';
import { scaledValue, type IntOrString } from '../util/intstr.ts';
import {
  conditions,
  controllerRef,
  isDeleting,
  isPodReady,
  rec,
  selectorMatches,
  setCondition,
  spec,
  status,
  type Json,
  type LabelSelector,
  type Obj,
} from '../util/objects.ts';

/** The scale of a pod's controlling workload: uid and replicas, or undefined if it has none we know. */
export type ScaleLookup = (pod: Obj) => { uid: string; replicas: number } | undefined;

export interface PdbCounts {
  expectedPods: number;
  desiredHealthy: number;
  currentHealthy: number;
  disruptionsAllowed: number;
}

export function matchingPods(pdb: Obj, pods: Obj[]): Obj[] {
  const selector = spec(pdb).selector as LabelSelector | undefined;
  return pods.filter(
    (p) =>
      p.metadata?.namespace === pdb.metadata?.namespace &&
      selectorMatches(selector, p.metadata?.labels),
  );
}

/** Expected count from the controllers' replicas, each controller once (k8s getExpectedScale). */
export function expectedScale(pods: Obj[], scaleOf: ScaleLookup): number | undefined {
  const seen = new Map<string, number>();
  for (const pod of pods) {
    if (!controllerRef(pod)) return undefined;
    const scale = scaleOf(pod);
    if (!scale) return undefined;
    seen.set(scale.uid, scale.replicas);
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

/** How long an eviction's entry in status.disruptedPods holds a pod out of the count (k8s DeletionTimeout). */
export const DISRUPTION_TIMEOUT_MS = 2 * 60 * 1000;

/**
 * Entries the eviction API wrote in status.disruptedPods that still count: the pod exists, is not
 * being deleted yet, and the eviction is younger than DISRUPTION_TIMEOUT_MS.
 */
export function pendingDisruptions(pdb: Obj, pods: Obj[], now: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [podName, at] of Object.entries(rec(status(pdb).disruptedPods))) {
    const pod = pods.find((p) => p.metadata?.name === podName);
    const t = typeof at === 'string' ? Date.parse(at) : NaN;
    if (!pod || isDeleting(pod) || Number.isNaN(t) || t + DISRUPTION_TIMEOUT_MS <= now) continue;
    out[podName] = at as string;
  }
  return out;
}

export function pdbCounts(
  pdb: Obj,
  pods: Obj[],
  scaleOf: ScaleLookup,
  now = Date.now(),
): PdbCounts {
  const minAvailable = spec(pdb).minAvailable as IntOrString | undefined;
  const maxUnavailable = spec(pdb).maxUnavailable as IntOrString | undefined;
  const disrupted = pendingDisruptions(pdb, pods, now);
  // Pods an eviction was just granted for no longer count as healthy.
  const currentHealthy = pods.filter(
    (p) => isPodReady(p) && !isDeleting(p) && !Object.hasOwn(disrupted, p.metadata?.name ?? ''),
  ).length;
  let expectedPods = pods.length;
  let desiredHealthy = 0;
  if (maxUnavailable !== undefined) {
    expectedPods = expectedScale(pods, scaleOf) ?? pods.length;
    desiredHealthy = Math.max(0, expectedPods - scaledValue(maxUnavailable, expectedPods, true));
  } else if (typeof minAvailable === 'number') {
    desiredHealthy = minAvailable;
    expectedPods = pods.length;
  } else if (typeof minAvailable === 'string') {
    expectedPods = expectedScale(pods, scaleOf) ?? pods.length;
    desiredHealthy = scaledValue(minAvailable, expectedPods, true);
  } else {
    // Neither set: the API defaults minAvailable to 1.
    desiredHealthy = 1;
  }
  return {
    expectedPods,
    desiredHealthy,
    currentHealthy,
    disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy),
  };
}

export function pdbStatus(pdb: Obj, counts: PdbCounts, now: number, pods: Obj[] = []): Json {
  const allowed = counts.disruptionsAllowed > 0;
  const conds = setCondition(
    conditions(pdb),
    {
      type: 'DisruptionAllowed',
      status: allowed ? 'True' : 'False',
      reason: allowed ? 'SufficientPods' : 'InsufficientPods',
      message: '',
      observedGeneration: pdb.metadata?.generation ?? 0,
    },
    rfc3339(now),
  );
  return {
    ...status(pdb),
    disruptedPods: pendingDisruptions(pdb, pods, now),
    observedGeneration: pdb.metadata?.generation ?? 0,
    disruptionsAllowed: counts.disruptionsAllowed,
    currentHealthy: counts.currentHealthy,
    desiredHealthy: counts.desiredHealthy,
    expectedPods: counts.expectedPods,
    conditions: conds,
  };
}
