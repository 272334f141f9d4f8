import type { KubeClient } from './client.ts';
import type { KubeObject, TypeRef } from './types.ts';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** The JSON patch that adds a finalizer, guarded by a resourceVersion test (pure). */
export function addFinalizerPatch(obj: KubeObject, finalizer: string): unknown[] | undefined {
  if (hasFinalizer(obj, finalizer)) return undefined;
  const m = obj.metadata ?? {};
  const guard = { op: 'test', path: '/metadata/resourceVersion', value: m.resourceVersion };
  return m.finalizers
    ? [guard, { op: 'add', path: '/metadata/finalizers/-', value: finalizer }]
    : [guard, { op: 'add', path: '/metadata/finalizers', value: [finalizer] }];
}

/** The JSON patch that removes exactly that finalizer: a test op pins its index (pure). */
export function removeFinalizerPatch(obj: KubeObject, finalizer: string): unknown[] | undefined {
  const i = obj.metadata?.finalizers?.indexOf(finalizer) ?? -1;
  if (i < 0) return undefined;
  const path = `/metadata/finalizers/${i}`;
  return [
    { op: 'test', path, value: finalizer },
    { op: 'remove', path },
  ];
}

function typeOf(obj: KubeObject): TypeRef {
  return { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '' };
}

/**
 * Adds the finalizer unless present. A concurrent change fails the test op (422/409), so the
 * reconcile retries with a fresh object instead of clobbering others' finalizers.
 */
export async function addFinalizer<T extends KubeObject>(
  client: KubeClient,
  obj: T,
  finalizer: string,
): Promise<T> {
  const patch = addFinalizerPatch(obj, finalizer);
  if (!patch) return obj;
  const m = obj.metadata ?? {};
  return client.patch<T>(typeOf(obj), m.name ?? '', m.namespace, 'json', patch);
}

export async function removeFinalizer<T extends KubeObject>(
  client: KubeClient,
  obj: T,
  finalizer: string,
): Promise<T> {
  const patch = removeFinalizerPatch(obj, finalizer);
  if (!patch) return obj;
  const m = obj.metadata ?? {};
  return client.patch<T>(typeOf(obj), m.name ?? '', m.namespace, 'json', patch);
}
