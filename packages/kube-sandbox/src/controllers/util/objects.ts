// Small readers over Kubernetes objects shared by the controllers.
import { selectorMatches as labelsMatch } from '../../builtin/selectors.ts';
import type { KubeObject, OwnerReference } from '../../core/types.ts';

export type Obj = KubeObject;
export type Json = Record<string, unknown>;

export function rec(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

export function arr(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

export function spec(obj: Obj): Json {
  return rec(obj.spec);
}

export function status(obj: Obj): Json {
  return rec(obj.status);
}

export function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function name(obj: Obj): string {
  return obj.metadata?.name ?? '';
}

export function namespace(obj: Obj): string {
  return obj.metadata?.namespace ?? '';
}

export function uid(obj: Obj): string {
  return obj.metadata?.uid ?? '';
}

export function isDeleting(obj: Obj): boolean {
  return obj.metadata?.deletionTimestamp !== undefined && obj.metadata.deletionTimestamp !== null;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

/** JSON with object keys sorted, so equal objects serialize equally whatever their key order. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Json)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

// ---------------------------------------------------------------- owners
export function controllerRef(obj: Obj): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

export function isControlledBy(obj: Obj, owner: Obj): boolean {
  return controllerRef(obj)?.uid === uid(owner) && uid(owner) !== '';
}

export function ownerReference(owner: Obj, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: name(owner),
    uid: uid(owner),
    controller: true,
    blockOwnerDeletion: true,
  };
}

// ---------------------------------------------------------------- label selectors
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** metav1.LabelSelector semantics: an empty selector matches everything, a missing one nothing. */
export function selectorMatches(
  selector: LabelSelector | undefined | null,
  labels: Record<string, string> | undefined,
): boolean {
  return !!selector && labelsMatch(selector, labels);
}

export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return (
    !selector ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 &&
      (selector.matchExpressions ?? []).length === 0)
  );
}

/** A Service's spec.selector (a plain map; empty or absent selects nothing). */
export function mapSelectorMatches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  const l = labels ?? {};
  return Object.entries(selector).every(([k, v]) => l[k] === v);
}

// ---------------------------------------------------------------- pods
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastProbeTime?: string | null;
  observedGeneration?: number;
}

export function conditions(obj: Obj): Condition[] {
  return arr(status(obj).conditions) as unknown as Condition[];
}

export function findCondition(obj: Obj, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

export function podPhase(pod: Obj): string {
  return str(status(pod).phase) ?? 'Pending';
}

export function isPodReady(pod: Obj): boolean {
  return findCondition(pod, 'Ready')?.status === 'True';
}

export function isPodTerminal(pod: Obj): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Counts towards a controller's replicas: not finished and not being deleted. */
export function isPodActive(pod: Obj): boolean {
  return !isPodTerminal(pod) && !isDeleting(pod);
}

/** Ready for at least minReadySeconds (k8s podutil.IsPodAvailable). */
export function isPodAvailable(pod: Obj, minReadySeconds: number, now: number): boolean {
  const ready = findCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** Milliseconds until a ready pod becomes available, or undefined if it is not ready / already is. */
export function msUntilAvailable(
  pod: Obj,
  minReadySeconds: number,
  now: number,
): number | undefined {
  const ready = findCondition(pod, 'Ready');
  if (ready?.status !== 'True' || minReadySeconds <= 0) return undefined;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  if (Number.isNaN(since)) return undefined;
  const left = since + minReadySeconds * 1000 - now;
  return left > 0 ? left : undefined;
}

export function creationTime(obj: Obj): number {
  const t = obj.metadata?.creationTimestamp ? Date.parse(obj.metadata.creationTimestamp) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** Sets or replaces a condition, keeping lastTransitionTime when the status does not change. */
export function setCondition(list: Condition[], next: Condition, nowIso: string): Condition[] {
  const existing = list.find((c) => c.type === next.type);
  const merged: Condition = {
    ...next,
    lastTransitionTime:
      existing && existing.status === next.status
        ? (existing.lastTransitionTime ?? nowIso)
        : nowIso,
  };
  if (
    existing &&
    existing.status === merged.status &&
    existing.reason === merged.reason &&
    existing.message === merged.message
  ) {
    return list;
  }
  return [...list.filter((c) => c.type !== next.type), merged];
}

export function minTimeout(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined && v >= 0);
  return defined.length ? Math.min(...defined) : undefined;
}

/** Drops zero numbers, like Go's omitempty on int32 status fields; `keep` names fields without omitempty. */
export function omitZeros(
  value: Record<string, unknown>,
  keep: string[] = [],
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).filter(([k, v]) => keep.includes(k) || (v !== 0 && v !== undefined)),
  );
}

/** Empty objects that mean something (a volume source) and must not be dropped. */
const MEANINGFUL_EMPTY = new Set(['emptyDir']);

/**
 * The JSON a Go client would consider the same typed value: nulls, empty lists and empty objects
 * dropped (k8s semantic equality treats nil and empty alike; kubectl sends
 * `creationTimestamp: null` and `resources: {}` where other clients send nothing).
 */
export function semanticNormalize(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => semanticNormalize(v)).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value as Json)) {
      const n = semanticNormalize(v, k);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length || MEANINGFUL_EMPTY.has(key) ? out : undefined;
  }
  return value === null ? undefined : value;
}
