// A small informer: list, then watch from the list's resourceVersion, relisting on errors; keeps
// objects by namespace/name and tells a listener about every change.
import type { SandboxClient } from '../core/contracts.ts';
import type { GroupVersionResource, KubeObject, WatchEventType } from '../core/types.ts';

export type CacheListener = (type: WatchEventType, obj: KubeObject) => void;

export class ObjectCache {
  readonly #client: SandboxClient;
  readonly #gvr: GroupVersionResource;
  readonly #items = new Map<string, KubeObject>();
  readonly #listeners: CacheListener[] = [];
  #watch: { stop(): void } | undefined;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;
  #resync: NodeJS.Timeout | undefined;
  readonly #resyncMs: number;

  /** resyncMs: a slow safety re-list; ended watches are restarted at once (watch onClose). */
  constructor(client: SandboxClient, gvr: GroupVersionResource, resyncMs = 60_000) {
    this.#client = client;
    this.#gvr = gvr;
    this.#resyncMs = resyncMs;
  }

  onChange(l: CacheListener): void {
    this.#listeners.push(l);
  }

  static key(ns: string | undefined, name: string): string {
    return `${ns ?? ''}/${name}`;
  }

  get(ns: string | undefined, name: string): KubeObject | undefined {
    return this.#items.get(ObjectCache.key(ns, name));
  }

  list(ns?: string): KubeObject[] {
    const all = [...this.#items.values()];
    return ns === undefined ? all : all.filter((o) => o.metadata?.namespace === ns);
  }

  async start(): Promise<void> {
    const { items, resourceVersion } = await this.#client.list(this.#gvr);
    const seen = new Set<string>();
    for (const o of items) {
      const k = ObjectCache.key(o.metadata?.namespace, o.metadata?.name ?? '');
      seen.add(k);
      const had = this.#items.get(k);
      this.#items.set(k, o);
      if (had?.metadata?.resourceVersion !== o.metadata?.resourceVersion) {
        this.#emit(had ? 'MODIFIED' : 'ADDED', o);
      }
    }
    for (const [k, o] of [...this.#items]) {
      if (!seen.has(k)) {
        this.#items.delete(k);
        this.#emit('DELETED', o);
      }
    }
    if (this.#stopped) return;
    this.#watch?.stop();
    // safety net only: watches the server ends call onClose, which relists at once
    this.#resync ??= setInterval(() => this.#relist(), this.#resyncMs);
    const watch = this.#client.watch(
      this.#gvr,
      { resourceVersion },
      (ev) => {
        if (this.#stopped || this.#watch !== watch) return;
        if (ev.type === 'ERROR') {
          this.#relist();
          return;
        }
        if (ev.type === 'BOOKMARK') return;
        const o = ev.object;
        const k = ObjectCache.key(o.metadata?.namespace, o.metadata?.name ?? '');
        if (ev.type === 'DELETED') this.#items.delete(k);
        else this.#items.set(k, o);
        this.#emit(ev.type, o);
      },
      () => {
        // the server ended this watch (closeWatches, 410, shutdown): list and watch again now
        if (this.#watch === watch) this.#relist(0);
      },
    );
    this.#watch = watch;
  }

  /** Stops the watch and lists again after `delayMs` (errors back off; a closed watch does not wait). */
  #relist(delayMs = 200): void {
    this.#watch?.stop();
    this.#watch = undefined;
    if (this.#retry || this.#stopped) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.start().catch(() => this.#relist());
    }, delayMs);
  }

  #emit(type: WatchEventType, o: KubeObject): void {
    for (const l of this.#listeners) {
      try {
        l(type, o);
      } catch {
        // a listener's bug must not stop the cache
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#resync) clearInterval(this.#resync);
    this.#watch?.stop();
  }
}
