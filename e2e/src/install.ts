// Installs rendered chart objects the way `helm install` does, with server-side apply: CRDs first
// (waiting until Established, so their kinds are served), then the namespaces the objects need,
// then every object in the given (Helm install) order. Uninstall deletes in reverse order and
// waits until each object is gone; CRDs are kept unless asked, like Helm keeps crds/.
import {
  KubeClient,
  NotFoundError,
  loadKubeConfig,
  type KubeObject,
  type ObjectMeta,
} from '@opsmith/k8s-runtime';
import { waitForCondition, waitForDeletion, type WaitOptions } from './wait.ts';

export type ClusterTarget = KubeClient | string;

export interface InstallOptions extends WaitOptions {
  fieldManager?: string;
  /** Namespace for namespaced objects that name none (Helm's --namespace; default "default"). */
  namespace?: string;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface InstallResult {
  /** Every applied object, in order, with its namespace resolved. */
  applied: ObjectRef[];
  /** Namespaces that did not exist and were created. */
  createdNamespaces: string[];
}

const CRD = 'CustomResourceDefinition';

/** A rendered object known to carry apiVersion, kind and metadata.name. */
export interface RenderedObject extends KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
}

function clientFor(target: ClusterTarget, fieldManager?: string): KubeClient {
  if (typeof target !== 'string') return target;
  return new KubeClient({
    kubeConfig: loadKubeConfig(target),
    fieldManager: fieldManager ?? 'opsmith-e2e',
  });
}

function asObject(o: Record<string, unknown>): RenderedObject {
  const obj = o as Partial<RenderedObject>;
  if (!obj.apiVersion || !obj.kind || !obj.metadata?.name)
    throw new Error(
      `rendered object without apiVersion/kind/metadata.name: ${JSON.stringify(o).slice(0, 200)}`,
    );
  return obj as RenderedObject;
}

/** Splits rendered objects into CRDs and the rest, keeping their order (pure). */
export function installPlan(objects: Record<string, unknown>[]): {
  crds: RenderedObject[];
  rest: RenderedObject[];
} {
  const all = objects.map(asObject);
  return { crds: all.filter((o) => o.kind === CRD), rest: all.filter((o) => o.kind !== CRD) };
}

async function withNamespace(
  client: KubeClient,
  obj: RenderedObject,
  fallback: string,
): Promise<RenderedObject> {
  const info = await client.resource({ apiVersion: obj.apiVersion, kind: obj.kind });
  if (!info.namespaced) {
    if (obj.metadata?.namespace) {
      const { namespace: _drop, ...meta } = obj.metadata;
      return { ...obj, metadata: meta };
    }
    return obj;
  }
  return { ...obj, metadata: { ...obj.metadata, namespace: obj.metadata?.namespace ?? fallback } };
}

const refOf = (o: RenderedObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
});

async function ensureNamespace(client: KubeClient, name: string): Promise<boolean> {
  try {
    await client.get({ apiVersion: 'v1', kind: 'Namespace' }, name);
    return false;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return true;
}

/** Applies rendered objects like `helm install` (see the file comment). */
export async function installRendered(
  target: ClusterTarget,
  objects: Record<string, unknown>[],
  opts: InstallOptions = {},
): Promise<InstallResult> {
  const client = clientFor(target, opts.fieldManager);
  const fieldManager = opts.fieldManager ?? client.fieldManager;
  const { crds, rest } = installPlan(objects);
  const applied: ObjectRef[] = [];
  for (const crd of crds) {
    await client.apply(crd, { fieldManager });
    applied.push(refOf(crd));
  }
  for (const crd of crds) {
    await waitForCondition(client, { ...refOf(crd) }, 'Established', 'True', opts);
  }
  const resolved: RenderedObject[] = [];
  for (const obj of rest)
    resolved.push(await withNamespace(client, obj, opts.namespace ?? 'default'));
  const createdNamespaces: string[] = [];
  const declared = new Set(
    resolved
      .filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1')
      .map((o) => o.metadata.name),
  );
  const needed = [
    ...new Set(resolved.map((o) => o.metadata?.namespace).filter((n): n is string => !!n)),
  ];
  for (const ns of needed) {
    if (declared.has(ns)) continue; // the chart creates it itself (applied in order below)
    if (await ensureNamespace(client, ns)) createdNamespaces.push(ns);
  }
  for (const obj of resolved) {
    await client.apply(obj, { fieldManager });
    applied.push(refOf(obj));
  }
  return { applied, createdNamespaces };
}

export interface UninstallOptions extends WaitOptions {
  /** Namespace for namespaced objects that name none (as at install). */
  namespace?: string;
  /** Delete CRDs too (Helm keeps crds/ on uninstall; default false). */
  deleteCrds?: boolean;
  /** Foreground (default) waits for dependents (ReplicaSets, pods) before the owner disappears. */
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

/** Deletes rendered objects in reverse order and waits until each is gone; returns what was deleted. */
export async function uninstallRendered(
  target: ClusterTarget,
  objects: Record<string, unknown>[],
  opts: UninstallOptions = {},
): Promise<ObjectRef[]> {
  const client = clientFor(target);
  const { crds, rest } = installPlan(objects);
  const order = [...rest].reverse();
  if (opts.deleteCrds) order.push(...[...crds].reverse());
  const deleted: ObjectRef[] = [];
  for (const obj of order) {
    let ref: ObjectRef;
    try {
      ref = refOf(await withNamespace(client, obj, opts.namespace ?? 'default'));
    } catch (err) {
      // the kind is no longer served (its CRD is gone): nothing of it is left
      if (/is not served/.test((err as Error).message)) continue;
      throw err;
    }
    try {
      await client.delete(ref, ref.name, ref.namespace, {
        propagationPolicy: opts.propagationPolicy ?? 'Foreground',
      });
    } catch (err) {
      if (err instanceof NotFoundError) continue;
      throw err;
    }
    await waitForDeletion(client, ref, opts);
    deleted.push(ref);
  }
  return deleted;
}

/** Lists what is left of rendered objects (for "uninstall leaves nothing" checks). */
export async function remainingObjects(
  target: ClusterTarget,
  objects: Record<string, unknown>[],
  opts: { namespace?: string } = {},
): Promise<ObjectRef[]> {
  const client = clientFor(target);
  const left: ObjectRef[] = [];
  for (const obj of installPlan(objects).rest) {
    const ref = refOf(await withNamespace(client, obj, opts.namespace ?? 'default'));
    try {
      await client.get(ref, ref.name, ref.namespace);
      left.push(ref);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  return left;
}
