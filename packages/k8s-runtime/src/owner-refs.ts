import type { KubeObject, OwnerReference } from './types.ts';

function refTo(owner: KubeObject, controller: boolean): OwnerReference {
  const m = owner.metadata ?? {};
  if (!owner.apiVersion || !owner.kind || !m.name || !m.uid)
    throw new Error('owner needs apiVersion, kind, metadata.name and metadata.uid');
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: m.name,
    uid: m.uid,
    ...(controller ? { controller: true, blockOwnerDeletion: true } : {}),
  };
}

/**
 * Makes `owner` the controller of `obj` (garbage collection + Owns() routing). Throws when another
 * controller already owns it, as controllerutil.SetControllerReference does. Mutates and returns obj.
 */
export function setControllerReference<T extends KubeObject>(owner: KubeObject, obj: T): T {
  if (
    owner.metadata?.namespace &&
    obj.metadata?.namespace &&
    owner.metadata.namespace !== obj.metadata.namespace
  )
    throw new Error('cross-namespace owner references are not allowed');
  const ref = refTo(owner, true);
  const meta = (obj.metadata ??= {});
  const refs = meta.ownerReferences ?? [];
  const other = refs.find((r) => r.controller && r.uid !== ref.uid);
  if (other)
    throw new Error(
      `${obj.kind} ${meta.name} is already controlled by ${other.kind} ${other.name}`,
    );
  meta.ownerReferences = [...refs.filter((r) => r.uid !== ref.uid), ref];
  return obj;
}

/** Adds a non-controller owner reference (idempotent). Mutates and returns obj. */
export function setOwnerReference<T extends KubeObject>(owner: KubeObject, obj: T): T {
  const ref = refTo(owner, false);
  const meta = (obj.metadata ??= {});
  const refs = meta.ownerReferences ?? [];
  if (!refs.some((r) => r.uid === ref.uid)) meta.ownerReferences = [...refs, ref];
  return obj;
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return !!obj.metadata?.ownerReferences?.some(
    (r) => r.controller && r.uid === owner.metadata?.uid,
  );
}
