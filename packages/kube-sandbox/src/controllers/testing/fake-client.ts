// An in-memory SandboxClient for the controllers' own tests: one resourceVersion sequence, 409 on
// stale updates, generation bumped on spec changes, status/main write separation, finalizers,
// background garbage collection by ownerReferences, and watch events (410 for versions older than
// its bounded history).
import type {
  DeleteOptions,
  ListOptions,
  PatchType,
  SandboxClient,
  WatchOptions,
} from '../../core/contracts.ts';
import { errors } from '../../core/errors.ts';
import type { GroupVersionResource, KubeObject, WatchEvent } from '../../core/types.ts';
import { selectorMatches } from '../util/objects.ts';

const KINDS: Record<string, { kind: string; namespaced: boolean }> = {
  pods: { kind: 'Pod', namespaced: true },
  services: { kind: 'Service', namespaced: true },
  endpoints: { kind: 'Endpoints', namespaced: true },
  nodes: { kind: 'Node', namespaced: false },
  persistentvolumeclaims: { kind: 'PersistentVolumeClaim', namespaced: true },
  persistentvolumes: { kind: 'PersistentVolume', namespaced: false },
  events: { kind: 'Event', namespaced: true },
  deployments: { kind: 'Deployment', namespaced: true },
  replicasets: { kind: 'ReplicaSet', namespaced: true },
  statefulsets: { kind: 'StatefulSet', namespaced: true },
  daemonsets: { kind: 'DaemonSet', namespaced: true },
  jobs: { kind: 'Job', namespaced: true },
  cronjobs: { kind: 'CronJob', namespaced: true },
  endpointslices: { kind: 'EndpointSlice', namespaced: true },
  storageclasses: { kind: 'StorageClass', namespaced: false },
  poddisruptionbudgets: { kind: 'PodDisruptionBudget', namespaced: true },
};
const NO_STATUS = new Set(['services', 'endpoints', 'events', 'endpointslices', 'storageclasses']);

interface Stored {
  gvr: GroupVersionResource;
  obj: KubeObject;
}

interface Watcher {
  gvr: GroupVersionResource;
  opts: WatchOptions;
  onEvent: (e: WatchEvent) => void;
}

export class FakeClient implements SandboxClient {
  #rv = 100;
  #uid = 0;
  #objects = new Map<string, Stored>();
  #history: { rv: number; gvrKey: string; event: WatchEvent }[] = [];
  #watchers = new Set<Watcher>();
  /** Events kept for watch resumption; older versions get 410. */
  historyLimit = 10000;
  /** Makes creates fail (return a StatusError) for tests of error handling. */
  failCreate: ((gvr: GroupVersionResource, obj: KubeObject) => Error | undefined) | undefined;
  /** Records every write for assertions. */
  readonly writes: { verb: string; resource: string; name: string; subresource?: string }[] = [];

  #key(gvr: GroupVersionResource, ns: string | undefined, name: string): string {
    return `${gvr.group}/${gvr.resource}/${ns ?? ''}/${name}`;
  }

  #gvrKey(gvr: GroupVersionResource): string {
    return `${gvr.group}/${gvr.resource}`;
  }

  #emit(gvr: GroupVersionResource, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    const event: WatchEvent = { type, object: structuredClone(obj) };
    this.#history.push({ rv: this.#rv, gvrKey: this.#gvrKey(gvr), event });
    if (this.#history.length > this.historyLimit) this.#history.shift();
    for (const w of this.#watchers) {
      if (this.#gvrKey(w.gvr) !== this.#gvrKey(gvr)) continue;
      if (!this.#matches(obj, w.opts)) continue;
      const deliver = { type, object: structuredClone(obj) };
      queueMicrotask(() => {
        if (this.#watchers.has(w)) w.onEvent(deliver);
      });
    }
  }

  #matches(obj: KubeObject, opts: ListOptions): boolean {
    if (opts.namespace && obj.metadata?.namespace !== opts.namespace) return false;
    if (opts.labelSelector) {
      const matchLabels = Object.fromEntries(
        opts.labelSelector.split(',').map((p) => p.split('=') as [string, string]),
      );
      if (!selectorMatches({ matchLabels }, obj.metadata?.labels)) return false;
    }
    return true;
  }

  get(
    gvr: GroupVersionResource,
    ns: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    const stored = this.#objects.get(this.#key(gvr, ns, name));
    return Promise.resolve(stored ? structuredClone(stored.obj) : undefined);
  }

  /** Synchronous peek for assertions. */
  peek(gvr: GroupVersionResource, ns: string | undefined, name: string): KubeObject | undefined {
    return this.#objects.get(this.#key(gvr, ns, name))?.obj;
  }

  all(gvr: GroupVersionResource, ns?: string): KubeObject[] {
    return [...this.#objects.values()]
      .filter((s) => this.#gvrKey(s.gvr) === this.#gvrKey(gvr))
      .filter((s) => ns === undefined || s.obj.metadata?.namespace === ns)
      .map((s) => s.obj);
  }

  list(
    gvr: GroupVersionResource,
    opts: ListOptions = {},
  ): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const items = this.all(gvr)
      .filter((o) => this.#matches(o, opts))
      .map((o) => structuredClone(o));
    return Promise.resolve({ items, resourceVersion: String(this.#rv) });
  }

  watch(
    gvr: GroupVersionResource,
    opts: WatchOptions,
    onEvent: (event: WatchEvent) => void,
  ): { stop(): void } {
    const watcher: Watcher = { gvr, opts, onEvent };
    const from = opts.resourceVersion === undefined ? undefined : Number(opts.resourceVersion);
    const oldest = this.#history[0]?.rv ?? this.#rv;
    if (from !== undefined && from < oldest - 1 && from < this.#rv) {
      queueMicrotask(() =>
        onEvent({
          type: 'ERROR',
          object: errors.resourceVersionTooOld(String(from), String(oldest)).toStatus(),
        }),
      );
      return { stop: () => undefined };
    }
    const backlog =
      from === undefined
        ? this.all(gvr)
            .filter((o) => this.#matches(o, opts))
            .map((o): WatchEvent => ({ type: 'ADDED', object: structuredClone(o) }))
        : this.#history
            .filter((h) => h.rv > from && h.gvrKey === this.#gvrKey(gvr))
            .filter((h) => this.#matches(h.event.object, opts))
            .map((h) => h.event);
    this.#watchers.add(watcher);
    queueMicrotask(() => {
      for (const e of backlog) if (this.#watchers.has(watcher)) onEvent(structuredClone(e));
    });
    return { stop: () => this.#watchers.delete(watcher) };
  }

  /** Ends every watch with an ERROR 410, as a server whose history expired would. */
  expireWatches(): void {
    for (const w of [...this.#watchers]) {
      this.#watchers.delete(w);
      w.onEvent({ type: 'ERROR', object: errors.gone('too old resource version').toStatus() });
    }
  }

  create(gvr: GroupVersionResource, input: KubeObject): Promise<KubeObject> {
    const injected = this.failCreate?.(gvr, input);
    if (injected) return Promise.reject(injected);
    const info = KINDS[gvr.resource] ?? { kind: gvr.resource, namespaced: true };
    const obj = structuredClone(input);
    const meta = (obj.metadata ??= {});
    if (!meta.name && meta.generateName)
      meta.name = `${meta.generateName}${(++this.#uid).toString(36).padStart(5, 'x')}`;
    if (!meta.name)
      return Promise.reject(
        errors.invalid(info.kind, gvr.group, '', [
          { reason: 'FieldValueRequired', message: 'Required value', field: 'metadata.name' },
        ]),
      );
    if (!info.namespaced) delete meta.namespace;
    const key = this.#key(gvr, meta.namespace, meta.name);
    if (this.#objects.has(key))
      return Promise.reject(errors.alreadyExists(gvr.resource, gvr.group, meta.name));
    meta.uid = `uid-${++this.#uid}`;
    meta.resourceVersion = String(++this.#rv);
    meta.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    meta.generation = 1;
    delete meta.deletionTimestamp;
    obj.apiVersion = gvr.group ? `${gvr.group}/${gvr.version}` : gvr.version;
    obj.kind = info.kind;
    this.#objects.set(key, { gvr, obj });
    this.writes.push({ verb: 'create', resource: gvr.resource, name: meta.name });
    this.#emit(gvr, 'ADDED', obj);
    return Promise.resolve(structuredClone(obj));
  }

  update(
    gvr: GroupVersionResource,
    input: KubeObject,
    opts: { subresource?: string } = {},
  ): Promise<KubeObject> {
    const meta = input.metadata ?? {};
    const key = this.#key(gvr, meta.namespace, meta.name ?? '');
    const stored = this.#objects.get(key);
    if (!stored) return Promise.reject(errors.notFound(gvr.resource, gvr.group, meta.name ?? ''));
    if (meta.resourceVersion && meta.resourceVersion !== stored.obj.metadata?.resourceVersion) {
      return Promise.reject(errors.staleResourceVersion(gvr.resource, gvr.group, meta.name ?? ''));
    }
    return Promise.resolve(this.#write(gvr, stored, structuredClone(input), opts.subresource));
  }

  #write(
    gvr: GroupVersionResource,
    stored: Stored,
    next: KubeObject,
    subresource?: string,
  ): KubeObject {
    const old = stored.obj;
    const hasStatus = !NO_STATUS.has(gvr.resource);
    let result: KubeObject;
    if (subresource === 'status') {
      result = { ...structuredClone(old), status: next.status };
    } else {
      result = { ...next, metadata: { ...next.metadata } };
      if (hasStatus) result.status = structuredClone(old.status);
      const m = (result.metadata ??= {});
      m.uid = old.metadata?.uid;
      m.creationTimestamp = old.metadata?.creationTimestamp;
      m.deletionTimestamp = old.metadata?.deletionTimestamp;
      m.generation = old.metadata?.generation;
      const specOf = (o: KubeObject) => {
        const { metadata: _m, status: _s, ...rest } = o;
        return JSON.stringify(rest);
      };
      if (hasStatus && specOf(old) !== specOf(result))
        m.generation = (old.metadata?.generation ?? 1) + 1;
    }
    result.apiVersion = old.apiVersion;
    result.kind = old.kind;
    if (JSON.stringify(result) === JSON.stringify(old)) return structuredClone(old);
    result.metadata = { ...result.metadata, resourceVersion: String(++this.#rv) };
    this.writes.push({
      verb: 'update',
      resource: gvr.resource,
      name: result.metadata?.name ?? '',
      ...(subresource ? { subresource } : {}),
    });
    if (result.metadata?.deletionTimestamp && (result.metadata.finalizers ?? []).length === 0) {
      this.#remove(gvr, stored.obj);
      return structuredClone(result);
    }
    stored.obj = result;
    this.#emit(gvr, 'MODIFIED', result);
    return structuredClone(result);
  }

  patch(
    gvr: GroupVersionResource,
    ns: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: { subresource?: string } = {},
  ): Promise<KubeObject> {
    const stored = this.#objects.get(this.#key(gvr, ns, name));
    if (!stored) return Promise.reject(errors.notFound(gvr.resource, gvr.group, name));
    if (type !== 'merge' && type !== 'strategic')
      return Promise.reject(errors.badRequest(`fake client: ${type} patch unsupported`));
    const next = mergePatch(structuredClone(stored.obj), patch) as KubeObject;
    return Promise.resolve(this.#write(gvr, stored, next, opts.subresource));
  }

  delete(
    gvr: GroupVersionResource,
    ns: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<KubeObject | undefined> {
    const stored = this.#objects.get(this.#key(gvr, ns, name));
    if (!stored) return Promise.reject(errors.notFound(gvr.resource, gvr.group, name));
    if (opts.preconditions?.uid && opts.preconditions.uid !== stored.obj.metadata?.uid) {
      return Promise.reject(
        errors.conflict(gvr.resource, gvr.group, name, 'Precondition failed: UID in precondition'),
      );
    }
    this.writes.push({ verb: 'delete', resource: gvr.resource, name });
    if ((stored.obj.metadata?.finalizers ?? []).length > 0) {
      if (!stored.obj.metadata?.deletionTimestamp) {
        const next = structuredClone(stored.obj);
        next.metadata = {
          ...next.metadata,
          deletionTimestamp: new Date().toISOString(),
          resourceVersion: String(++this.#rv),
        };
        stored.obj = next;
        this.#emit(gvr, 'MODIFIED', next);
      }
      return Promise.resolve(structuredClone(stored.obj));
    }
    this.#remove(gvr, stored.obj);
    if (opts.propagationPolicy !== 'Orphan') this.#collect(stored.obj);
    return Promise.resolve(structuredClone(stored.obj));
  }

  #remove(gvr: GroupVersionResource, obj: KubeObject): void {
    this.#objects.delete(this.#key(gvr, obj.metadata?.namespace, obj.metadata?.name ?? ''));
    this.#rv++;
    this.#emit(gvr, 'DELETED', {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(this.#rv) },
    });
  }

  /** Background garbage collection: dependents whose every owner is gone are deleted. */
  #collect(owner: KubeObject): void {
    for (const s of [...this.#objects.values()]) {
      const refs = s.obj.metadata?.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === owner.metadata?.uid)) continue;
      const alive = refs.filter(
        (r) =>
          r.uid !== owner.metadata?.uid &&
          [...this.#objects.values()].some((o) => o.obj.metadata?.uid === r.uid),
      );
      if (alive.length > 0) continue;
      void this.delete(s.gvr, s.obj.metadata?.namespace, s.obj.metadata?.name ?? '', {});
    }
  }
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
