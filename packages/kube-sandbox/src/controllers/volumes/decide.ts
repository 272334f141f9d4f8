// PersistentVolume decisions: the default StorageClass, which PV a claim binds to (an existing
// Available one, or a new one the local-path provisioner makes), and what happens to a PV whose
// claim is gone (reclaimPolicy Delete or Retain).
import {
  arr,
  isDeleting,
  name,
  namespace,
  rec,
  spec,
  status,
  str,
  uid,
  type Json,
  type Obj,
} from '../util/objects.ts';
import { parseQuantity } from '../../builtin/quantity.ts';

export const PROVISIONER = 'opsmith.io/local-path';
export const DEFAULT_CLASS = 'standard';
export const IS_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
export const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';

export function defaultStorageClass(): Obj {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: DEFAULT_CLASS, annotations: { [IS_DEFAULT_CLASS]: 'true' } },
    provisioner: PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  };
}

export function findDefaultClass(classes: Obj[]): Obj | undefined {
  return classes
    .filter((c) => c.metadata?.annotations?.[IS_DEFAULT_CLASS] === 'true')
    .sort((a, b) =>
      (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? ''),
    )[0];
}

/** A storage size in bytes; 0 when it is not a quantity (such a claim matches nothing). */
export function storageBytes(q: unknown): number {
  return parseQuantity(q) ?? 0;
}

export function requestedStorage(pvc: Obj): string {
  return str(rec(rec(spec(pvc).resources).requests).storage) ?? '1Gi';
}

function accessModes(obj: Obj): string[] {
  return (arr(spec(obj).accessModes) as unknown as string[]).filter((m) => typeof m === 'string');
}

/** Available PVs that can satisfy the claim (class, modes, size), smallest first. */
export function matchingVolume(pvc: Obj, pvs: Obj[], className: string): Obj | undefined {
  const wanted = storageBytes(requestedStorage(pvc));
  const modes = accessModes(pvc);
  return pvs
    .filter((pv) => !isDeleting(pv))
    .filter((pv) => {
      const ref = rec(spec(pv).claimRef);
      if (ref.name === undefined) return true;
      return (
        ref.name === name(pvc) &&
        ref.namespace === namespace(pvc) &&
        (!ref.uid || ref.uid === uid(pvc))
      );
    })
    .filter(
      (pv) =>
        (str(status(pv).phase) ?? 'Available') === 'Available' || status(pv).phase === 'Pending',
    )
    .filter((pv) => (str(spec(pv).storageClassName) ?? '') === className)
    .filter((pv) => modes.every((m) => accessModes(pv).includes(m)))
    .filter((pv) => storageBytes(rec(spec(pv).capacity).storage) >= wanted)
    .sort(
      (a, b) =>
        storageBytes(rec(spec(a).capacity).storage) - storageBytes(rec(spec(b).capacity).storage),
    )[0];
}

export function claimRef(pvc: Obj): Json {
  return {
    kind: 'PersistentVolumeClaim',
    namespace: namespace(pvc),
    name: name(pvc),
    uid: uid(pvc),
    apiVersion: 'v1',
    ...(pvc.metadata?.resourceVersion ? { resourceVersion: pvc.metadata.resourceVersion } : {}),
  };
}

export function provisionedVolumeName(pvc: Obj): string {
  return `pvc-${uid(pvc)}`;
}

export function provisionedVolume(pvc: Obj, storageClass: Obj, path: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: provisionedVolumeName(pvc),
      annotations: { [PROVISIONED_BY]: str(storageClass.provisioner) ?? PROVISIONER },
    },
    spec: {
      capacity: { storage: requestedStorage(pvc) },
      accessModes: accessModes(pvc).length ? accessModes(pvc) : ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: str(storageClass.reclaimPolicy) ?? 'Delete',
      storageClassName: name(storageClass),
      volumeMode: str(spec(pvc).volumeMode) ?? 'Filesystem',
      hostPath: { path, type: 'DirectoryOrCreate' },
      claimRef: claimRef(pvc),
    },
  };
}

export function boundClaimStatus(pvc: Obj, pv: Obj): Json {
  return {
    ...status(pvc),
    phase: 'Bound',
    accessModes: arr(spec(pv).accessModes),
    capacity: rec(spec(pv).capacity),
  };
}

/** What to do with a PV whose claim no longer exists. */
export function reclaimAction(
  pv: Obj,
  claim: Obj | undefined,
): 'none' | 'delete' | 'release' | 'bound' | 'available' {
  const ref = rec(spec(pv).claimRef);
  if (ref.name === undefined) return 'available';
  const claimGone =
    !claim || (typeof ref.uid === 'string' && ref.uid !== '' && uid(claim) !== ref.uid);
  if (!claimGone) return 'bound';
  if (str(spec(pv).persistentVolumeReclaimPolicy) === 'Delete') return 'delete';
  return status(pv).phase === 'Released' ? 'none' : 'release';
}
