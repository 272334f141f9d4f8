// CustomResourceDefinitions: validation through the schema engine, status (NamesAccepted,
// Established, acceptedNames, storedVersions) and serving the resources, synchronously on write so
// a CRD's resources are available as soon as the create returns.
import { errors, StatusError } from '../core/errors.ts';
import type { JSONSchemaProps } from '../core/contracts.ts';
import type { KubeObject, PrinterColumn, ResourceInfo } from '../core/types.ts';
import type { ApiCore, RequestContext } from './api.ts';
import { SYSTEM_MASTERS } from '../core/types.ts';
import { WorkQueue } from './work-queue.ts';
import type { ResourceDef } from './registry.ts';
import { isPlainObject, timestamp } from './util.ts';

export const CRD_GR = 'apiextensions.k8s.io/customresourcedefinitions';

interface CrdNames {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: {
    status?: object;
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  };
  additionalPrinterColumns?: Array<{
    name: string;
    type: PrinterColumn['type'];
    format?: string;
    description?: string;
    priority?: number;
    jsonPath: string;
  }>;
  deprecated?: boolean;
}

interface CrdSpec {
  group: string;
  names: CrdNames;
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
}

const VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export function installCrdSupport(core: ApiCore): void {
  core.hooks.prepare.push((def, obj, old) => {
    if (!old && def.crdName) {
      const owner = core.store.get(CRD_GR, undefined, def.crdName);
      if (owner?.metadata?.deletionTimestamp) {
        throw new StatusError(
          405,
          'MethodNotAllowed',
          `create not allowed while custom resource definition is terminating`,
        );
      }
    }
    if (def.gr !== CRD_GR) return;
    if (!old) {
      const meta = (obj.metadata ??= {});
      const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
      if (!finalizers.includes(CRD_CLEANUP_FINALIZER))
        meta.finalizers = [...finalizers, CRD_CLEANUP_FINALIZER];
    }
    const causes = core.schema.validateCrd(obj, old);
    if (causes.length)
      throw errors.invalid(
        'CustomResourceDefinition',
        'apiextensions.k8s.io',
        obj.metadata?.name ?? '',
        causes,
      );
    const spec = obj.spec as CrdSpec | undefined;
    if (
      !spec ||
      !isPlainObject(spec) ||
      !isPlainObject(spec.names) ||
      !Array.isArray(spec.versions)
    )
      return;
    const conflict = namesConflict(core, obj);
    const status = isPlainObject(obj.status) ? obj.status : {};
    const storage = spec.versions.find((v) => v.storage)?.name;
    const stored = new Set<string>(
      Array.isArray(status.storedVersions) ? (status.storedVersions as string[]) : [],
    );
    if (storage) stored.add(storage);
    const now = timestamp();
    const prevConditions = (Array.isArray(status.conditions) ? status.conditions : []) as Array<
      Record<string, unknown>
    >;
    const cond = (
      type: string,
      ok: boolean,
      reason: string,
      message: string,
    ): Record<string, unknown> => {
      const prev = prevConditions.find((c) => c.type === type);
      const s = ok ? 'True' : 'False';
      return {
        type,
        status: s,
        lastTransitionTime: prev?.status === s ? prev.lastTransitionTime : now,
        reason,
        message,
      };
    };
    obj.status = {
      ...status,
      conditions: [
        cond(
          'NamesAccepted',
          !conflict,
          conflict ? 'MultipleNamesNotAllowed' : 'NoConflicts',
          conflict ?? 'no conflicts found',
        ),
        cond(
          'Established',
          !conflict,
          conflict ? 'NotAccepted' : 'InitialNamesAccepted',
          conflict ? 'not all names are accepted' : 'the initial names have been accepted',
        ),
      ],
      acceptedNames: conflict
        ? (status.acceptedNames ?? { plural: '', kind: '' })
        : acceptedNames(spec.names),
      storedVersions: [...stored],
    };
  });
  core.hooks.afterWrite.push((def, obj, old) => {
    if (def.gr !== CRD_GR) return;
    if (old) unserve(core, old);
    serve(core, obj);
  });
  core.hooks.afterDelete.push((def, obj) => {
    if (def.gr !== CRD_GR) return;
    const spec = obj.spec as CrdSpec;
    unserve(core, obj);
    core.store.clear(`${spec.group}/${spec.names.plural}`);
  });
}

function acceptedNames(names: CrdNames): Record<string, unknown> {
  return {
    plural: names.plural,
    singular: names.singular || names.kind.toLowerCase(),
    kind: names.kind,
    listKind: names.listKind || `${names.kind}List`,
    ...(names.shortNames?.length ? { shortNames: names.shortNames } : {}),
    ...(names.categories?.length ? { categories: names.categories } : {}),
  };
}

/** A message when another CRD or a built-in already serves these names in the group. */
function namesConflict(core: ApiCore, crd: KubeObject): string | undefined {
  const spec = crd.spec as CrdSpec;
  for (const def of core.registry.all()) {
    if (def.info.group !== spec.group || def.crdName === crd.metadata?.name) continue;
    if (def.info.resource === spec.names.plural) return `"${spec.names.plural}" is already in use`;
    if (def.info.kind === spec.names.kind) return `"${spec.names.kind}" is already in use`;
  }
  return undefined;
}

export function serve(core: ApiCore, crd: KubeObject): void {
  const spec = crd.spec as CrdSpec | undefined;
  const established = (
    (crd.status as { conditions?: Array<{ type: string; status: string }> } | undefined)
      ?.conditions ?? []
  ).some((c) => c.type === 'Established' && c.status === 'True');
  // A terminating CRD keeps serving so finalizers on its objects can still be removed.
  if (!spec || !established) return;
  const names = acceptedNames(spec.names) as unknown as Required<CrdNames>;
  const storage = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name;
  for (const v of spec.versions) {
    if (!v.served) continue;
    const subresources: string[] = [];
    if (v.subresources?.status) subresources.push('status');
    if (v.subresources?.scale) subresources.push('scale');
    const info: ResourceInfo = {
      group: spec.group,
      version: v.name,
      resource: names.plural,
      singular: names.singular,
      kind: names.kind,
      listKind: names.listKind,
      namespaced: spec.scope !== 'Cluster',
      ...(names.shortNames ? { shortNames: names.shortNames } : {}),
      ...(names.categories ? { categories: names.categories } : {}),
      verbs: VERBS,
      subresources,
      ...(v.subresources?.scale ? { scale: v.subresources.scale } : {}),
      printerColumns: v.additionalPrinterColumns?.length
        ? v.additionalPrinterColumns.map((c) => ({
            name: c.name,
            type: c.type,
            jsonPath: c.jsonPath,
            ...(c.format ? { format: c.format } : {}),
            ...(c.description ? { description: c.description } : {}),
            ...(c.priority ? { priority: c.priority } : {}),
          }))
        : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
      fieldSelectors: selectableFields(v),
      custom: true,
      ...(storage ? { storageVersion: storage } : {}),
    };
    const extra: Partial<ResourceDef> = { crdName: crd.metadata?.name ?? '' };
    if (v.schema?.openAPIV3Schema) extra.schema = v.schema.openAPIV3Schema;
    core.registry.add(info, extra);
  }
}

function selectableFields(v: CrdVersion): ResourceInfo['fieldSelectors'] {
  const fields = (v as { selectableFields?: Array<{ jsonPath: string }> }).selectableFields ?? [];
  const out: NonNullable<ResourceInfo['fieldSelectors']> = {};
  for (const f of fields) {
    const path = f.jsonPath.replace(/^\./, '');
    out[path] = (obj) => {
      let cur: unknown = obj;
      for (const p of path.split('.')) cur = isPlainObject(cur) ? cur[p] : undefined;
      return cur === undefined ? '' : String(cur);
    };
  }
  return out;
}

export function unserve(core: ApiCore, crd: KubeObject): void {
  const spec = crd.spec as CrdSpec | undefined;
  if (!spec?.names?.plural) return;
  for (const def of core.registry.all()) {
    if (def.crdName === crd.metadata?.name)
      core.registry.removeGroupResource(def.info.group, def.info.resource);
  }
}

/**
 * Deletes the objects of terminating CRDs (honouring their finalizers), then removes the
 * customresourcecleanup finalizer so the CRD goes away, like the apiextensions finalizer controller.
 */
export class CrdCleanupController {
  private readonly core: ApiCore;
  private readonly queue: WorkQueue;
  private unsubscribe: (() => void) | undefined;
  private readonly ctx: RequestContext = {
    user: { username: 'system:apiextensions-finalizer', groups: [SYSTEM_MASTERS] },
    warnings: [],
    fieldManager: 'kube-apiserver',
    fieldValidation: 'Ignore',
  };

  constructor(core: ApiCore) {
    this.core = core;
    this.queue = new WorkQueue((name) => this.sync(name));
  }

  start(): void {
    for (const crd of this.core.store.list(CRD_GR)) {
      if (crd.metadata?.deletionTimestamp) this.queue.add(crd.metadata.name ?? '');
    }
    this.unsubscribe = this.core.store.subscribe('*', (ev) => {
      if (ev.gr === CRD_GR) {
        if (ev.type !== 'DELETED' && ev.object.metadata?.deletionTimestamp)
          this.queue.add(ev.object.metadata.name ?? '');
        return;
      }
      if (ev.type !== 'DELETED') return;
      const def = this.core.registry.anyVersion(ev.gr);
      if (def?.crdName) this.queue.add(def.crdName);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private sync(name: string): void {
    const crd = this.core.store.get(CRD_GR, undefined, name);
    if (!crd?.metadata?.deletionTimestamp) return;
    const spec = crd.spec as CrdSpec;
    const gr = `${spec.group}/${spec.names.plural}`;
    const def = this.core.registry.anyVersion(gr);
    const remaining = this.core.store.list(gr);
    if (def && remaining.length) {
      for (const obj of remaining) {
        if (obj.metadata?.deletionTimestamp) continue;
        try {
          this.core.delete(
            def,
            obj.metadata?.namespace,
            obj.metadata?.name ?? '',
            { propagationPolicy: 'Background' },
            this.ctx,
          );
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
      return; // DELETED events of the objects re-queue us
    }
    const crdDef = this.core.registry.anyVersion(CRD_GR);
    if (!crdDef) return;
    const next = structuredClone(crd);
    next.metadata!.finalizers = (crd.metadata.finalizers ?? []).filter(
      (f) => f !== CRD_CLEANUP_FINALIZER,
    );
    try {
      this.core.update(crdDef, undefined, name, next, this.ctx);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) this.queue.retryLater(name);
    }
  }
}
