// The API semantics shared by HTTP handlers and the in-process client: admission (defaulting,
// validation, metadata), optimistic concurrency, generation, finalizers and deletion, status and
// scale subresources, patches, lists with selectors and pagination, and watches.
import { randomUUID } from 'node:crypto';
import { errors, fieldErrors, qualifiedResource, StatusError } from '../core/errors.ts';
import type { StatusCause } from '../core/errors.ts';
import type {
  AuthExtras,
  Authenticator,
  Authorizer,
  BuiltinKinds,
  PatchEngine,
  PatchType,
  SchemaEngine,
  TypeInfo,
} from '../core/contracts.ts';
import type { KubeObject, UserInfo, WatchEvent } from '../core/types.ts';
import {
  baseFieldGetters,
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../store/selectors.ts';
import type { FieldGetter } from '../store/selectors.ts';
import { objectKey } from '../store/store.ts';
import type { ObjectStore, StoreEvent } from '../store/store.ts';
import { decodeContinue, encodeContinue, labelSelectorString, parseRv } from './list-helpers.ts';
import type { ContinueToken } from './list-helpers.ts';
import { validateObjectMeta } from './meta-validation.ts';
import type { ResourceDef, ResourceRegistry } from './registry.ts';
import { pruneUnknownBuiltinFields } from './known-fields.ts';
import { ClusterIpAllocator } from './services.ts';
import {
  apiVersionOf,
  deepEqual,
  isPlainObject,
  randomSuffix,
  readJsonPath,
  timestamp,
  writeJsonPath,
} from './util.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface RequestContext {
  user: UserInfo;
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: FieldValidation;
  /** Warnings for the Warning response header. */
  warnings: string[];
  /** Field paths of duplicate keys found while decoding the body. */
  duplicateFields?: string[];
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface WatchQuery {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

export interface DeleteOptionsBody {
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
  dryRun?: string[];
}

export interface ApiCoreDeps {
  store: ObjectStore;
  registry: ResourceRegistry;
  patch: PatchEngine;
  schema: SchemaEngine;
  builtin: BuiltinKinds;
  authenticator: Authenticator;
  authorizer: Authorizer;
  authExtras?: AuthExtras;
  bookmarkIntervalMs?: number;
}

const GENERATION_GROUPS = new Set([
  'apps',
  'batch',
  'policy',
  'apiextensions.k8s.io',
  'autoscaling',
  'networking.k8s.io',
]);

/** Kinds whose status is reset on create (the real strategies' PrepareForCreate). */
const STATUS_RESET_ON_CREATE = new Set([
  'apps/deployments',
  'apps/statefulsets',
  'apps/replicasets',
  'apps/daemonsets',
  'batch/jobs',
  'batch/cronjobs',
  'policy/poddisruptionbudgets',
]);

export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export interface WatchHandle {
  stop(): void;
}

export class ApiCore {
  readonly store: ObjectStore;
  readonly registry: ResourceRegistry;
  readonly patchEngine: PatchEngine;
  readonly schema: SchemaEngine;
  readonly builtin: BuiltinKinds;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly authExtras: AuthExtras;
  readonly clusterIps = new ClusterIpAllocator();
  private readonly bookmarkIntervalMs: number;
  /** Set by the node agent: pods bound to a node are deleted gracefully (the node finishes). */
  gracefulPodDeletion = false;
  private readonly openWatches = new Set<() => void>();
  /** Hooks the sandbox installs (CRD registration, namespace bootstrap). */
  readonly hooks: {
    afterWrite: Array<(def: ResourceDef, obj: KubeObject, old: KubeObject | undefined) => void>;
    afterDelete: Array<(def: ResourceDef, obj: KubeObject) => void>;
    prepare: Array<
      (def: ResourceDef, obj: KubeObject, old: KubeObject | undefined, ctx: RequestContext) => void
    >;
  } = { afterWrite: [], afterDelete: [], prepare: [] };

  constructor(deps: ApiCoreDeps) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.patchEngine = deps.patch;
    this.schema = deps.schema;
    this.builtin = deps.builtin;
    this.authenticator = deps.authenticator;
    this.authorizer = deps.authorizer;
    this.authExtras = deps.authExtras ?? {};
    this.bookmarkIntervalMs = deps.bookmarkIntervalMs ?? 5000;
  }

  // ------------------------------------------------------------------ reads

  /** Returns the stored object as seen through `def`'s version (never mutate it). */
  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(def.gr, def.info.namespaced ? namespace : undefined, name);
    if (!obj) throw errors.notFound(def.info.resource, def.info.group, name);
    return this.present(def, obj);
  }

  tryGet(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.store.get(def.gr, def.info.namespaced ? namespace : undefined, name);
    return obj && this.present(def, obj);
  }

  /** Rewrites apiVersion for multi-version custom resources (conversion strategy None). */
  present(def: ResourceDef, obj: KubeObject): KubeObject {
    if (def.codec) return def.codec.fromStorage(obj);
    const apiVersion = apiVersionOf(def.info.group, def.info.version);
    if (obj.apiVersion === apiVersion) return obj;
    return { ...obj, apiVersion };
  }

  fieldGetters(def: ResourceDef): Record<string, FieldGetter> {
    return { ...baseFieldGetters(), ...(def.info.fieldSelectors ?? {}) };
  }

  /** A predicate for namespace + label + field selectors. */
  matcher(
    def: ResourceDef,
    namespace: string | undefined,
    labelSelector?: string,
    fieldSelector?: string,
  ): (obj: KubeObject) => boolean {
    const labels = parseLabelSelector(labelSelector);
    const getters = this.fieldGetters(def);
    const fields = parseFieldSelector(fieldSelector, getters);
    const codec = def.codec;
    return (obj) =>
      (namespace === undefined || obj.metadata?.namespace === namespace) &&
      matchLabels(labels, obj.metadata?.labels) &&
      (fields.length === 0 || matchFields(fields, codec ? codec.fromStorage(obj) : obj, getters));
  }

  list(def: ResourceDef, namespace: string | undefined, query: ListQuery = {}): KubeObject {
    if (def.virtual) throw errors.methodNotAllowed('list', def.info.kind);
    const ns = def.info.namespaced ? namespace : undefined;
    const match = this.matcher(def, ns, query.labelSelector, query.fieldSelector);
    const rvMatch = query.resourceVersionMatch;
    if (rvMatch && !['Exact', 'NotOlderThan'].includes(rvMatch)) {
      throw errors.badRequest(
        `resourceVersionMatch: Unsupported value: "${rvMatch}": supported values: "Exact", "NotOlderThan"`,
      );
    }
    if (rvMatch && !query.resourceVersion) {
      throw errors.badRequest(
        'resourceVersionMatch is forbidden unless resourceVersion is provided',
      );
    }
    if (rvMatch === 'Exact' && query.resourceVersion === '0') {
      throw errors.badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
    let token: ContinueToken | undefined;
    if (query.continue) token = decodeContinue(query.continue);
    let atRv: number | undefined;
    if (token) atRv = token.rv;
    else if (query.resourceVersion && query.resourceVersion !== '0') {
      const requested = parseRv(query.resourceVersion);
      if (query.resourceVersionMatch === 'Exact') atRv = requested;
      else if (requested > this.store.currentRv()) {
        throw new StatusError(
          504,
          'Timeout',
          `Too large resource version: ${requested}, current resource version: ${this.store.currentRv()}`,
          {
            causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
            retryAfterSeconds: 1,
          },
        );
      }
    }
    let objects: KubeObject[];
    let listRv = this.store.currentRv();
    if (atRv !== undefined && atRv < listRv) {
      try {
        objects = [...this.store.listAt(def.gr, ns, atRv).values()];
      } catch (err) {
        if (token) {
          throw errors.gone(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
          );
        }
        throw err;
      }
      listRv = atRv;
    } else objects = this.store.list(def.gr, ns);
    const keyed = objects
      .map((o) => ({ key: objectKey(o.metadata?.namespace, o.metadata?.name ?? ''), o }))
      .filter(({ key, o }) => (!token || key > token.start) && match(o))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    let page = keyed;
    const limit = query.limit && query.limit > 0 ? query.limit : undefined;
    if (limit !== undefined && keyed.length > limit) {
      page = keyed.slice(0, limit);
      metadata.continue = encodeContinue({ rv: listRv, start: page[page.length - 1].key });
      metadata.remainingItemCount = keyed.length - limit;
    }
    return {
      apiVersion: apiVersionOf(def.info.group, def.info.version),
      kind: def.info.listKind,
      metadata,
      items: page.map(({ o }) => this.present(def, o)),
    };
  }

  /**
   * Starts a watch. Events go to `sink` synchronously in commit order; a too-old resourceVersion
   * produces one ERROR event (410 Expired) and `onEnd`.
   */
  watch(
    def: ResourceDef,
    namespace: string | undefined,
    query: WatchQuery,
    sink: (event: WatchEvent) => void,
    onEnd: () => void = () => undefined,
  ): WatchHandle {
    const ns = def.info.namespaced ? namespace : undefined;
    const match = this.matcher(def, ns, query.labelSelector, query.fieldSelector);
    const rvParam = query.resourceVersion;
    let lastRv = this.store.currentRv();
    const sendInitial =
      query.sendInitialEvents ?? (rvParam === undefined || rvParam === '' || rvParam === '0');
    const emitStored = (ev: StoreEvent): void => {
      const newMatch = ev.type !== 'DELETED' && match(ev.object);
      const oldMatch = ev.prev !== undefined && match(ev.prev);
      lastRv = ev.rv;
      if (ev.type === 'DELETED') {
        if (oldMatch) sink({ type: 'DELETED', object: this.present(def, ev.object) });
        return;
      }
      if (newMatch && oldMatch) sink({ type: 'MODIFIED', object: this.present(def, ev.object) });
      else if (newMatch) sink({ type: 'ADDED', object: this.present(def, ev.object) });
      else if (oldMatch) {
        // Left the selection: the real server reports it as DELETED with the new state.
        sink({ type: 'DELETED', object: this.present(def, ev.object) });
      }
    };
    const bookmark = (initialEnd: boolean): void => {
      sink({
        type: 'BOOKMARK',
        object: {
          kind: def.info.kind,
          apiVersion: apiVersionOf(def.info.group, def.info.version),
          metadata: {
            resourceVersion: String(lastRv),
            ...(initialEnd ? { annotations: { [INITIAL_EVENTS_END]: 'true' } } : {}),
          },
        },
      });
    };
    let backlog: StoreEvent[] = [];
    if (!sendInitial && rvParam !== undefined && rvParam !== '' && rvParam !== '0') {
      try {
        backlog = this.store.eventsSince(def.gr, parseRv(rvParam));
      } catch (err) {
        if (err instanceof StatusError) {
          sink({ type: 'ERROR', object: err.toStatus() });
          onEnd();
          return { stop: () => undefined };
        }
        throw err;
      }
    }
    if (sendInitial) {
      const current = this.store.list(def.gr, ns).filter(match);
      for (const obj of current) sink({ type: 'ADDED', object: this.present(def, obj) });
      lastRv = this.store.currentRv();
      if (query.sendInitialEvents && query.allowWatchBookmarks) bookmark(true);
    } else for (const ev of backlog) emitStored(ev);
    const unsubscribe = this.store.subscribe(def.gr, emitStored);
    let timer: NodeJS.Timeout | undefined;
    if (query.allowWatchBookmarks) {
      timer = setInterval(() => {
        lastRv = Math.max(lastRv, this.store.currentRv());
        bookmark(false);
      }, this.bookmarkIntervalMs);
      timer.unref();
    }
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      if (timer) clearInterval(timer);
      this.openWatches.delete(closeFromServer);
    };
    const closeFromServer = (): void => {
      stop();
      onEnd();
    };
    this.openWatches.add(closeFromServer);
    return { stop };
  }

  /** Ends every open watch (fault injection, shutdown). */
  closeAllWatches(): number {
    const all = [...this.openWatches];
    for (const close of all) close();
    return all.length;
  }

  // ------------------------------------------------------------------ writes

  typeInfo(def: ResourceDef): TypeInfo {
    return def.schema
      ? {
          source: 'crd',
          group: def.info.group,
          version: def.info.version,
          kind: def.info.kind,
          schema: def.schema,
        }
      : {
          source: 'builtin',
          group: def.info.group,
          version: def.info.version,
          kind: def.info.kind,
        };
  }

  private checkTypeMeta(def: ResourceDef, obj: KubeObject): void {
    const expected = apiVersionOf(def.info.group, def.info.version);
    if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = expected;
    if (obj.kind === undefined || obj.kind === '') obj.kind = def.info.kind;
    if (obj.apiVersion !== expected) {
      // Another served version of the same resource is fine (stored as-is, conversion None).
      const other = this.registry.byApiVersionKind(String(obj.apiVersion), String(obj.kind));
      if (!other || other.gr !== def.gr) {
        throw errors.badRequest(
          `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expected})`,
        );
      }
      obj.apiVersion = expected;
    }
    if (obj.kind !== def.info.kind) {
      throw errors.badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${def.info.kind})`,
      );
    }
    if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) {
      throw errors.badRequest('metadata must be an object');
    }
  }

  private tracksGeneration(def: ResourceDef): boolean {
    return Boolean(def.info.custom) || GENERATION_GROUPS.has(def.info.group);
  }

  /** Whether a change counts as a spec change for metadata.generation. */
  private specChanged(def: ResourceDef, a: KubeObject, b: KubeObject): boolean {
    const hasStatus = def.info.subresources.includes('status');
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (key === 'metadata' || key === 'apiVersion' || key === 'kind') continue;
      if (key === 'status' && hasStatus) continue;
      if (!deepEqual(a[key], b[key])) return true;
    }
    return false;
  }

  /** Structural checks, defaulting and validation of one object. Throws 422 on problems. */
  private admit(
    def: ResourceDef,
    obj: KubeObject,
    old: KubeObject | undefined,
    ctx: RequestContext,
    statusWrite = false,
  ): KubeObject {
    let out = obj;
    // Status writes keep everything but status as stored (the real status strategies reset the
    // rest after decoding and defaulting), so defaults never turn into "immutable field" errors.
    const keepNonStatus = (o: KubeObject): void => {
      if (!statusWrite || !old) return;
      for (const key of new Set([...Object.keys(o), ...Object.keys(old)])) {
        if (key === 'status' || key === 'metadata' || key === 'apiVersion' || key === 'kind')
          continue;
        if (key in old) o[key] = old[key];
        else delete o[key];
      }
    };
    const warnUnknown = (paths: string[]): void => {
      const mode = ctx.fieldValidation ?? 'Warn';
      if (mode === 'Ignore' || paths.length === 0) return;
      if (mode === 'Strict') {
        throw errors.badRequest(
          `${def.info.kind} in version "${def.info.version}" cannot be handled as a ${def.info.kind}: strict decoding error: ${paths
            .map((p) => `unknown field "${p}"`)
            .join(', ')}`,
        );
      }
      for (const p of paths) ctx.warnings.push(`unknown field "${p}"`);
    };
    if (ctx.duplicateFields?.length) {
      const mode = ctx.fieldValidation ?? 'Warn';
      if (mode === 'Strict') {
        throw errors.badRequest(
          `${def.info.kind} in version "${def.info.version}" cannot be handled as a ${def.info.kind}: strict decoding error: ${ctx.duplicateFields
            .map((p) => `duplicate field "${p}"`)
            .join(', ')}`,
        );
      }
      if (mode === 'Warn')
        for (const p of ctx.duplicateFields) ctx.warnings.push(`duplicate field "${p}"`);
    }
    // Built-in kinds validate their metadata in the builtin module; custom resources here.
    const causes: StatusCause[] = def.info.custom
      ? validateObjectMeta(def, obj.metadata ?? {}, old === undefined)
      : [];
    if (def.schema) {
      def.compiled ??= this.schema.compile(def.schema);
      const pruned = def.compiled.prune(out);
      out = pruned.object;
      warnUnknown(pruned.unknownFields);
      out = def.compiled.applyDefaults(out);
      keepNonStatus(out);
      causes.push(...def.compiled.validate(out, old));
    } else if (!def.virtual) {
      warnUnknown(pruneUnknownBuiltinFields(def.info.group, out));
      this.builtin.applyDefaults(def.info, out);
      keepNonStatus(out);
      causes.push(...this.builtin.validate(def.info, out, old));
    }
    if (causes.length) {
      throw errors.invalid(
        def.info.kind,
        def.info.group,
        out.metadata?.name ?? '',
        dedupeCauses(causes),
      );
    }
    return out;
  }

  private checkNamespace(def: ResourceDef, namespace: string | undefined, name: string): void {
    if (!def.info.namespaced) return;
    if (!namespace) throw errors.badRequest('the namespace of the object must be set');
    const ns = this.store.get('/namespaces', undefined, namespace);
    if (!ns) throw errors.notFound('namespaces', '', namespace);
    if (ns.metadata?.deletionTimestamp) {
      throw errors.forbidden(
        `${qualifiedResource(def.info.resource, def.info.group)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name,
          ...(def.info.group ? { group: def.info.group } : {}),
          kind: def.info.resource,
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  private manager(ctx: RequestContext): string {
    return ctx.fieldManager ?? 'unknown';
  }

  create(
    def: ResourceDef,
    namespace: string | undefined,
    body: KubeObject,
    ctx: RequestContext,
    opts: { managedFieldsSet?: boolean } = {},
  ): KubeObject {
    if (!isPlainObject(body))
      throw errors.badRequest('the body of the request must be a JSON object');
    let obj = body;
    this.checkTypeMeta(def, obj);
    const meta = (obj.metadata ??= {});
    if (def.info.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace ?? meta.namespace;
    } else delete meta.namespace;
    if (!meta.name && typeof meta.generateName === 'string' && meta.generateName) {
      meta.name = meta.generateName + randomSuffix();
    }
    this.checkNamespace(def, meta.namespace, String(meta.name ?? ''));
    // Server-owned metadata.
    for (const k of [
      'uid',
      'resourceVersion',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'selfLink',
    ] as const) {
      delete meta[k];
    }
    meta.creationTimestamp = timestamp();
    if (
      def.info.subresources.includes('status') &&
      (def.info.custom || STATUS_RESET_ON_CREATE.has(def.gr))
    ) {
      delete obj.status;
    }
    // The uid exists before defaulting, as in the real server (Job selectors are derived from it).
    meta.uid = randomUUID();
    for (const h of this.hooks.prepare) h(def, obj, undefined, ctx);
    obj = this.admit(def, obj, undefined, ctx);
    const m = obj.metadata!;
    m.uid ??= meta.uid;
    if (this.tracksGeneration(def)) m.generation = 1;
    else delete m.generation;
    if (this.store.get(def.gr, m.namespace, String(m.name))) {
      throw errors.alreadyExists(def.info.resource, def.info.group, String(m.name));
    }
    if (!opts.managedFieldsSet) {
      const managed = this.patchEngine.recordUpdate({
        old: undefined,
        updated: obj,
        manager: this.manager(ctx),
        type: this.typeInfo(def),
        now: timestamp(),
      });
      if (managed.length) m.managedFields = managed;
      else delete m.managedFields;
    }
    if (def.gr === '/services') this.clusterIps.assign(obj, undefined, ctx.dryRun === true);
    if (ctx.dryRun) return obj;
    const stored = this.store.put(def.gr, def.codec ? def.codec.toStorage(obj) : obj);
    for (const h of this.hooks.afterWrite) safeHook(() => h(def, stored, undefined));
    return this.present(def, stored);
  }

  /** PUT. `subresource` 'status' writes only status; the main resource keeps the stored status. */
  update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    ctx: RequestContext,
    opts: { subresource?: string; managedFieldsSet?: boolean } = {},
  ): KubeObject {
    if (!isPlainObject(body))
      throw errors.badRequest('the body of the request must be a JSON object');
    const ns = def.info.namespaced ? namespace : undefined;
    this.checkTypeMeta(def, body);
    const meta = (body.metadata ??= {});
    if (meta.name !== undefined && meta.name !== name) {
      throw errors.badRequest(
        `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
      );
    }
    if (def.info.namespaced && meta.namespace && meta.namespace !== ns) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const storedOld = this.store.get(def.gr, ns, name);
    if (!storedOld) throw errors.notFound(def.info.resource, def.info.group, name);
    // Everything below works on this resource's API form; conversion to storage is the last step.
    const old = this.present(def, storedOld);
    if (meta.resourceVersion && meta.resourceVersion !== old.metadata?.resourceVersion) {
      throw errors.staleResourceVersion(def.info.resource, def.info.group, name);
    }
    if (meta.uid && meta.uid !== old.metadata?.uid) {
      throw errors.conflict(
        def.info.resource,
        def.info.group,
        name,
        `Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${old.metadata?.uid}`,
      );
    }
    let next: KubeObject;
    const oldMeta = old.metadata!;
    if (opts.subresource === 'finalize') {
      next = structuredClone(old);
      const spec = isPlainObject(body.spec) ? body.spec : {};
      next.spec = {
        ...(isPlainObject(next.spec) ? next.spec : {}),
        finalizers: spec.finalizers ?? [],
      };
    } else if (opts.subresource === 'status') {
      next = structuredClone(old);
      next.status = body.status;
      next.metadata!.managedFields = meta.managedFields ?? oldMeta.managedFields;
      if (body.status === undefined) delete next.status;
    } else {
      next = body;
      if (def.info.subresources.includes('status')) {
        if (old.status === undefined) delete next.status;
        else next.status = structuredClone(old.status);
      }
      const m = next.metadata!;
      m.name = name;
      if (def.info.namespaced) m.namespace = ns;
      else delete m.namespace;
      m.uid = oldMeta.uid;
      m.creationTimestamp = oldMeta.creationTimestamp;
      if (oldMeta.deletionTimestamp) {
        m.deletionTimestamp = oldMeta.deletionTimestamp;
        m.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
        const added = (m.finalizers ?? []).filter((f) => !(oldMeta.finalizers ?? []).includes(f));
        if (added.length) {
          throw errors.invalid(def.info.kind, def.info.group, name, [
            fieldErrors.forbidden(
              'metadata.finalizers',
              'no new finalizers can be added if the object is being deleted',
            ),
          ]);
        }
      } else {
        delete m.deletionTimestamp;
        delete m.deletionGracePeriodSeconds;
      }
      if (oldMeta.generation !== undefined) m.generation = oldMeta.generation;
      else delete m.generation;
    }
    for (const h of this.hooks.prepare) h(def, next, old, ctx);
    next = this.admit(def, next, old, ctx, opts.subresource === 'status');
    const m = next.metadata!;
    m.resourceVersion = oldMeta.resourceVersion;
    if (
      opts.subresource !== 'status' &&
      m.generation !== undefined &&
      this.specChanged(def, old, next)
    ) {
      m.generation = (oldMeta.generation ?? 0) + 1;
    }
    if (!opts.managedFieldsSet) {
      const managed = this.patchEngine.recordUpdate({
        old,
        updated: next,
        manager: this.manager(ctx),
        type: this.typeInfo(def),
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
        now: timestamp(),
      });
      if (managed.length) m.managedFields = managed;
      else delete m.managedFields;
    }
    if (def.gr === '/services') this.clusterIps.assign(next, old, ctx.dryRun === true);
    if (unchanged(old, next)) return old;
    if (ctx.dryRun) return next;
    if (
      m.deletionTimestamp &&
      (m.finalizers ?? []).length === 0 &&
      !this.waitsForNode(def, next) &&
      !namespaceHasSpecFinalizers(def, next)
    ) {
      return this.present(def, this.removeNow(def, next));
    }
    const stored = this.store.put(def.gr, def.codec ? def.codec.toStorage(next) : next);
    for (const h of this.hooks.afterWrite) safeHook(() => h(def, stored, storedOld));
    return this.present(def, stored);
  }

  /** Applies a patch of any type (apply may create). */
  patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patchBody: unknown,
    ctx: RequestContext,
    opts: { subresource?: string; force?: boolean } = {},
  ): KubeObject {
    const ns = def.info.namespaced ? namespace : undefined;
    const stored = this.store.get(def.gr, ns, name);
    const live = stored && this.present(def, stored);
    if (type === 'strategic' && def.info.custom) {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      );
    }
    if (type === 'apply') {
      if (!ctx.fieldManager) {
        throw errors.badRequest(
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        );
      }
      if (!isPlainObject(patchBody))
        throw errors.badRequest('the body of the request must be an object');
      const applied = patchBody as KubeObject;
      this.checkTypeMeta(def, applied);
      if (applied.metadata?.name !== undefined && applied.metadata.name !== name) {
        throw errors.badRequest(
          `the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${name})`,
        );
      }
      if (!live && opts.subresource) throw errors.notFound(def.info.resource, def.info.group, name);
      const merged = this.patchEngine.apply({
        live,
        applied,
        manager: ctx.fieldManager,
        force: opts.force === true,
        type: this.typeInfo(def),
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
        now: timestamp(),
      });
      const mergedCopy = structuredClone(merged);
      const mm = (mergedCopy.metadata ??= {});
      mm.name = name;
      if (def.info.namespaced) mm.namespace = ns;
      if (!live) return this.create(def, ns, mergedCopy, ctx, { managedFieldsSet: true });
      mm.resourceVersion = live.metadata?.resourceVersion;
      return this.update(def, ns, name, mergedCopy, ctx, {
        managedFieldsSet: true,
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
      });
    }
    if (!live) throw errors.notFound(def.info.resource, def.info.group, name);
    let patched: KubeObject;
    if (type === 'json') patched = this.patchEngine.jsonPatch(live, patchBody);
    else {
      if (!isPlainObject(patchBody))
        throw errors.badRequest('the body of the request must be a JSON object');
      patched =
        type === 'merge'
          ? this.patchEngine.mergePatch(live, patchBody)
          : this.patchEngine.strategicMergePatch(live, patchBody, this.typeInfo(def));
    }
    if (!isPlainObject(patched))
      throw errors.badRequest('the patch produced an object that is not a JSON object');
    // Patch engines may share structure with the stored object, which must never be mutated.
    patched = structuredClone(patched);
    const pm = (patched.metadata ??= {});
    if (pm.name !== name) {
      throw errors.badRequest(
        `the name of the object (${String(pm.name)}) does not match the name on the URL (${name})`,
      );
    }
    // An unset resourceVersion after patching means "unconditional", as for the real server.
    pm.resourceVersion ??= live.metadata?.resourceVersion;
    return this.update(
      def,
      ns,
      name,
      patched,
      ctx,
      opts.subresource ? { subresource: opts.subresource } : {},
    );
  }

  private waitsForNode(def: ResourceDef, obj: KubeObject): boolean {
    if (def.gr !== '/pods' || !this.gracefulPodDeletion) return false;
    const grace = obj.metadata?.deletionGracePeriodSeconds ?? 0;
    return grace > 0 && Boolean((obj.spec as { nodeName?: string } | undefined)?.nodeName);
  }

  private removeNow(def: ResourceDef, obj: KubeObject): KubeObject {
    const removed =
      this.store.remove(def.gr, obj.metadata?.namespace, obj.metadata?.name ?? '') ?? obj;
    if (def.gr === '/services') this.clusterIps.release(removed);
    for (const h of this.hooks.afterDelete) safeHook(() => h(def, removed));
    return removed;
  }

  delete(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    options: DeleteOptionsBody,
    ctx: RequestContext,
  ): KubeObject {
    const ns = def.info.namespaced ? namespace : undefined;
    const old = this.store.get(def.gr, ns, name);
    if (!old) throw errors.notFound(def.info.resource, def.info.group, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== old.metadata?.uid) {
      throw errors.conflict(
        def.info.resource,
        def.info.group,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata?.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata?.resourceVersion) {
      throw errors.conflict(
        def.info.resource,
        def.info.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata?.resourceVersion}`,
      );
    }
    let policy = options.propagationPolicy;
    if (policy === undefined && options.orphanDependents !== undefined) {
      policy = options.orphanDependents ? 'Orphan' : 'Background';
    }
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw errors.invalid('DeleteOptions', 'meta.k8s.io', '', [
        fieldErrors.notSupported('propagationPolicy', policy, [
          'Foreground',
          'Background',
          'Orphan',
          'nil',
        ]),
      ]);
    }
    const next = structuredClone(old);
    const m = next.metadata!;
    const finalizers = [...(m.finalizers ?? [])];
    const addFinalizer = (f: string): void => {
      if (!finalizers.includes(f)) finalizers.push(f);
    };
    const removeFinalizer = (f: string): void => {
      const i = finalizers.indexOf(f);
      if (i >= 0) finalizers.splice(i, 1);
    };
    if (policy === 'Orphan') {
      addFinalizer('orphan');
      removeFinalizer('foregroundDeletion');
    } else if (policy === 'Foreground' && this.hasDependents(old)) {
      addFinalizer('foregroundDeletion');
      removeFinalizer('orphan');
    } else if (policy === 'Foreground' || policy === 'Background') {
      if (!m.deletionTimestamp) {
        removeFinalizer('orphan');
      }
    }
    if (policy === 'Orphan' && !this.hasDependents(old)) removeFinalizer('orphan');
    let grace = options.gracePeriodSeconds;
    if (
      def.gr === '/pods' &&
      this.gracefulPodDeletion &&
      (next.spec as { nodeName?: string } | undefined)?.nodeName
    ) {
      grace ??=
        (next.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ??
        30;
    } else grace = 0;
    const namespaceWaits = def.gr === '/namespaces';
    const mustWait = finalizers.length > 0 || grace > 0 || namespaceWaits;
    if (!mustWait) {
      if (ctx.dryRun) return this.present(def, old);
      const removed = this.removeNow(def, old);
      return successStatus(def, removed);
    }
    if (m.deletionTimestamp) {
      // Already terminating: only finalizer changes from the new policy matter.
      if (deepEqual(finalizers, m.finalizers ?? [])) return this.present(def, old);
    } else {
      m.deletionTimestamp = timestamp(new Date(Date.now() + grace * 1000));
      m.deletionGracePeriodSeconds = grace;
      if (m.generation !== undefined) m.generation += 1;
    }
    if (finalizers.length) m.finalizers = finalizers;
    else delete m.finalizers;
    if (namespaceWaits) {
      next.status = { ...(isPlainObject(next.status) ? next.status : {}), phase: 'Terminating' };
    }
    if (ctx.dryRun) return this.present(def, next);
    const stored = this.store.put(def.gr, next);
    for (const h of this.hooks.afterWrite) safeHook(() => h(def, stored, old));
    return this.present(def, stored);
  }

  private hasDependents(owner: KubeObject): boolean {
    return this.dependentsOf?.(owner.metadata?.uid ?? '') ?? false;
  }

  /** Installed by the garbage collector: whether an owner uid has dependents. */
  dependentsOf: ((uid: string) => boolean) | undefined;

  deleteCollection(
    def: ResourceDef,
    namespace: string | undefined,
    query: ListQuery,
    options: DeleteOptionsBody,
    ctx: RequestContext,
  ): KubeObject {
    const list = this.list(def, namespace, {
      ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}),
      ...(query.fieldSelector ? { fieldSelector: query.fieldSelector } : {}),
    });
    const items: KubeObject[] = [];
    for (const obj of list.items as KubeObject[]) {
      try {
        const res = this.delete(
          def,
          obj.metadata?.namespace,
          obj.metadata?.name ?? '',
          options,
          ctx,
        );
        items.push(res.kind === 'Status' ? obj : res);
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
      }
    }
    return { ...list, items };
  }

  // ------------------------------------------------------------------ scale

  scaleOf(def: ResourceDef, obj: KubeObject): KubeObject {
    const paths = this.scalePaths(def);
    const selectorValue = paths.selector ? readJsonPath(obj, paths.selector) : undefined;
    const selector =
      typeof selectorValue === 'string'
        ? selectorValue
        : isPlainObject(selectorValue)
          ? labelSelectorString(selectorValue)
          : undefined;
    const meta = obj.metadata!;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
        creationTimestamp: meta.creationTimestamp,
      },
      spec: { replicas: Number(readJsonPath(obj, paths.spec) ?? 0) },
      status: {
        replicas: Number(readJsonPath(obj, paths.status) ?? 0),
        ...(selector ? { selector } : {}),
      },
    };
  }

  private scalePaths(def: ResourceDef): { spec: string; status: string; selector?: string } {
    if (def.info.scale) {
      return {
        spec: def.info.scale.specReplicasPath,
        status: def.info.scale.statusReplicasPath,
        ...(def.info.scale.labelSelectorPath ? { selector: def.info.scale.labelSelectorPath } : {}),
      };
    }
    return { spec: '.spec.replicas', status: '.status.replicas', selector: '.spec.selector' };
  }

  /** PUT or PATCH of the scale subresource: writes spec replicas of the parent. */
  updateScale(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    scale: KubeObject,
    ctx: RequestContext,
  ): KubeObject {
    const live = this.get(def, namespace, name);
    const rv = scale.metadata?.resourceVersion;
    if (rv && rv !== live.metadata?.resourceVersion) {
      throw errors.staleResourceVersion(def.info.resource, def.info.group, name);
    }
    const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('Scale', 'autoscaling', name, [
        fieldErrors.invalid('spec.replicas', replicas, 'must be greater than or equal to 0'),
      ]);
    }
    const next = structuredClone(live);
    writeJsonPath(next, this.scalePaths(def).spec, replicas);
    const updated = this.update(def, namespace, name, next, ctx);
    return this.scaleOf(def, updated);
  }
}

/** After-commit hooks must not turn a committed write into an error response. */
function safeHook(run: () => void): void {
  try {
    run();
  } catch (err) {
    if (process.env.KUBE_SANDBOX_DEBUG) console.error('after-commit hook failed', err);
  }
}

function namespaceHasSpecFinalizers(def: ResourceDef, obj: KubeObject): boolean {
  if (def.gr !== '/namespaces') return false;
  const f = (obj.spec as { finalizers?: unknown } | undefined)?.finalizers;
  return Array.isArray(f) && f.length > 0;
}

function unchanged(old: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject): KubeObject => {
    const { managedFields: _mf, resourceVersion: _rv, ...meta } = o.metadata ?? {};
    return { ...o, metadata: meta };
  };
  if (!deepEqual(strip(old), strip(next))) return false;
  // managedFields changes only in timestamps do not count.
  const names = (o: KubeObject): unknown =>
    (o.metadata?.managedFields ?? []).map((e) => ({ ...e, time: undefined }));
  return deepEqual(names(old), names(next));
}

export function successStatus(def: ResourceDef, obj: KubeObject): KubeObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: obj.metadata?.name,
      ...(def.info.group ? { group: def.info.group } : {}),
      kind: def.info.resource,
      uid: obj.metadata?.uid,
    },
  };
}

function dedupeCauses(causes: StatusCause[]): StatusCause[] {
  const seen = new Set<string>();
  return causes.filter((c) => {
    const key = `${c.field}|${c.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
