// An informer-like cache of one resource: list, then watch from the list's resourceVersion; on a
// watch ERROR (410 Gone/Expired or anything else), when the server ends the watch, and
// periodically (a slow safety net), re-list, diff against the cache
// (emitting the differences as events) and watch again, so no change is lost.
import type { SandboxClient } from '../../core/contracts.ts';
import type { GroupVersionResource, KubeObject } from '../../core/types.ts';
import type { ControllerLogger } from './log.ts';

export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type InformerHandler = (type: InformerEventType, obj: KubeObject, old?: KubeObject) => void;

export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ''}` : (obj.metadata?.name ?? '');
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

interface Waiter {
  predicate: () => boolean;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

export class Informer {
  readonly gvr: GroupVersionResource;
  #client: SandboxClient;
  #log: ControllerLogger;
  #store = new Map<string, KubeObject>();
  #handlers: InformerHandler[] = [];
  #waiters = new Set<Waiter>();
  #watch: { stop(): void } | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #resyncMs: number;
  #stopped = false;
  #relisting: Promise<void> | undefined;
  #generation = 0;

  constructor(
    client: SandboxClient,
    gvr: GroupVersionResource,
    log: ControllerLogger,
    resyncMs = 30000,
  ) {
    this.#client = client;
    this.gvr = gvr;
    this.#log = log;
    this.#resyncMs = resyncMs;
  }

  onEvent(handler: InformerHandler): void {
    this.#handlers.push(handler);
  }

  /**
   * Lists and starts watching. A failing first list (say, a resource the server does not serve yet)
   * is logged and retried in the background rather than failing every controller.
   */
  async start(): Promise<void> {
    await this.#relistSafely();
    this.#scheduleResync();
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
    this.#watch = undefined;
    if (this.#resyncTimer) clearTimeout(this.#resyncTimer);
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.#waiters.clear();
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#store.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): KubeObject[] {
    const all = [...this.#store.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  /**
   * Waits until the cache satisfies `predicate` (e.g. has seen an object this controller just
   * created), so the next reconcile does not act twice on a stale view. false on timeout.
   */
  waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    if (this.#stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Waits until the cache holds the object with this uid at least at this resourceVersion. */
  waitForWrite(written: KubeObject, timeoutMs?: number): Promise<boolean> {
    const uid = written.metadata?.uid;
    const rv = Number(written.metadata?.resourceVersion);
    return this.waitFor(() => {
      const cached = this.#store.get(objectKey(written));
      if (!cached || cached.metadata?.uid !== uid) return false;
      const cachedRv = Number(cached.metadata?.resourceVersion);
      return Number.isNaN(rv) || Number.isNaN(cachedRv) || cachedRv >= rv;
    }, timeoutMs);
  }

  /** Waits until the object with this uid is gone from the cache or marked for deletion. */
  waitForDeletion(obj: KubeObject, timeoutMs?: number): Promise<boolean> {
    return this.waitFor(() => {
      const cached = this.#store.get(objectKey(obj));
      return (
        !cached ||
        cached.metadata?.uid !== obj.metadata?.uid ||
        cached.metadata?.deletionTimestamp !== undefined
      );
    }, timeoutMs);
  }

  #scheduleResync(): void {
    if (this.#stopped) return;
    this.#resyncTimer = setTimeout(() => {
      void this.#relistSafely().finally(() => this.#scheduleResync());
    }, this.#resyncMs);
    this.#resyncTimer.unref();
  }

  #relistSafely(): Promise<void> {
    this.#relisting ??= this.#relist()
      .catch((err: unknown) => {
        this.#log.error(`informer ${this.gvr.resource}: relist failed`, {
          error: err instanceof Error ? err.message : String(err),
        });
        if (!this.#stopped) {
          const t = setTimeout(() => void this.#relistSafely(), 2000);
          t.unref();
        }
      })
      .finally(() => {
        this.#relisting = undefined;
      });
    return this.#relisting;
  }

  async #relist(): Promise<void> {
    if (this.#stopped) return;
    this.#watch?.stop();
    this.#watch = undefined;
    const generation = ++this.#generation;
    const { items, resourceVersion } = await this.#client.list(this.gvr);
    if (this.#stopped || generation !== this.#generation) return;
    const seen = new Set<string>();
    for (const item of items) {
      const obj = item;
      const key = objectKey(obj);
      seen.add(key);
      const old = this.#store.get(key);
      if (old?.metadata?.resourceVersion === obj.metadata?.resourceVersion && old) continue;
      this.#apply(old ? 'MODIFIED' : 'ADDED', obj);
    }
    for (const [key, old] of [...this.#store]) if (!seen.has(key)) this.#apply('DELETED', old);
    this.#watch = this.#client.watch(
      this.gvr,
      { resourceVersion },
      (event) => {
        if (this.#stopped || generation !== this.#generation) return;
        if (event.type === 'BOOKMARK') return;
        if (event.type === 'ERROR') {
          // 410 Expired and every other watch error: start over from a fresh list.
          queueMicrotask(() => void this.#relistSafely());
          return;
        }
        this.#apply(event.type, event.object);
      },
      () => {
        // The server ended the watch (closeWatches, shutdown, after an ERROR): re-list at once
        // rather than waiting for the periodic resync.
        if (this.#stopped || generation !== this.#generation) return;
        queueMicrotask(() => void this.#relistSafely());
      },
    );
  }

  #apply(type: InformerEventType, obj: KubeObject): void {
    const key = objectKey(obj);
    const old = this.#store.get(key);
    if (type === 'DELETED') this.#store.delete(key);
    else this.#store.set(key, obj);
    for (const handler of this.#handlers) {
      try {
        handler(type, obj, old);
      } catch (err) {
        this.#log.error(`informer ${this.gvr.resource}: handler failed`, {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    for (const w of [...this.#waiters]) {
      if (w.predicate()) {
        clearTimeout(w.timer);
        this.#waiters.delete(w);
        w.resolve(true);
      }
    }
  }
}

/** One informer per resource, shared by every controller that reads it. */
export class InformerFactory {
  #client: SandboxClient;
  #log: ControllerLogger;
  #resyncMs: number | undefined;
  #informers = new Map<string, Informer>();

  constructor(client: SandboxClient, log: ControllerLogger, resyncMs?: number) {
    this.#client = client;
    this.#log = log;
    this.#resyncMs = resyncMs;
  }

  for(gvr: GroupVersionResource): Informer {
    const key = `${gvr.group}/${gvr.version}/${gvr.resource}`;
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer(this.#client, gvr, this.#log, this.#resyncMs);
      this.#informers.set(key, informer);
    }
    return informer;
  }

  async startAll(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.start()));
  }

  stopAll(): void {
    for (const i of this.#informers.values()) i.stop();
  }
}
