// The EtcdRestore controller: resolve + verify the backup, (replace an existing cluster only when
// asked), create the EtcdCluster whose seed pod restores the backup, follow it to Ready.
import { isBackupError, readManifest } from '@opsmith/backup-storage';
import {
  isAlreadyExists,
  isNotFound,
  setCondition,
  type Controller,
  type KubeClient,
  type KubeObject,
  type Logger,
  type Manager,
} from '@opsmith/k8s-runtime';
import { API_VERSION, type EtcdCluster, type EtcdClusterSpec } from '../api/types.ts';
import type { ActEvents } from '../cluster/act.ts';
import { LABEL_CLUSTER } from '../cluster/pods.ts';
import { openLocation, storageRef } from '../backup/storage.ts';
import { ETCD_RESTORE, type EtcdRestore, type EtcdRestoreStatus } from '../backup/types.ts';
import {
  LABEL_RESTORED_BY,
  planRestore,
  SEED_CONTAINERS,
  type RestoreAction,
  type RestoreObserved,
} from './plan.ts';
import { backupIdOf, resolveBackup } from './resolve.ts';
import { ANNOTATION_RESTORE_FROM, DEFAULT_AGENT_IMAGE, formatSeedSource } from './seed.ts';

const ETCD_CLUSTER = { apiVersion: API_VERSION, kind: 'EtcdCluster' };
const POD = { apiVersion: 'v1', kind: 'Pod' };
const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
const ANNOTATION_REPLACED_SPEC = 'etcd.opsmith.io/replaced-spec';

interface ContainerStatus {
  name: string;
  state?: { terminated?: { exitCode: number; message?: string; reason?: string } };
  lastState?: { terminated?: { exitCode: number; message?: string; reason?: string } };
}
export interface PodObject extends KubeObject {
  status?: { initContainerStatuses?: ContainerStatus[] };
}

export interface RestoreReconcilerDeps {
  kube: KubeClient;
  restores: { getByName(name: string, namespace?: string): EtcdRestore | undefined };
  events: ActEvents;
  /** Image of the backup agent init container (this operator's image). */
  agentImage?: string;
  logger?: Logger;
}

/** The first seed init container that exited non-zero (now or on its last run). */
export function seedFailureOf(pods: PodObject[]): RestoreObserved['seedFailure'] {
  for (const p of pods) {
    for (const s of p.status?.initContainerStatuses ?? []) {
      if (!(SEED_CONTAINERS as readonly string[]).includes(s.name)) continue;
      const t = s.state?.terminated ?? s.lastState?.terminated;
      if (t && t.exitCode !== 0) {
        return {
          container: s.name,
          exitCode: t.exitCode,
          message: t.message?.trim() || t.reason || `exit code ${t.exitCode}`,
        };
      }
    }
  }
  return undefined;
}

export class RestoreReconciler {
  readonly #d: RestoreReconcilerDeps;
  readonly #failures = new Map<string, number>();

  constructor(d: RestoreReconcilerDeps) {
    this.#d = d;
  }

  async reconcile(namespace: string, name: string): Promise<number | undefined> {
    const r = this.#d.restores.getByName(name, namespace);
    if (!r || r.metadata.deletionTimestamp || !r.metadata.uid) return undefined;
    const o = await this.#observe(r);
    const action = planRestore(o);
    return await this.#act(r, o, action);
  }

  async #observe(r: EtcdRestore): Promise<RestoreObserved> {
    const ns = r.metadata.namespace;
    const cname = r.spec.clusterName;
    let cluster: EtcdCluster | undefined;
    try {
      cluster = (await this.#d.kube.get(ETCD_CLUSTER, cname, ns)) as unknown as EtcdCluster;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const ours = cluster?.metadata.labels?.[LABEL_RESTORED_BY] === r.metadata.uid;
    const selector = { labelSelector: `${LABEL_CLUSTER}=${cname}` };
    const pods = (await this.#d.kube.list<PodObject>(POD, { namespace: ns, ...selector })).items;
    const pvcs = cluster
      ? []
      : (await this.#d.kube.list(PVC, { namespace: ns, ...selector })).items;
    const size = cluster?.spec.size ?? 0;
    const ready =
      ours &&
      cluster?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
      (cluster.status.readyMembers ?? 0) >= size;
    const seedFailure = ours ? seedFailureOf(pods) : undefined;
    return {
      spec: r.spec,
      status: r.status ?? {},
      cluster: !cluster ? 'absent' : ours ? 'ours' : 'foreign',
      leftovers: cluster ? 0 : pods.length + pvcs.length,
      clusterReady: Boolean(ready),
      ...(seedFailure ? { seedFailure } : {}),
    };
  }

  async #act(r: EtcdRestore, o: RestoreObserved, a: RestoreAction): Promise<number | undefined> {
    const ns = r.metadata.namespace;
    const key = `${ns}/${r.metadata.name}`;
    switch (a.type) {
      case 'none':
        return undefined;
      case 'resolveBackup': {
        await this.#status(
          r,
          { phase: 'Pending' },
          'Progressing',
          'True',
          'VerifyingBackup',
          'resolving and verifying the backup',
        );
        try {
          const b = await resolveBackup(
            this.#d.kube,
            ns,
            r.spec.source.location,
            r.spec.source.key,
          );
          await this.#status(
            r,
            {
              phase: 'Pending',
              backupKey: b.key,
              sha256: b.manifest.rawSha256,
              ...(b.manifest.position !== undefined
                ? { restoredRevision: b.manifest.position }
                : {}),
            },
            'BackupVerified',
            'True',
            'Verified',
            `backup ${b.key} verified: ${b.manifest.size} bytes, sha256 ${b.manifest.rawSha256}`,
          );
          this.#failures.delete(key);
          return 200;
        } catch (err) {
          if (!isBackupError(err)) throw err;
          const transient = ['Unavailable', 'Timeout', 'StorageError', 'MissingSecretKey'].includes(
            err.code,
          );
          if (transient) {
            const n = this.#failures.get(key) ?? 0;
            this.#failures.set(key, n + 1);
            await this.#status(
              r,
              { phase: 'Pending' },
              'Ready',
              'False',
              err.code,
              `${err.message}; retrying`,
            );
            await this.#event(r, 'warning', err.code, err.message);
            return Math.min(5000 * 2 ** n, 300_000);
          }
          const reason = err.code === 'IntegrityError' ? 'BackupCorrupted' : err.code;
          return await this.#fail(r, reason, `${err.message}; nothing was created`);
        }
      }
      case 'deleteExisting': {
        const existing = (await this.#d.kube.get(
          ETCD_CLUSTER,
          r.spec.clusterName,
          ns,
        )) as unknown as EtcdCluster;
        if (!r.spec.clusterSpec && !r.metadata.annotations?.[ANNOTATION_REPLACED_SPEC]) {
          // Keep the replaced cluster's spec: the restored one gets it unless clusterSpec says otherwise.
          await this.#d.kube.patch(ETCD_RESTORE, r.metadata.name, ns, 'merge', {
            metadata: {
              annotations: { [ANNOTATION_REPLACED_SPEC]: JSON.stringify(existing.spec) },
            },
          });
        }
        await this.#d.kube.delete(ETCD_CLUSTER, r.spec.clusterName, ns).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
        await this.#event(
          r,
          'warning',
          'ReplacingCluster',
          `deleted EtcdCluster ${r.spec.clusterName} and its data (spec.replaceExisting)`,
        );
        await this.#status(
          r,
          { phase: 'Restoring' },
          'Progressing',
          'True',
          'RemovingOldCluster',
          `deleting EtcdCluster ${r.spec.clusterName}`,
        );
        return 1000;
      }
      case 'wait':
        await this.#status(r, { phase: 'Restoring' }, 'Progressing', 'True', a.reason, a.message);
        return a.requeueAfterMs;
      case 'createCluster': {
        const backupKey = r.status?.backupKey ?? '';
        const spec = await this.#clusterSpec(r, backupKey);
        const cluster = {
          apiVersion: API_VERSION,
          kind: 'EtcdCluster',
          metadata: {
            name: r.spec.clusterName,
            namespace: ns,
            labels: { [LABEL_RESTORED_BY]: r.metadata.uid ?? '' },
            annotations: {
              [ANNOTATION_RESTORE_FROM]: formatSeedSource({
                location: r.spec.source.location,
                backupId: backupIdOf(r.spec.source.location.url, backupKey),
                agentImage: this.#d.agentImage ?? DEFAULT_AGENT_IMAGE,
              }),
            },
          },
          spec,
        };
        try {
          await this.#d.kube.create(cluster);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
        }
        await this.#event(
          r,
          'normal',
          'ClusterCreated',
          `created EtcdCluster ${r.spec.clusterName} seeded from ${backupKey}`,
        );
        await this.#status(
          r,
          { phase: 'Restoring' },
          'Progressing',
          'True',
          'Restoring',
          `restoring ${backupKey} into ${r.spec.clusterName}`,
        );
        return 2000;
      }
      case 'fail':
        if (a.cleanup) {
          await this.#d.kube.delete(ETCD_CLUSTER, r.spec.clusterName, ns).catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
          });
        }
        return await this.#fail(r, a.reason, a.message);
      case 'succeed': {
        const msg = `EtcdCluster ${r.spec.clusterName} restored from ${r.status?.backupKey ?? ''} and Ready`;
        await this.#status(
          r,
          { phase: 'Succeeded', completionTime: new Date().toISOString() },
          'Ready',
          'True',
          'Restored',
          msg,
          'Progressing',
        );
        await this.#event(r, 'normal', 'Restored', msg);
        return undefined;
      }
    }
  }

  /** spec.clusterSpec, else the replaced cluster's spec, else 3 members of the backup's etcd version. */
  async #clusterSpec(r: EtcdRestore, backupKey: string): Promise<EtcdClusterSpec> {
    if (r.spec.clusterSpec) return r.spec.clusterSpec;
    const replaced = r.metadata.annotations?.[ANNOTATION_REPLACED_SPEC];
    if (replaced) return JSON.parse(replaced) as EtcdClusterSpec;
    const location = r.spec.source.location;
    const storage = await openLocation(this.#d.kube, r.metadata.namespace, storageRef(location));
    const m = await readManifest(storage, backupIdOf(location.url, backupKey));
    const version = /^\d+\.\d+\.\d+$/.test(m?.application?.version ?? '')
      ? (m?.application?.version as string)
      : '3.4.23';
    return { size: 3, version };
  }

  async #fail(r: EtcdRestore, reason: string, message: string): Promise<undefined> {
    await this.#status(
      r,
      { phase: 'Failed', completionTime: new Date().toISOString() },
      'Ready',
      'False',
      reason,
      message,
      'Progressing',
    );
    await this.#event(r, 'warning', reason, message);
    return undefined;
  }

  async #event(
    r: EtcdRestore,
    type: 'normal' | 'warning',
    reason: string,
    note: string,
  ): Promise<void> {
    await this.#d.events[type](r as unknown as KubeObject, reason, 'restore', note).catch(
      () => undefined,
    );
  }

  /** Writes fields plus one condition (and, on a terminal phase, Progressing=False). */
  async #status(
    r: EtcdRestore,
    fields: EtcdRestoreStatus,
    type: string,
    status: 'True' | 'False',
    reason: string,
    message: string,
    alsoFalse?: string,
  ): Promise<void> {
    const g =
      r.metadata.generation !== undefined ? { observedGeneration: r.metadata.generation } : {};
    let conditions = setCondition(r.status?.conditions ?? [], {
      type,
      status,
      reason,
      message,
      ...g,
    });
    if (alsoFalse)
      conditions = setCondition(conditions, {
        type: alsoFalse,
        status: 'False',
        reason,
        message,
        ...g,
      });
    const next = { ...r.status, ...fields, ...g, conditions };
    if (JSON.stringify(next) === JSON.stringify(r.status ?? {})) return;
    await this.#d.kube.patch(
      ETCD_RESTORE,
      r.metadata.name,
      r.metadata.namespace,
      'merge',
      { status: { ...fields, ...g, conditions } },
      { subresource: 'status' },
    );
    r.status = next; // later writes in the same pass build on this one
  }
}

export interface EtcdRestoreControllerOptions {
  agentImage?: string;
  events?: ActEvents;
}

export function addEtcdRestoreController(
  mgr: Manager,
  o: EtcdRestoreControllerOptions = {},
): { controller: Controller; reconciler: RestoreReconciler } {
  const restores = mgr.informers.informerFor<EtcdRestore & KubeObject>(ETCD_RESTORE);
  const reconciler = new RestoreReconciler({
    kube: mgr.client,
    restores,
    events: o.events ?? mgr.eventRecorder('etcd.opsmith.io/etcd-restore'),
    ...(o.agentImage ? { agentImage: o.agentImage } : {}),
    logger: mgr.logger,
  });
  const controller = mgr
    .controller('etcdrestore')
    .for(ETCD_RESTORE, {
      predicates: [{ update: (a, b) => a.metadata?.generation !== b.metadata?.generation }],
    })
    // The restored cluster's progress (Ready, seed pod failures) wakes its restore.
    .watches<KubeObject>(ETCD_CLUSTER, (c) => restoreKeys(restores, c))
    .withOptions({ maxConcurrentReconciles: 2, reconcileTimeoutMs: 600_000 })
    .complete(async (req) => {
      const after = await reconciler.reconcile(req.namespace ?? '', req.name);
      return after ? { requeueAfter: after } : undefined;
    });
  return { controller, reconciler };
}

function restoreKeys(
  restores: { list(filter?: { namespace?: string }): (EtcdRestore & KubeObject)[] },
  c: KubeObject,
): { name: string; namespace: string }[] {
  const ns = c.metadata?.namespace ?? '';
  return restores
    .list({ namespace: ns })
    .filter((r) => r.spec.clusterName === c.metadata?.name)
    .map((r) => ({ name: r.metadata.name, namespace: ns }));
}
