// Volume controller: the default StorageClass, PV provisioning into <dataDir>/volumes/<pv> for the
// local-path provisioner, two-way binding, reclaiming (Delete removes PV and directory; Retain
// leaves a Released PV), and the pvc-/pv-protection finalizers.
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { GroupVersionResource, KubeObject } from '../../core/types.ts';
import { GVR } from '../gvr.ts';
import {
  createIfAbsent,
  deleteIfExists,
  newQueue,
  recorder,
  writeStatus,
  type Controller,
  type ControllerContext,
} from '../runtime/context.ts';
import { objectKey } from '../runtime/informer.ts';
import {
  arr,
  isDeleting,
  isPodTerminal,
  name,
  namespace,
  rec,
  spec,
  status,
  str,
  uid,
  type Obj,
} from '../util/objects.ts';
import {
  BETA_STORAGE_PROVISIONER,
  BIND_COMPLETED,
  BOUND_BY_CONTROLLER,
  boundClaimStatus,
  claimRef,
  defaultStorageClass,
  findDefaultClass,
  matchingVolume,
  PROVISIONED_BY,
  PROVISIONER,
  provisionedVolume,
  provisionedVolumeName,
  reclaimAction,
  STORAGE_PROVISIONER,
} from './decide.ts';

const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
const PV_PROTECTION = 'kubernetes.io/pv-protection';

export function volumeController(ctx: ControllerContext): Controller {
  const claims = ctx.informers.for(GVR.persistentVolumeClaims);
  const volumes = ctx.informers.for(GVR.persistentVolumes);
  const classes = ctx.informers.for(GVR.storageClasses);
  const pods = ctx.informers.for(GVR.pods);
  const queue = newQueue(ctx, 'volumes', reconcile);
  const events = recorder(ctx, PROVISIONER, 'v1', 'PersistentVolumeClaim');
  const root = ctx.dataDir ? resolve(ctx.dataDir, 'volumes') : undefined;

  claims.onEvent((_t, pvc) => {
    queue.add(`pvc:${objectKey(pvc)}`);
    const vol = str(spec(pvc).volumeName);
    if (vol) queue.add(`pv:${vol}`);
  });
  volumes.onEvent((_t, pv) => {
    queue.add(`pv:${name(pv)}`);
    const ref = rec(spec(pv).claimRef);
    if (typeof ref.name === 'string') queue.add(`pvc:${String(ref.namespace)}/${ref.name}`);
  });
  classes.onEvent(() => {
    for (const pvc of claims.list()) if (!spec(pvc).volumeName) queue.add(`pvc:${objectKey(pvc)}`);
  });
  // A new pod may be the first consumer a WaitForFirstConsumer claim waits for; a pod going away
  // may release a claim held by the pvc-protection finalizer.
  pods.onEvent((type, pod) => {
    if (type === 'MODIFIED' && !isPodTerminal(pod)) return;
    for (const v of arr(rec(pod.spec).volumes)) {
      const claimName = str(rec(v.persistentVolumeClaim).claimName);
      if (claimName) queue.add(`pvc:${namespace(pod)}/${claimName}`);
    }
  });

  async function reconcile(key: string) {
    if (key === 'class:default') return ensureDefaultClass();
    if (key.startsWith('pv:')) return reconcileVolume(key.slice(3));
    const rest = key.slice(4);
    const i = rest.indexOf('/');
    return reconcileClaim(rest.slice(0, i), rest.slice(i + 1));
  }

  async function ensureDefaultClass() {
    if (classes.get(undefined, 'standard')) return;
    const created = await createIfAbsent(ctx.client, GVR.storageClasses, defaultStorageClass());
    if (created) await classes.waitForWrite(created);
  }

  function claimInUse(pvc: Obj): boolean {
    return pods
      .list(namespace(pvc))
      .some(
        (p) =>
          !isPodTerminal(p) &&
          arr(rec(p.spec).volumes).some(
            (v) => rec(v.persistentVolumeClaim).claimName === name(pvc),
          ),
      );
  }

  async function dropFinalizer(gvr: GroupVersionResource, obj: Obj, finalizer: string) {
    const finalizers = (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
    await ctx.client.patch(gvr, obj.metadata?.namespace, name(obj), 'merge', {
      metadata: { finalizers, resourceVersion: obj.metadata?.resourceVersion },
    });
  }

  async function reconcileClaim(ns: string, claimName: string) {
    const pvc = claims.get(ns, claimName);
    if (!pvc) return;
    if (isDeleting(pvc)) {
      if (pvc.metadata?.finalizers?.includes(PVC_PROTECTION) && !claimInUse(pvc)) {
        await dropFinalizer(GVR.persistentVolumeClaims, pvc, PVC_PROTECTION);
      }
      return;
    }
    const boundName = str(spec(pvc).volumeName);
    if (boundName) {
      const pv = volumes.get(undefined, boundName);
      if (!pv) {
        await writeStatus(ctx.client, GVR.persistentVolumeClaims, pvc, {
          ...status(pvc),
          phase: 'Lost',
        });
        return;
      }
      const ref = rec(spec(pv).claimRef);
      if (ref.uid !== undefined && ref.uid !== uid(pvc)) return; // the PV belongs to someone else
      if (ref.name === undefined) {
        await ctx.client.patch(GVR.persistentVolumes, undefined, boundName, 'merge', {
          spec: { claimRef: claimRef(pvc) },
        });
        return;
      }
      await writeStatus(ctx.client, GVR.persistentVolumeClaims, pvc, boundClaimStatus(pvc, pv));
      return;
    }

    const className = str(spec(pvc).storageClassName);
    if (className === undefined) {
      const def = findDefaultClass(classes.list());
      if (!def) return setPending(pvc);
      // Retroactive default StorageClass: the class is set on the claim first (the server allows
      // that once on a claim without one), then the next pass provisions from it. Any error,
      // a 409 included, is retried by the queue with backoff.
      const updated = await ctx.client.patch(GVR.persistentVolumeClaims, ns, claimName, 'merge', {
        spec: { storageClassName: name(def) },
        metadata: { resourceVersion: pvc.metadata?.resourceVersion },
      });
      await claims.waitForWrite(updated);
      return { requeueAfterMs: 0 };
    }

    const storageClass = className === '' ? undefined : classes.get(undefined, className);
    if (str(storageClass?.volumeBindingMode) === 'WaitForFirstConsumer' && !claimInUse(pvc)) {
      return setPending(pvc); // bound once a pod uses it
    }
    let pv = matchingVolume(pvc, volumes.list(), className);
    if (!pv) {
      if (!storageClass || str(storageClass.provisioner) !== PROVISIONER || !root)
        return setPending(pvc);
      const dir = join(root, provisionedVolumeName(pvc));
      await mkdir(dir, { recursive: true });
      pv =
        (await createIfAbsent(
          ctx.client,
          GVR.persistentVolumes,
          provisionedVolume(pvc, storageClass, dir),
        )) ?? (await ctx.client.get(GVR.persistentVolumes, undefined, provisionedVolumeName(pvc)));
      if (!pv) return { requeueAfterMs: 100 };
      await volumes.waitForWrite(pv);
      events.record(
        pvc,
        'Normal',
        'ProvisioningSucceeded',
        `Successfully provisioned volume ${name(pv)}`,
      );
    } else if (rec(spec(pv).claimRef).uid !== uid(pvc)) {
      pv = await ctx.client.patch(GVR.persistentVolumes, undefined, name(pv), 'merge', {
        spec: { claimRef: claimRef(pvc) },
        metadata: { resourceVersion: pv.metadata?.resourceVersion },
      });
    }
    await writeStatus(ctx.client, GVR.persistentVolumes, pv, { ...status(pv), phase: 'Bound' });
    const provisioner = pv.metadata?.annotations?.[PROVISIONED_BY];
    const bound: KubeObject = await ctx.client.patch(
      GVR.persistentVolumeClaims,
      ns,
      claimName,
      'merge',
      {
        metadata: {
          resourceVersion: pvc.metadata?.resourceVersion,
          annotations: {
            [BIND_COMPLETED]: 'yes',
            [BOUND_BY_CONTROLLER]: 'yes',
            ...(provisioner
              ? { [STORAGE_PROVISIONER]: provisioner, [BETA_STORAGE_PROVISIONER]: provisioner }
              : {}),
          },
        },
        spec: { volumeName: name(pv) },
      },
    );
    await writeStatus(ctx.client, GVR.persistentVolumeClaims, bound, boundClaimStatus(bound, pv));
    await claims.waitForWrite(bound);
    return undefined;
  }

  async function setPending(pvc: Obj) {
    if (status(pvc).phase !== 'Pending') {
      await writeStatus(ctx.client, GVR.persistentVolumeClaims, pvc, {
        ...status(pvc),
        phase: 'Pending',
      });
    }
  }

  async function reconcileVolume(pvName: string) {
    const pv = volumes.get(undefined, pvName);
    if (!pv) return;
    const ref = rec(spec(pv).claimRef);
    const claim =
      typeof ref.name === 'string' ? claims.get(str(ref.namespace), ref.name) : undefined;
    if (isDeleting(pv)) {
      if (
        pv.metadata?.finalizers?.includes(PV_PROTECTION) &&
        (!claim || isDeleting(claim) || uid(claim) !== ref.uid)
      ) {
        await dropFinalizer(GVR.persistentVolumes, pv, PV_PROTECTION);
      }
      return;
    }
    switch (reclaimAction(pv, claim)) {
      case 'delete': {
        const path = str(rec(spec(pv).hostPath).path);
        // Only directories this provisioner made under <dataDir>/volumes are ever removed.
        if (
          path &&
          root &&
          resolve(path).startsWith(root + sep) &&
          pv.metadata?.annotations?.[PROVISIONED_BY] === PROVISIONER
        ) {
          await rm(resolve(path), { recursive: true, force: true });
        }
        await deleteIfExists(ctx.client, GVR.persistentVolumes, pv);
        return;
      }
      case 'release':
        await writeStatus(ctx.client, GVR.persistentVolumes, pv, {
          ...status(pv),
          phase: 'Released',
        });
        return;
      case 'available':
        if (status(pv).phase !== 'Available')
          await writeStatus(ctx.client, GVR.persistentVolumes, pv, {
            ...status(pv),
            phase: 'Available',
          });
        return;
      case 'bound':
        if (claim && str(spec(claim).volumeName) === pvName && status(pv).phase !== 'Bound') {
          await writeStatus(ctx.client, GVR.persistentVolumes, pv, {
            ...status(pv),
            phase: 'Bound',
          });
        }
        return;
      case 'none':
        return;
    }
  }

  return {
    name: 'volumes',
    queue,
    start: () => {
      queue.add('class:default');
      for (const pvc of claims.list()) queue.add(`pvc:${objectKey(pvc)}`);
      for (const pv of volumes.list()) queue.add(`pv:${name(pv)}`);
    },
  };
}
