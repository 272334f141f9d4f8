import type { KubeClient } from './client.ts';
import {
  Informer,
  stripManagedFields,
  type EventHandler,
  type InformerOptions,
} from './informer.ts';
import { silentLogger, type Logger } from './logger.ts';
import { typeKey } from './resources.ts';
import type { KubeObject, TypeRef } from './types.ts';

/** Which namespaces the caches watch: all, a fixed list, or those whose labels match a selector. */
export type NamespaceScope =
  | { kind: 'all' }
  | { kind: 'list'; namespaces: string[] }
  | { kind: 'selector'; labelSelector: string };

/** The read side shared by controllers: one per kind (and options) per manager. */
export interface SharedInformer<T extends KubeObject = KubeObject> {
  readonly type: TypeRef;
  addEventHandler(handler: EventHandler<T>): () => void;
  get(key: string): T | undefined;
  getByName(name: string, namespace?: string): T | undefined;
  list(filter?: { namespace?: string; labels?: Record<string, string> }): T[];
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  /** Lists and watches made so far, and the last list/watch error (e.g. a ForbiddenError). */
  stats(): { lists: number; watches: number; lastError: unknown };
}

export interface InformerRequest {
  metadataOnly?: boolean;
  labelSelector?: string;
  transform?: (obj: KubeObject) => KubeObject;
}

/**
 * A kind's cache across a namespace scope: one list+watch per namespace (or one for all), and for a
 * label-selected scope it starts and stops per-namespace caches as namespaces come and go.
 */
class ScopedInformer<T extends KubeObject> implements SharedInformer<T> {
  readonly type: TypeRef;
  private readonly inner = new Map<string, Informer<T>>();
  private readonly handlers = new Set<EventHandler<T>>();
  private started = false;
  private namespaceInformer: SharedInformer | undefined;
  private readonly make: (namespace?: string) => Informer<T>;
  private readonly client: KubeClient;
  private readonly scope: NamespaceScope;
  private readonly namespaces: () => SharedInformer;
  private resolved: Promise<void> | undefined;
  private markStarted!: () => void;
  private readonly startedOnce = new Promise<void>((r) => (this.markStarted = r));

  constructor(
    client: KubeClient,
    type: TypeRef,
    scope: NamespaceScope,
    make: (namespace?: string) => Informer<T>,
    namespaces: () => SharedInformer,
  ) {
    this.client = client;
    this.type = type;
    this.scope = scope;
    this.make = make;
    this.namespaces = namespaces;
  }

  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    const removers = [...this.inner.values()].map((i) => i.addEventHandler(handler));
    return () => {
      this.handlers.delete(handler);
      removers.forEach((r) => r());
    };
  }

  private addNamespace(ns: string | undefined): void {
    const key = ns ?? '';
    if (this.inner.has(key)) return;
    const inf = this.make(ns);
    for (const h of this.handlers) inf.addEventHandler(h);
    this.inner.set(key, inf);
    if (this.started) inf.start();
  }

  private async removeNamespace(ns: string): Promise<void> {
    const inf = this.inner.get(ns);
    if (!inf) return;
    this.inner.delete(ns);
    await inf.stop();
    for (const obj of inf.list()) for (const h of this.handlers) await h.onDelete?.(obj);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.resolved = this.client.resource(this.type).then(
      (info) => this.startScoped(info.namespaced),
      () => this.startScoped(true), // discovery failed: treat as namespaced, the watch will report
    );
    this.markStarted();
  }

  private startScoped(namespaced: boolean): void {
    if (!namespaced || this.scope.kind === 'all') this.addNamespace(undefined);
    else if (this.scope.kind === 'list') this.scope.namespaces.forEach((n) => this.addNamespace(n));
    else {
      this.namespaceInformer = this.namespaces();
      this.namespaceInformer.addEventHandler({
        onAdd: (ns) => this.addNamespace(ns.metadata?.name),
        onUpdate: (_o, ns) => this.addNamespace(ns.metadata?.name),
        onDelete: (ns) => this.removeNamespace(ns.metadata?.name ?? ''),
      });
    }
    for (const i of this.inner.values()) i.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.resolved;
    await Promise.all([...this.inner.values()].map((i) => i.stop()));
  }

  get(key: string): T | undefined {
    for (const i of this.inner.values()) {
      const o = i.get(key);
      if (o) return o;
    }
    return undefined;
  }

  getByName(name: string, namespace?: string): T | undefined {
    return this.get(namespace ? `${namespace}/${name}` : name);
  }

  list(filter?: { namespace?: string; labels?: Record<string, string> }): T[] {
    return [...this.inner.values()].flatMap((i) => i.list(filter));
  }

  stats(): { lists: number; watches: number; lastError: unknown } {
    const all = [...this.inner.values()];
    return {
      lists: all.reduce((n, i) => n + i.lists, 0),
      watches: all.reduce((n, i) => n + i.watches, 0),
      lastError: all.map((i) => i.lastError).find((e) => e !== undefined),
    };
  }

  hasSynced(): boolean {
    if (!this.resolved) return false;
    if (this.namespaceInformer && !this.namespaceInformer.hasSynced()) return false;
    if (this.inner.size === 0) return this.namespaceInformer !== undefined;
    return [...this.inner.values()].every((i) => i.hasSynced());
  }

  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (!this.resolved) {
      // not started yet: wait for start() (or the abort)
      const aborted = new Promise<void>((r) =>
        signal?.addEventListener('abort', () => r(), { once: true }),
      );
      await Promise.race([this.startedOnce, aborted]);
    }
    while (!signal?.aborted) {
      await this.resolved;
      if (this.namespaceInformer && !(await this.namespaceInformer.waitForSync(signal)))
        return false;
      const pending = [...this.inner.values()].filter((i) => !i.hasSynced());
      if (!pending.length && this.hasSynced()) return true;
      const ok = await Promise.all(pending.map((i) => i.waitForSync(signal)));
      if (ok.includes(false)) return false;
      if (!pending.length) await new Promise((r) => setTimeout(r, 50)); // never spin
    }
    return false;
  }
}

export interface InformerFactoryOptions {
  namespaces?: NamespaceScope;
  logger?: Logger;
  resyncPeriodMs?: number;
  /** Default transform for every informer; stripManagedFields unless set. */
  transform?: (obj: KubeObject) => KubeObject;
  pageSize?: number;
  watchTimeoutSeconds?: number;
}

/** Shares one cache per kind + options among all controllers of a manager. */
export class InformerFactory {
  private readonly client: KubeClient;
  private readonly opts: InformerFactoryOptions;
  private readonly informers = new Map<string, ScopedInformer<KubeObject>>();
  private started = false;
  private readonly log: Logger;

  constructor(client: KubeClient, opts: InformerFactoryOptions = {}) {
    this.client = client;
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
  }

  informerFor<T extends KubeObject = KubeObject>(
    type: TypeRef,
    req: InformerRequest = {},
  ): SharedInformer<T> {
    const key = `${typeKey(type)}|${req.labelSelector ?? ''}|${req.metadataOnly ? 'meta' : 'full'}`;
    let inf = this.informers.get(key);
    if (!inf) {
      const scope = this.opts.namespaces ?? { kind: 'all' };
      const make = (namespace?: string) => {
        const o: InformerOptions = {
          namespace,
          labelSelector: req.labelSelector,
          metadataOnly: req.metadataOnly,
          transform: req.transform ?? this.opts.transform ?? stripManagedFields,
          resyncPeriodMs: this.opts.resyncPeriodMs,
          pageSize: this.opts.pageSize,
          watchTimeoutSeconds: this.opts.watchTimeoutSeconds,
          logger: this.log,
        };
        return new Informer<KubeObject>(this.client, type, o);
      };
      const nsSelector = scope.kind === 'selector' ? scope.labelSelector : undefined;
      inf = new ScopedInformer(this.client, type, scope, make, () =>
        this.informerFor(
          { apiVersion: 'v1', kind: 'Namespace' },
          { metadataOnly: true, labelSelector: nsSelector },
        ),
      );
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf as unknown as SharedInformer<T>;
  }

  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      const all = [...this.informers.values()];
      const ok = await Promise.all(all.map((i) => i.waitForSync(signal)));
      if (ok.includes(false)) return false;
      if (this.informers.size === all.length) return true; // none were added meanwhile
    }
  }
}
