import type { KubeClient } from './client.ts';
import { isNotFound } from './errors.ts';
import type { KubeObject, TypeRef, UnknownObject } from './types.ts';

/**
 * Whether every field of `desired` is present with the same value in `live` (extra fields in live,
 * such as defaults and status, do not count). Arrays must match element-wise. Pure.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      desired.length === live.length &&
      desired.every((d, i) => isSubset(d, live[i]))
    );
  }
  if (desired && typeof desired === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(desired).every(([k, v]) =>
      v === undefined ? true : isSubset(v, (live as Record<string, unknown>)[k]),
    );
  }
  return false;
}

/** Fields of a desired object compared for drift (metadata is limited to labels/annotations). */
function driftView(obj: KubeObject): Record<string, unknown> {
  const { metadata, apiVersion: _a, kind: _k, status: _s, ...rest } = obj as UnknownObject;
  return {
    ...rest,
    metadata: {
      labels: metadata?.labels,
      annotations: metadata?.annotations,
      ownerReferences: metadata?.ownerReferences,
    },
  };
}

export function hasDrifted(desired: KubeObject, live: KubeObject | undefined): boolean {
  return !live || !isSubset(driftView(desired), live);
}

export type ChildResult<T> = { operation: 'created' | 'updated' | 'unchanged'; object: T };

/**
 * Server-side applies a child object only when the live one (from the cache, or fetched) has
 * drifted from what we want: no write, no new resourceVersion and no event storm otherwise.
 */
export async function applyChild<T extends KubeObject>(
  client: KubeClient,
  desired: T,
  live?: T,
): Promise<ChildResult<T>> {
  const m = desired.metadata ?? {};
  const type: TypeRef = { apiVersion: desired.apiVersion ?? '', kind: desired.kind ?? '' };
  let current = live;
  if (current === undefined) {
    try {
      current = await client.get<T>(type, m.name ?? '', m.namespace);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  if (current && !hasDrifted(desired, current)) return { operation: 'unchanged', object: current };
  const object = await client.apply(desired, { force: true });
  return { operation: current ? 'updated' : 'created', object };
}

/**
 * controllerutil.CreateOrUpdate: get, let `mutate` set the wanted state, then create or update
 * (with the read resourceVersion, so a concurrent change conflicts) only if something changed.
 */
export async function createOrUpdate<T extends KubeObject>(
  client: KubeClient,
  obj: T,
  mutate: (obj: T) => void,
): Promise<ChildResult<T>> {
  const m = obj.metadata ?? {};
  const type: TypeRef = { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '' };
  let current: T | undefined;
  try {
    current = await client.get<T>(type, m.name ?? '', m.namespace);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (!current) {
    const fresh = structuredClone(obj);
    mutate(fresh);
    return { operation: 'created', object: await client.create(fresh) };
  }
  const next = structuredClone(current);
  mutate(next);
  if (JSON.stringify(next) === JSON.stringify(current))
    return { operation: 'unchanged', object: current };
  return { operation: 'updated', object: await client.update(next) };
}
