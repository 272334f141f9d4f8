import type { KubeClient } from './client.ts';
import { GoneError, isGone } from './errors.ts';
import { silentLogger, type Logger } from './logger.ts';
import { objectKey } from './object-key.ts';
import type { KubeObject, TypeRef } from './types.ts';
import { sleep } from './sleep.ts';

export interface EventHandler<T extends KubeObject = KubeObject> {
  onAdd?(obj: T): void | Promise<void>;
  /** Every update carries the previous cached object and the new one. */
  onUpdate?(oldObj: T, newObj: T): void | Promise<void>;
  onDelete?(obj: T): void | Promise<void>;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of the initial and recovery lists. Default 500. */
  pageSize?: number;
  /** Replays every cached object as an update (old === new) this often. Off by default. */
  resyncPeriodMs?: number;
  /** Applied to every object before it is cached (see stripManagedFields). */
  transform?: (obj: KubeObject) => KubeObject;
  /** Cache only metadata (PartialObjectMetadata), for big kinds such as Secrets and ConfigMaps. */
  metadataOnly?: boolean;
  logger?: Logger;
  /** Server-side watch timeout range, randomized to spread re-watches (seconds). */
  watchTimeoutSeconds?: number;
  /** Client-side: a watch with no event and no bookmark for this long is restarted. */
  inactivityTimeoutMs?: number;
}

/** Drops metadata.managedFields: most of the bytes of a typical object, never needed by controllers. */
export function stripManagedFields(obj: KubeObject): KubeObject {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _drop, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** Keeps apiVersion, kind and metadata (the fallback when the server ignores the metadata Accept). */
export function toPartialObjectMetadata(obj: KubeObject): KubeObject {
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata };
}

const SHORT_WATCH_MS = 1000;

const METADATA_LIST_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_ACCEPT =
  'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/**
 * List + watch cache of one kind in one scope. Unlike client-node's informer it never stops on
 * errors: it resumes from the last resourceVersion after any disconnect (bookmarks keep it fresh),
 * re-lists only on 410, awaits handlers one event at a time and isolates their errors.
 */
export class Informer<T extends KubeObject = KubeObject> {
  readonly type: TypeRef;
  private readonly client: KubeClient;
  private readonly opts: InformerOptions;
  private readonly log: Logger;
  private readonly store = new Map<string, T>();
  private readonly handlers = new Set<EventHandler<T>>();
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private resourceVersion = '';
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Count of list calls: a re-list storm shows here. */
  lists = 0;
  watches = 0;
  lastError: unknown;

  constructor(client: KubeClient, type: TypeRef, opts: InformerOptions = {}) {
    this.client = client;
    this.type = type;
    this.opts = opts;
    this.log = (opts.logger ?? silentLogger).child({
      informer: `${type.kind}${opts.namespace ? `@${opts.namespace}` : ''}`,
    });
  }

  /** Adds a handler; if the cache is already filled it gets an add for each cached object first. */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.synced) for (const obj of this.store.values()) void this.call(handler, 'onAdd', obj);
    return () => this.handlers.delete(handler);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  getByName(name: string, namespace?: string): T | undefined {
    return this.store.get(objectKey({ name, namespace }));
  }

  list(filter?: { namespace?: string; labels?: Record<string, string> }): T[] {
    const all = [...this.store.values()];
    if (!filter) return all;
    return all.filter(
      (o) =>
        (!filter.namespace || o.metadata?.namespace === filter.namespace) &&
        Object.entries(filter.labels ?? {}).every(([k, v]) => o.metadata?.labels?.[k] === v),
    );
  }

  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.running = this.run(signal);
    if (this.opts.resyncPeriodMs) {
      this.resyncTimer = setInterval(() => void this.resync(), this.opts.resyncPeriodMs);
      this.resyncTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    clearInterval(this.resyncTimer);
    await this.running;
    this.running = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        await this.watch(signal);
        failures = 0; // the server closed a healthy watch: resume from the last resourceVersion
      } catch (e) {
        if (signal.aborted) break;
        this.lastError = e;
        if (isGone(e)) {
          this.log.info('resourceVersion expired; re-listing');
          needList = true;
          continue;
        }
        failures++;
        const delay =
          Math.min(30_000, 200 * 2 ** Math.min(failures, 8)) * (0.5 + Math.random() / 2);
        this.log.warn({ err: e, retryInMs: Math.round(delay) }, 'list/watch failed; retrying');
        await sleep(delay, signal);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    this.lists++;
    const list = await this.client.listAll<T>(this.type, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      limit: this.opts.pageSize ?? 500,
      accept: this.opts.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
      signal,
    });
    if (signal.aborted) return;
    const fresh = new Map<string, T>();
    for (const item of list.items) {
      const obj = this.prepare({ apiVersion: this.type.apiVersion, kind: this.type.kind, ...item });
      fresh.set(objectKey(obj.metadata ?? {}), obj);
    }
    // Replace the cache, emitting the differences (deletes seen only as absence in the list).
    for (const [key, old] of this.store) {
      if (!fresh.has(key)) {
        this.store.delete(key);
        await this.dispatch('onDelete', old);
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.store.get(key);
      this.store.set(key, obj);
      if (!old) await this.dispatch('onAdd', obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
        await this.dispatch('onUpdate', old, obj);
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      this.syncWaiters.splice(0).forEach((f) => f());
    }
  }

  private async watch(signal: AbortSignal): Promise<void> {
    this.watches++;
    const startedAt = Date.now();
    let received = 0;
    const timeout = this.opts.watchTimeoutSeconds ?? 300;
    const events = this.client.watch<T>(this.type, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.round(timeout * (1 + Math.random())),
      accept: this.opts.metadataOnly ? METADATA_ACCEPT : undefined,
      inactivityTimeoutMs: this.opts.inactivityTimeoutMs ?? (timeout * 2 + 60) * 1000,
      signal,
    });
    for await (const ev of events) {
      received++;
      const rv = ev.object?.metadata?.resourceVersion;
      if (ev.type === 'BOOKMARK') {
        if (rv) this.resourceVersion = rv;
        continue;
      }
      const obj = this.prepare({
        apiVersion: this.type.apiVersion,
        kind: this.type.kind,
        ...ev.object,
      });
      const key = objectKey(obj.metadata ?? {});
      const old = this.store.get(key);
      if (ev.type === 'DELETED') {
        this.store.delete(key);
        await this.dispatch('onDelete', obj);
      } else {
        this.store.set(key, obj);
        if (old) await this.dispatch('onUpdate', old, obj);
        else await this.dispatch('onAdd', obj);
      }
      if (rv) this.resourceVersion = rv;
    }
    if (!this.resourceVersion)
      throw new GoneError(410, { reason: 'Gone', message: 'no resourceVersion' });
    // As client-go's reflector: a watch closed at once with nothing in it is a failure (a proxy
    // or server dropping watches), so the retry backs off instead of spinning.
    if (received === 0 && Date.now() - startedAt < SHORT_WATCH_MS && !signal.aborted)
      throw new Error('very short watch: closed within a second without any event');
  }

  private prepare(obj: KubeObject): T {
    let o = obj;
    if (this.opts.metadataOnly)
      o = toPartialObjectMetadata({ ...o, apiVersion: this.type.apiVersion, kind: this.type.kind });
    if (this.opts.transform) o = this.opts.transform(o);
    return o as T;
  }

  private async resync(): Promise<void> {
    if (!this.synced) return;
    for (const obj of this.store.values()) await this.dispatch('onUpdate', obj, obj);
  }

  private async dispatch(kind: keyof EventHandler<T>, a: T, b?: T): Promise<void> {
    for (const h of this.handlers) await this.call(h, kind, a, b);
  }

  private async call(h: EventHandler<T>, kind: keyof EventHandler<T>, a: T, b?: T): Promise<void> {
    try {
      if (kind === 'onUpdate') await h.onUpdate?.(a, b!);
      else await h[kind]?.(a);
    } catch (err) {
      this.log.error(
        { err, event: kind, key: objectKey(a.metadata ?? { name: '?' }) },
        'event handler failed',
      );
    }
  }
}
