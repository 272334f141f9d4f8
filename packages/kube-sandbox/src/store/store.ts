// The object store: every object keyed by group/resource and namespace/name, one global
// resourceVersion sequence, a bounded event history (for watch resumption, exact-RV lists and
// consistent pagination) and in-process subscribers. Stored objects are never mutated after they
// are put: callers clone before changing, so events and lists can share references safely.
import { errors } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  /** "group/resource", e.g. "apps/deployments" or "/pods". */
  gr: string;
  key: string;
  type: StoreEventType;
  object: KubeObject;
  /** The previous state (MODIFIED, DELETED). */
  prev?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

export interface StoreOptions {
  historySize?: number;
  /** Called synchronously for every committed change (persistence). */
  onCommit?: (event: StoreEvent) => void;
  initialRv?: number;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export function grKey(group: string, resource: string): string {
  return `${group}/${resource}`;
}

export class ObjectStore {
  private rv: number;
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  private readonly historySize: number;
  private readonly history: StoreEvent[] = [];
  private historyHead = 0; // index of the oldest event once the ring is full
  /** Oldest resourceVersion whose state can still be reconstructed or watched from. */
  private oldestRv: number;
  private readonly listeners = new Map<string, Set<StoreListener>>();
  private readonly onCommit: ((event: StoreEvent) => void) | undefined;

  constructor(options: StoreOptions = {}) {
    this.historySize = Math.max(1, options.historySize ?? 10000);
    this.rv = options.initialRv ?? 1;
    this.oldestRv = this.rv;
    this.onCommit = options.onCommit;
  }

  /** Loads an object without producing an event (restart from disk). */
  load(gr: string, obj: KubeObject): void {
    const key = objectKey(obj.metadata?.namespace, obj.metadata?.name ?? '');
    this.table(gr).set(key, obj);
  }

  /** After loading: resume the sequence above every stored version. */
  resumeAt(rv: number): void {
    this.rv = Math.max(this.rv, rv);
    this.oldestRv = this.rv;
  }

  currentRv(): number {
    return this.rv;
  }

  oldestAvailableRv(): number {
    return this.oldestRv;
  }

  private table(gr: string): Map<string, KubeObject> {
    let t = this.tables.get(gr);
    if (!t) {
      t = new Map();
      this.tables.set(gr, t);
    }
    return t;
  }

  get(gr: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.tables.get(gr)?.get(objectKey(namespace, name));
  }

  /** Current objects of a resource (optionally one namespace), unsorted. */
  list(gr: string, namespace?: string): KubeObject[] {
    const t = this.tables.get(gr);
    if (!t) return [];
    const out: KubeObject[] = [];
    if (namespace === undefined) {
      for (const obj of t.values()) out.push(obj);
      return out;
    }
    const prefix = `${namespace}/`;
    for (const [key, obj] of t) if (key.startsWith(prefix)) out.push(obj);
    return out;
  }

  count(gr: string): number {
    return this.tables.get(gr)?.size ?? 0;
  }

  groupResources(): string[] {
    return [...this.tables.keys()];
  }

  /**
   * The objects of a resource as they were at resourceVersion `rv`, rebuilt by undoing later
   * history. Throws 410 when `rv` is older than the history reaches.
   */
  listAt(gr: string, namespace: string | undefined, rv: number): Map<string, KubeObject> {
    if (rv < this.oldestRv) {
      throw errors.resourceVersionTooOld(String(rv), String(this.oldestRv));
    }
    const snapshot = new Map<string, KubeObject>();
    for (const obj of this.list(gr, namespace)) {
      snapshot.set(objectKey(obj.metadata?.namespace, obj.metadata?.name ?? ''), obj);
    }
    if (rv >= this.rv) return snapshot;
    const events = this.orderedHistory();
    const prefix = namespace === undefined ? undefined : `${namespace}/`;
    for (let i = events.length - 1; i >= 0; i--) {
      const ev = events[i];
      if (ev.rv <= rv) break;
      if (ev.gr !== gr || (prefix && !ev.key.startsWith(prefix))) continue;
      if (ev.type === 'ADDED') snapshot.delete(ev.key);
      else if (ev.prev) snapshot.set(ev.key, ev.prev);
    }
    return snapshot;
  }

  /** Events of one resource after `rv`, oldest first; throws 410 when history no longer covers it. */
  eventsSince(gr: string, rv: number): StoreEvent[] {
    if (rv < this.oldestRv) {
      throw errors.resourceVersionTooOld(String(rv), String(this.oldestRv));
    }
    const out: StoreEvent[] = [];
    if (rv >= this.rv) return out;
    const events = this.orderedHistory();
    // Binary search would need contiguous RVs per resource; a reverse scan stops early instead.
    let start = events.length;
    while (start > 0 && events[start - 1].rv > rv) start--;
    for (let i = start; i < events.length; i++) if (events[i].gr === gr) out.push(events[i]);
    return out;
  }

  private orderedHistory(): StoreEvent[] {
    if (this.history.length < this.historySize || this.historyHead === 0) return this.history;
    return [...this.history.slice(this.historyHead), ...this.history.slice(0, this.historyHead)];
  }

  /** Allocates the next resourceVersion. */
  private nextRv(): number {
    this.rv += 1;
    return this.rv;
  }

  /**
   * Stores `obj` (which the caller must not mutate afterwards) with a fresh resourceVersion and
   * emits ADDED or MODIFIED. Returns the stored object.
   */
  put(gr: string, obj: KubeObject): KubeObject {
    const meta = obj.metadata!;
    const key = objectKey(meta.namespace, meta.name ?? '');
    const t = this.table(gr);
    const prev = t.get(key);
    const rv = this.nextRv();
    meta.resourceVersion = String(rv);
    t.set(key, obj);
    this.emit({
      rv,
      gr,
      key,
      type: prev ? 'MODIFIED' : 'ADDED',
      object: obj,
      ...(prev ? { prev } : {}),
    });
    return obj;
  }

  /** Removes an object; the DELETED event carries a fresh resourceVersion. */
  remove(gr: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objectKey(namespace, name);
    const t = this.tables.get(gr);
    const prev = t?.get(key);
    if (!t || !prev) return undefined;
    t.delete(key);
    const rv = this.nextRv();
    const object: KubeObject = {
      ...prev,
      metadata: { ...prev.metadata, resourceVersion: String(rv) },
    };
    this.emit({ rv, gr, key, type: 'DELETED', object, prev });
    return object;
  }

  private emit(event: StoreEvent): void {
    if (this.history.length < this.historySize) {
      this.history.push(event);
    } else {
      const evicted = this.history[this.historyHead];
      this.history[this.historyHead] = event;
      this.historyHead = (this.historyHead + 1) % this.historySize;
      this.oldestRv = evicted.rv;
    }
    this.onCommit?.(event);
    const set = this.listeners.get(event.gr);
    if (set) for (const l of set) notify(l, event);
    const all = this.listeners.get('*');
    if (all) for (const l of all) notify(l, event);
  }

  /** Subscribes to committed events of one resource ("*" for all). */
  subscribe(gr: string, listener: StoreListener): () => void {
    let set = this.listeners.get(gr);
    if (!set) {
      set = new Set();
      this.listeners.set(gr, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Drops every object of a resource (CRD deletion), emitting DELETED for each. */
  clear(gr: string): void {
    const t = this.tables.get(gr);
    if (!t) return;
    for (const obj of [...t.values()])
      this.remove(gr, obj.metadata?.namespace, obj.metadata?.name ?? '');
  }

  /** Everything, for snapshots. */
  *entries(): Generator<[string, KubeObject]> {
    for (const [gr, t] of this.tables) for (const obj of t.values()) yield [gr, obj];
  }
}

/** A failing subscriber (a broken watch stream) must not fail the write that was committed. */
function notify(listener: StoreListener, event: StoreEvent): void {
  try {
    listener(event);
  } catch (err) {
    if (process.env.KUBE_SANDBOX_DEBUG) console.error('store listener failed', err);
  }
}
