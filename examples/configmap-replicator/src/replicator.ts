import {
  TerminalError,
  addFinalizer,
  applyChild,
  generationChanged,
  or,
  predicateFor,
  isNotFound,
  removeFinalizer,
  setCondition,
  type KubeObject,
  type Manager,
  type ReconcileContext,
  type Request,
} from '@opsmith/k8s-runtime';
import { configMapReplication, type ConfigMapReplication } from './crd.ts';

const FINALIZER = 'replicator.example.com/cleanup';
const FROM = 'replicator.example.com/from'; // label on copies: "<namespace>.<replication name>"
const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
const CMR = configMapReplication.typeRef();
type ConfigMap = KubeObject & { data?: Record<string, string> };

/** The copy wanted in one target namespace (pure). */
export function desiredCopy(
  r: ConfigMapReplication,
  source: ConfigMap,
  namespace: string,
): ConfigMap {
  return {
    ...CM,
    metadata: {
      name: r.spec.source,
      namespace,
      labels: { [FROM]: `${r.metadata.namespace}.${r.metadata.name}` },
    },
    data: source.data ?? {},
  };
}

/**
 * Whether a ConfigMap found where a copy should go belongs to someone else (pure): it is never
 * overwritten, nor deleted on prune, so replicating into a namespace cannot destroy its data.
 */
export function isForeignConfigMap(r: ConfigMapReplication, live: KubeObject): boolean {
  return live.metadata?.labels?.[FROM] !== `${r.metadata.namespace}.${r.metadata.name}`;
}

/** Registers the controller: replications, their source ConfigMaps and their copies all enqueue it. */
export function setupReplicator(mgr: Manager): void {
  mgr.client.register(configMapReplication.resourceInfo());
  const replications = mgr.informers.informerFor<ConfigMapReplication>(CMR);
  const copies = mgr.informers.informerFor(CM, { labelSelector: FROM });
  const client = mgr.client;

  const sourcesOf = (cm: KubeObject) =>
    replications
      .list({ namespace: cm.metadata?.namespace })
      .filter((r) => r.spec.source === cm.metadata?.name)
      .map((r) => ({ namespace: r.metadata.namespace, name: r.metadata.name ?? '' }));
  const ownerOfCopy = (cm: KubeObject) => {
    const from = cm.metadata?.labels?.[FROM] ?? '';
    const dot = from.indexOf('.');
    return dot > 0 ? [{ namespace: from.slice(0, dot), name: from.slice(dot + 1) }] : [];
  };

  async function reconcile(req: Request, ctx: ReconcileContext) {
    const r = replications.getByName(req.name, req.namespace);
    if (!r) return {}; // gone, and its finalizer already ran
    const mine = copies
      .list()
      .filter((c) => c.metadata?.labels?.[FROM] === `${req.namespace}.${req.name}`);
    if (r.metadata.deletionTimestamp) {
      if (r.spec.prune) for (const c of mine) await deleteIfPresent(c);
      await removeFinalizer(client, r, FINALIZER);
      return {};
    }
    const obj = await addFinalizer(client, r, FINALIZER);
    if (r.spec.targetNamespaces.includes(req.namespace ?? '')) {
      // A copy there would be the source itself. Said on the status; the next spec change retries.
      const message = `targetNamespaces must not contain the source namespace ${req.namespace}`;
      await writeStatus(obj, 0, 'False', 'InvalidSpec', message);
      throw new TerminalError(message);
    }
    let source: ConfigMap;
    try {
      source = await client.get<ConfigMap>(CM, r.spec.source, req.namespace);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await writeStatus(
        obj,
        0,
        'False',
        'SourceNotFound',
        `ConfigMap ${r.spec.source} does not exist`,
      );
      return { requeueAfter: 30_000 };
    }
    const blocked: string[] = [];
    for (const ns of r.spec.targetNamespaces) {
      // The cache holds only labelled copies: a ConfigMap someone else made needs a read.
      const live = copies.getByName(r.spec.source, ns) ?? (await getIfPresent(r.spec.source, ns));
      if (live && isForeignConfigMap(r, live)) {
        blocked.push(ns);
        continue;
      }
      const res = await applyChild(client, desiredCopy(r, source, ns), live);
      if (res.operation !== 'unchanged') ctx.log.info({ target: ns }, `copy ${res.operation}`);
    }
    for (const c of mine)
      if (!r.spec.targetNamespaces.includes(c.metadata?.namespace ?? '')) await deleteIfPresent(c);
    const n = r.spec.targetNamespaces.length - blocked.length;
    if (blocked.length > 0) {
      const message = `ConfigMap ${r.spec.source} already exists in ${blocked.join(', ')} and is not a copy made by this replication: delete it or remove the namespace from targetNamespaces`;
      await writeStatus(obj, n, 'False', 'TargetExists', message);
      // Deleting the foreign ConfigMap is not an event this controller watches: look again later.
      return { requeueAfter: 30_000 };
    }
    await writeStatus(obj, n, 'True', 'Replicated', `copied to ${n} namespaces`);
    return {};
  }

  async function getIfPresent(name: string, namespace: string): Promise<ConfigMap | undefined> {
    try {
      return await client.get<ConfigMap>(CM, name, namespace);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return undefined;
    }
  }

  async function deleteIfPresent(c: KubeObject) {
    try {
      await client.delete(CM, c.metadata?.name ?? '', c.metadata?.namespace);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async function writeStatus(
    r: ConfigMapReplication,
    replicated: number,
    status: 'True' | 'False',
    reason: string,
    message: string,
  ) {
    const generation = r.metadata.generation;
    const conditions = setCondition(r.status?.conditions, {
      type: 'Ready',
      status,
      reason,
      message,
      observedGeneration: generation,
    });
    await client.applyStatus({
      apiVersion: r.apiVersion,
      kind: r.kind,
      metadata: { name: r.metadata.name, namespace: r.metadata.namespace },
      status: { observedGeneration: generation, replicated, conditions },
    });
  }

  mgr
    .controller<ConfigMapReplication>('configmap-replicator')
    .for(CMR, {
      predicates: [
        or(
          generationChanged,
          predicateFor((o) => !!o.metadata?.deletionTimestamp),
        ),
      ],
    })
    .watches(CM, sourcesOf)
    .watches(CM, ownerOfCopy, { labelSelector: FROM })
    .withOptions({ maxConcurrentReconciles: 2 })
    .complete(reconcile);
}
