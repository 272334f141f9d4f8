// StatefulSet decisions: which ordinal to create, delete or replace next (OrderedReady or
// Parallel, RollingUpdate with partition or OnDelete), the PVCs and their retention ownerRefs, and
// the status to report.
import type { OwnerReference } from '../../core/types.ts';
import { templateHash } from '../util/hash.ts';
import {
  arr,
  clone,
  isDeleting,
  isPodAvailable,
  isPodReady,
  isPodTerminal,
  minTimeout,
  msUntilAvailable,
  name,
  namespace,
  num,
  omitZeros,
  ownerReference,
  podPhase,
  rec,
  spec,
  status,
  str,
  uid,
  type Json,
  type Obj,
} from '../util/objects.ts';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const REVISION_LABEL = 'controller-revision-hash';

export interface StatefulSetObservation {
  set: Obj;
  /** Pods controlled by the set. */
  pods: Obj[];
  /** PVCs in the set's namespace, by name. */
  claims: Map<string, Obj>;
  /** Pod templates by revision name, for recreating pods below the partition at the old revision. */
  templates: Map<string, Json>;
  now: number;
}

export interface ClaimOwnerUpdate {
  claim: Obj;
  ownerReferences: OwnerReference[];
}

export interface StatefulSetPlan {
  claimOwnerUpdates: ClaimOwnerUpdate[];
  createClaims: Obj[];
  createPods: Obj[];
  deletePods: Obj[];
  status: Json;
  requeueAfterMs?: number;
}

/** "<set>-<ordinal>" -> ordinal, or undefined for names that are not the set's. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  const m = /^(.*)-(\d+)$/.exec(podName);
  if (!m || m[1] !== setName) return undefined;
  return Number(m[2]);
}

export function updateRevisionOf(set: Obj): string {
  return `${name(set)}-${templateHash(spec(set).template, num(status(set).collisionCount, 0))}`;
}

export function podRevision(pod: Obj): string | undefined {
  return pod.metadata?.labels?.[REVISION_LABEL];
}

export function isRunningAndReady(pod: Obj): boolean {
  return podPhase(pod) === 'Running' && isPodReady(pod);
}

function isHealthy(pod: Obj): boolean {
  return isRunningAndReady(pod) && !isDeleting(pod);
}

export function claimName(templateName: string, setName: string, ordinal: number): string {
  return `${templateName}-${setName}-${ordinal}`;
}

function claimTemplates(set: Obj): Json[] {
  return arr(spec(set).volumeClaimTemplates);
}

function retention(set: Obj): { whenDeleted: string; whenScaled: string } {
  const p = rec(spec(set).persistentVolumeClaimRetentionPolicy);
  return { whenDeleted: str(p.whenDeleted) ?? 'Retain', whenScaled: str(p.whenScaled) ?? 'Retain' };
}

/** The ownerRefs a claim should carry: the set when whenDeleted=Delete, the pod when condemned and whenScaled=Delete. */
export function desiredClaimOwners(
  set: Obj,
  claim: Obj,
  pod: Obj | undefined,
  condemned: boolean,
): OwnerReference[] {
  const policy = retention(set);
  const refs = (claim.metadata?.ownerReferences ?? []).filter(
    (r) => r.uid !== uid(set) && !(r.kind === 'Pod' && pod && r.uid === uid(pod)),
  );
  if (policy.whenDeleted === 'Delete') refs.push(ownerReference(set, 'apps/v1', 'StatefulSet'));
  if (policy.whenScaled === 'Delete' && condemned && pod) {
    refs.push({
      apiVersion: 'v1',
      kind: 'Pod',
      name: name(pod),
      uid: uid(pod),
      blockOwnerDeletion: true,
    });
  }
  return refs;
}

function sameOwners(a: OwnerReference[] | undefined, b: OwnerReference[]): boolean {
  const key = (r: OwnerReference[]) =>
    r
      .map((x) => x.uid)
      .sort()
      .join(',');
  return key(a ?? []) === key(b);
}

export function newClaim(set: Obj, template: Json, ordinal: number): Obj {
  const meta = rec(template.metadata);
  const selectorLabels = rec(rec(spec(set).selector).matchLabels) as Record<string, string>;
  const owners = desiredClaimOwners(set, { metadata: {} }, undefined, false);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(str(meta.name) ?? '', name(set), ordinal),
      namespace: namespace(set),
      labels: { ...(rec(meta.labels) as Record<string, string>), ...selectorLabels },
      ...(meta.annotations
        ? { annotations: clone(meta.annotations as Record<string, string>) }
        : {}),
      ...(owners.length ? { ownerReferences: owners } : {}),
    },
    spec: clone(rec(template.spec)),
  };
}

export function newPod(set: Obj, template: Json, revision: string, ordinal: number): Obj {
  const podName = `${name(set)}-${ordinal}`;
  const meta = rec(template.metadata);
  const podSpec = clone(rec(template.spec));
  podSpec.hostname = podName;
  const serviceName = str(spec(set).serviceName);
  if (serviceName) podSpec.subdomain = serviceName;
  const volumes = arr(podSpec.volumes);
  for (const t of claimTemplates(set)) {
    const volName = str(rec(t.metadata).name) ?? '';
    const volume = {
      name: volName,
      persistentVolumeClaim: { claimName: claimName(volName, name(set), ordinal) },
    };
    const i = volumes.findIndex((v) => v.name === volName);
    if (i >= 0) volumes[i] = volume;
    else volumes.push(volume);
  }
  if (volumes.length) podSpec.volumes = volumes;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName,
      namespace: namespace(set),
      labels: {
        ...(rec(meta.labels) as Record<string, string>),
        [POD_NAME_LABEL]: podName,
        [POD_INDEX_LABEL]: String(ordinal),
        [REVISION_LABEL]: revision,
      },
      ...(meta.annotations
        ? { annotations: clone(meta.annotations as Record<string, string>) }
        : {}),
      ownerReferences: [ownerReference(set, 'apps/v1', 'StatefulSet')],
    },
    spec: podSpec,
  };
}

function strategy(set: Obj): { type: string; partition: number } {
  const s = rec(spec(set).updateStrategy);
  return {
    type: str(s.type) ?? 'RollingUpdate',
    partition: num(rec(s.rollingUpdate).partition, 0),
  };
}

export function decideStatefulSet(o: StatefulSetObservation): StatefulSetPlan {
  const set = o.set;
  const setName = name(set);
  const replicaCount = num(spec(set).replicas, 1);
  const start = num(rec(spec(set).ordinals).start, 0);
  const monotonic = str(spec(set).podManagementPolicy) !== 'Parallel';
  const updateRevision = updateRevisionOf(set);
  const currentRevision = str(status(set).currentRevision) || updateRevision;
  const { type: updateType, partition } = strategy(set);
  const plan: StatefulSetPlan = {
    claimOwnerUpdates: [],
    createClaims: [],
    createPods: [],
    deletePods: [],
    status: {},
  };

  const byOrdinal = new Map<number, Obj>();
  for (const pod of o.pods) {
    const ord = ordinalOf(setName, name(pod));
    if (ord !== undefined) byOrdinal.set(ord, pod);
  }
  const inRange = (ord: number) => ord >= start && ord < start + replicaCount;
  const condemned = [...byOrdinal.keys()].filter((ord) => !inRange(ord)).sort((a, b) => b - a);

  plan.status = statefulSetStatus(o, byOrdinal, currentRevision, updateRevision);
  plan.requeueAfterMs = minTimeout(
    ...o.pods.map((p) => msUntilAvailable(p, num(spec(set).minReadySeconds, 0), o.now)),
  );
  if (isDeleting(set)) return plan;

  // Retention ownerRefs first, so a condemned pod's claims are owned before the pod goes.
  for (const [ord, pod] of byOrdinal) {
    for (const t of claimTemplates(set)) {
      const claim = o.claims.get(claimName(str(rec(t.metadata).name) ?? '', setName, ord));
      if (!claim || isDeleting(claim)) continue;
      const refs = desiredClaimOwners(set, claim, pod, !inRange(ord));
      if (!sameOwners(claim.metadata?.ownerReferences, refs))
        plan.claimOwnerUpdates.push({ claim, ownerReferences: refs });
    }
  }

  const templateFor = (revision: string): Json => {
    if (revision === updateRevision) return rec(spec(set).template);
    const known = o.templates.get(revision);
    if (known) return known;
    const sibling = o.pods.find((p) => podRevision(p) === revision);
    return sibling ? templateFromPod(sibling) : rec(spec(set).template);
  };
  const revisionForNew = (ord: number) =>
    updateType === 'RollingUpdate' &&
    ord < partition &&
    templateKnown(o, currentRevision, updateRevision)
      ? currentRevision
      : updateRevision;

  // 1. Every ordinal in range exists and is healthy, in order unless Parallel.
  for (let ord = start; ord < start + replicaCount; ord++) {
    const pod = byOrdinal.get(ord);
    if (!pod) {
      const missing = missingClaims(o, set, ord);
      if (missing.some((c) => c === 'terminating')) {
        if (monotonic) return plan;
        continue;
      }
      plan.createClaims.push(...(missing as Obj[]));
      const revision = revisionForNew(ord);
      plan.createPods.push(newPod(set, templateFor(revision), revision, ord));
      if (monotonic) return plan;
      continue;
    }
    if (isPodTerminal(pod) && !isDeleting(pod)) {
      plan.deletePods.push(pod); // failed or finished: replace it under the same name
      if (monotonic) return plan;
      continue;
    }
    const missing = missingClaims(o, set, ord).filter((c): c is Obj => c !== 'terminating');
    plan.createClaims.push(...missing);
    if (monotonic && !isHealthy(pod)) return plan;
  }

  // 2. Condemned ordinals go from the highest down, one at a time unless Parallel.
  const inRangeOrdinals = [...byOrdinal.keys()].filter(inRange).sort((a, b) => a - b);
  const firstUnhealthy = [...inRangeOrdinals, ...condemned]
    .map((ord) => byOrdinal.get(ord))
    .find((p) => p && !isHealthy(p));
  for (const ord of condemned) {
    const pod = byOrdinal.get(ord);
    if (!pod) continue;
    if (isDeleting(pod)) {
      if (monotonic) return plan;
      continue;
    }
    if (monotonic && !isHealthy(pod) && pod !== firstUnhealthy) return plan;
    plan.deletePods.push(pod);
    if (monotonic) return plan;
  }

  // 3. RollingUpdate: replace from the highest ordinal down to the partition, one healthy step at a time.
  if (updateType === 'RollingUpdate') {
    for (let ord = start + replicaCount - 1; ord >= Math.max(start, partition); ord--) {
      const pod = byOrdinal.get(ord);
      if (!pod) return plan;
      if (podRevision(pod) !== updateRevision && !isDeleting(pod)) {
        plan.deletePods.push(pod);
        return plan;
      }
      if (!isHealthy(pod)) return plan;
    }
  }
  return plan;
}

function templateKnown(
  o: StatefulSetObservation,
  revision: string,
  updateRevision: string,
): boolean {
  return (
    revision === updateRevision ||
    o.templates.has(revision) ||
    o.pods.some((p) => podRevision(p) === revision)
  );
}

function stripIdentity(labels: Record<string, string> | undefined): Record<string, string> {
  const out = { ...labels };
  delete out[POD_NAME_LABEL];
  delete out[POD_INDEX_LABEL];
  delete out[REVISION_LABEL];
  return out;
}

/** Claims an ordinal needs that do not exist yet; 'terminating' where one is still being deleted. */
function missingClaims(o: StatefulSetObservation, set: Obj, ord: number): (Obj | 'terminating')[] {
  const out: (Obj | 'terminating')[] = [];
  for (const t of claimTemplates(set)) {
    const existing = o.claims.get(claimName(str(rec(t.metadata).name) ?? '', name(set), ord));
    if (!existing) out.push(newClaim(set, t, ord));
    else if (isDeleting(existing)) out.push('terminating');
  }
  return out;
}

function statefulSetStatus(
  o: StatefulSetObservation,
  byOrdinal: Map<number, Obj>,
  currentRevisionIn: string,
  updateRevision: string,
): Json {
  const set = o.set;
  const minReadySeconds = num(spec(set).minReadySeconds, 0);
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let current = 0;
  let updated = 0;
  let currentRevision = currentRevisionIn;
  for (const pod of byOrdinal.values()) {
    replicas++;
    if (isRunningAndReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, o.now)) available++;
    }
    if (!isDeleting(pod)) {
      if (podRevision(pod) === currentRevision) current++;
      if (podRevision(pod) === updateRevision) updated++;
    }
  }
  const { type } = strategy(set);
  // A finished RollingUpdate makes the update revision current (k8s completeRollingUpdate).
  if (type === 'RollingUpdate' && updated === replicas && ready === replicas) {
    currentRevision = updateRevision;
    current = updated;
  }
  const prev = status(set);
  return omitZeros(
    {
      ...(prev.conditions ? { conditions: prev.conditions } : {}),
      observedGeneration: set.metadata?.generation ?? 0,
      replicas,
      readyReplicas: ready,
      currentReplicas: current,
      updatedReplicas: updated,
      availableReplicas: available,
      currentRevision,
      updateRevision,
      collisionCount: num(prev.collisionCount, 0),
    },
    ['replicas', 'availableReplicas', 'collisionCount'],
  );
}

/**
 * A pod template recovered from a pod of that revision (after a restart, without
 * ControllerRevisions): what the scheduler, admission and the controller added is taken out.
 */
export function templateFromPod(pod: Obj): Json {
  const podSpec = clone(rec(pod.spec));
  delete podSpec.nodeName;
  delete podSpec.hostname;
  delete podSpec.subdomain;
  const injected = (name: unknown) =>
    typeof name === 'string' && name.startsWith('kube-api-access-');
  const volumes = arr(podSpec.volumes).filter((v) => !injected(v.name));
  if (volumes.length) podSpec.volumes = volumes;
  else delete podSpec.volumes;
  for (const key of ['initContainers', 'containers']) {
    for (const c of arr(podSpec[key])) {
      const mounts = arr(c.volumeMounts).filter((m) => !injected(m.name));
      if (mounts.length) c.volumeMounts = mounts;
      else delete c.volumeMounts;
    }
  }
  const annotations = pod.metadata?.annotations;
  return {
    metadata: {
      labels: stripIdentity(pod.metadata?.labels),
      ...(annotations ? { annotations: clone(annotations) } : {}),
    },
    spec: podSpec,
  };
}
