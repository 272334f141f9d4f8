// DaemonSet decisions: one pod per eligible node, replaced on template change (RollingUpdate with
// maxUnavailable, or OnDelete), and the status counters.
import { templateHash } from '../util/hash.ts';
import { scaledValue, type IntOrString } from '../util/intstr.ts';
import {
  clone,
  isDeleting,
  isPodAvailable,
  isPodReady,
  isPodTerminal,
  name,
  namespace,
  num,
  omitZeros,
  ownerReference,
  rec,
  spec,
  str,
  type Json,
  type Obj,
} from '../util/objects.ts';
import { podFromTemplate } from '../util/pods.ts';

export const DS_REVISION_LABEL = 'controller-revision-hash';
export const DS_GENERATION_LABEL = 'pod-template-generation';

export interface DaemonSetPlan {
  createPods: Obj[];
  deletePods: Obj[];
  status: Json;
}

/** The tolerations the DaemonSet controller adds so its pods survive node conditions. */
const DAEMON_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

export function daemonRevision(ds: Obj): string {
  return templateHash(spec(ds).template, num(rec(ds.status).collisionCount, 0));
}

export function nodeWanted(ds: Obj, node: Obj): boolean {
  const selector = rec(rec(rec(spec(ds).template).spec).nodeSelector) as Record<string, string>;
  const labels = node.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function daemonPod(ds: Obj, nodeName: string): Obj {
  const pod = podFromTemplate({
    template: rec(spec(ds).template),
    namespace: namespace(ds),
    generateName: `${name(ds)}-`,
    owner: ownerReference(ds, 'apps/v1', 'DaemonSet'),
    extraLabels: {
      [DS_REVISION_LABEL]: daemonRevision(ds),
      [DS_GENERATION_LABEL]: String(ds.metadata?.generation ?? 1),
    },
  });
  const podSpec = rec(pod.spec);
  podSpec.nodeName = nodeName;
  const tolerations = [
    ...(Array.isArray(podSpec.tolerations) ? (clone(podSpec.tolerations) as Json[]) : []),
  ];
  for (const t of DAEMON_TOLERATIONS)
    if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
  podSpec.tolerations = tolerations;
  return pod;
}

export function decideDaemonSet(ds: Obj, nodes: Obj[], pods: Obj[], now: number): DaemonSetPlan {
  const plan: DaemonSetPlan = { createPods: [], deletePods: [], status: {} };
  const revision = daemonRevision(ds);
  const minReadySeconds = num(spec(ds).minReadySeconds, 0);
  const wanted = nodes.filter((n) => nodeWanted(ds, n));
  const wantedNames = new Set(wanted.map(name));
  const onNode = (n: string) => pods.filter((p) => str(rec(p.spec).nodeName) === n);
  const strategy = rec(spec(ds).updateStrategy);
  const rolling = (str(strategy.type) ?? 'RollingUpdate') === 'RollingUpdate';
  const maxUnavailable = scaledValue(
    (rec(strategy.rollingUpdate).maxUnavailable as IntOrString | undefined) ?? 1,
    wanted.length,
    true,
  );

  let scheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  let unavailable = 0;
  const outdated: Obj[] = [];
  for (const node of wanted) {
    const nodePods = onNode(name(node));
    const live = nodePods.filter((p) => !isPodTerminal(p) && !isDeleting(p));
    for (const p of nodePods) if (isPodTerminal(p) && !isDeleting(p)) plan.deletePods.push(p);
    if (nodePods.some((p) => !isDeleting(p))) scheduled++;
    if (live.length === 0) {
      if (!isDeleting(ds) && !nodePods.some(isDeleting))
        plan.createPods.push(daemonPod(ds, name(node)));
      unavailable++;
      continue;
    }
    // Keep the newest updated pod, else the oldest; extras go.
    const sorted = [...live].sort(
      (a, b) => Number(podRev(b) === revision) - Number(podRev(a) === revision),
    );
    const keep = sorted[0];
    plan.deletePods.push(...sorted.slice(1));
    if (podRev(keep) === revision) updated++;
    else outdated.push(keep);
    if (isPodReady(keep)) ready++;
    if (isPodAvailable(keep, minReadySeconds, now)) available++;
    else unavailable++;
  }
  const misscheduled = pods.filter(
    (p) => !wantedNames.has(str(rec(p.spec).nodeName) ?? '') && !isDeleting(p),
  );
  plan.deletePods.push(...misscheduled);

  if (rolling && !isDeleting(ds)) {
    // Replace outdated pods while staying within maxUnavailable; unavailable outdated pods first.
    const ordered = [...outdated].sort(
      (a, b) =>
        Number(isPodAvailable(a, minReadySeconds, now)) -
        Number(isPodAvailable(b, minReadySeconds, now)),
    );
    let budget = maxUnavailable - unavailable;
    for (const p of ordered) {
      if (!isPodAvailable(p, minReadySeconds, now)) plan.deletePods.push(p);
      else if (budget > 0) {
        plan.deletePods.push(p);
        budget--;
      }
    }
  }

  plan.status = omitZeros(
    {
      ...(rec(ds.status).conditions ? { conditions: rec(ds.status).conditions } : {}),
      currentNumberScheduled: scheduled,
      numberMisscheduled: misscheduled.length,
      desiredNumberScheduled: wanted.length,
      numberReady: ready,
      observedGeneration: ds.metadata?.generation ?? 0,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: unavailable,
      ...(rec(ds.status).collisionCount !== undefined
        ? { collisionCount: rec(ds.status).collisionCount }
        : {}),
    },
    ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'],
  );
  return plan;
}

function podRev(pod: Obj): string | undefined {
  return pod.metadata?.labels?.[DS_REVISION_LABEL];
}
