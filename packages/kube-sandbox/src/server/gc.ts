// The garbage collector: ownerReferences with background, foreground (foregroundDeletion
// finalizer, blockOwnerDeletion) and orphan (orphan finalizer) propagation, run in-process on the
// store's event stream like kube-controller-manager's garbagecollector.
import { StatusError } from '../core/errors.ts';
import type { KubeObject, OwnerReference, UserInfo } from '../core/types.ts';
import { SYSTEM_MASTERS } from '../core/types.ts';
import type { StoreEvent } from '../store/store.ts';
import type { ApiCore, RequestContext } from './api.ts';
import { WorkQueue } from './work-queue.ts';

interface Node {
  gr: string;
  namespace: string | undefined;
  name: string;
}

const GC_USER: UserInfo = {
  username: 'system:serviceaccount:kube-system:generic-garbage-collector',
  groups: [SYSTEM_MASTERS],
};

export class GarbageCollector {
  private readonly core: ApiCore;
  /** uid -> where the object lives. */
  private readonly byUid = new Map<string, Node>();
  /** owner uid -> dependent uids. */
  private readonly dependents = new Map<string, Set<string>>();
  /** dependent uid -> its owner references (to unindex on change). */
  private readonly ownersOf = new Map<string, OwnerReference[]>();
  private readonly queue: WorkQueue;
  private unsubscribe: (() => void) | undefined;

  constructor(core: ApiCore) {
    this.core = core;
    this.queue = new WorkQueue((key) => this.process(key));
  }

  start(): void {
    for (const [gr, obj] of this.core.store.entries()) this.index(gr, obj);
    this.core.dependentsOf = (uid) => (this.dependents.get(uid)?.size ?? 0) > 0;
    this.unsubscribe = this.core.store.subscribe('*', (ev) => this.onEvent(ev));
    // Objects whose owners vanished while we were down, and deletions in flight.
    for (const [gr, obj] of this.core.store.entries()) this.enqueueFor(gr, obj);
  }

  stop(): void {
    this.unsubscribe?.();
    this.queue.stop();
  }

  /** Resolves once the queue is empty (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private ctx(): RequestContext {
    return {
      user: GC_USER,
      warnings: [],
      fieldManager: 'kube-controller-manager',
      fieldValidation: 'Ignore',
    };
  }

  private index(gr: string, obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    this.byUid.set(uid, { gr, namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' });
    this.unindexOwners(uid);
    const refs = obj.metadata?.ownerReferences ?? [];
    if (refs.length) {
      this.ownersOf.set(uid, refs);
      for (const ref of refs) {
        let set = this.dependents.get(ref.uid);
        if (!set) {
          set = new Set();
          this.dependents.set(ref.uid, set);
        }
        set.add(uid);
      }
    }
  }

  private unindexOwners(uid: string): void {
    for (const ref of this.ownersOf.get(uid) ?? []) {
      const set = this.dependents.get(ref.uid);
      set?.delete(uid);
      if (set && set.size === 0) this.dependents.delete(ref.uid);
    }
    this.ownersOf.delete(uid);
  }

  private onEvent(ev: StoreEvent): void {
    const uid = ev.object.metadata?.uid;
    if (!uid) return;
    if (ev.type === 'DELETED') {
      const owners = this.ownersOf.get(uid) ?? [];
      this.byUid.delete(uid);
      this.unindexOwners(uid);
      for (const dep of this.dependents.get(uid) ?? []) this.queue.add(`check:${dep}`);
      // A foreground owner may be waiting for this dependent.
      for (const ref of owners) this.queue.add(`owner:${ref.uid}`);
      return;
    }
    this.index(ev.gr, ev.object);
    this.enqueueFor(ev.gr, ev.object);
  }

  private enqueueFor(_gr: string, obj: KubeObject): void {
    const meta = obj.metadata ?? {};
    const uid = meta.uid;
    if (!uid) return;
    if (
      meta.deletionTimestamp &&
      (meta.finalizers ?? []).some((f) => f === 'foregroundDeletion' || f === 'orphan')
    ) {
      this.queue.add(`owner:${uid}`);
    }
    if (
      (meta.ownerReferences ?? []).some(
        (r) => !this.byUid.has(r.uid) || this.isForegroundDeleting(r.uid),
      )
    ) {
      this.queue.add(`check:${uid}`);
    }
  }

  private lookup(uid: string): KubeObject | undefined {
    const node = this.byUid.get(uid);
    if (!node) return undefined;
    const obj = this.core.store.get(node.gr, node.namespace, node.name);
    return obj?.metadata?.uid === uid ? obj : undefined;
  }

  private isForegroundDeleting(uid: string): boolean {
    const obj = this.lookup(uid);
    return Boolean(
      obj?.metadata?.deletionTimestamp && obj.metadata.finalizers?.includes('foregroundDeletion'),
    );
  }

  private process(key: string): void {
    const [kind, uid] = key.split(':') as [string, string];
    if (kind === 'check') this.checkDependent(uid);
    else this.processOwner(uid);
  }

  /** Deletes a dependent whose owners are all gone, or drops its dangling references. */
  private checkDependent(uid: string): void {
    const obj = this.lookup(uid);
    const node = this.byUid.get(uid);
    if (!obj || !node) return;
    const def = this.core.registry.anyVersion(node.gr);
    if (!def) return;
    const refs = obj.metadata?.ownerReferences ?? [];
    if (refs.length === 0) return;
    const live = refs.filter((r) => this.lookup(r.uid) !== undefined);
    if (live.length === 0) {
      if (!obj.metadata?.deletionTimestamp)
        this.deleteQuietly(node, { propagationPolicy: 'Background' });
      return;
    }
    if (live.every((r) => this.isForegroundDeleting(r.uid))) {
      if (!obj.metadata?.deletionTimestamp) {
        this.deleteQuietly(node, {
          propagationPolicy:
            (this.dependents.get(uid)?.size ?? 0) > 0 ? 'Foreground' : 'Background',
        });
      }
      return;
    }
    if (live.length < refs.length) {
      const next = structuredClone(obj);
      next.metadata!.ownerReferences = live;
      this.updateQuietly(node, next);
    }
  }

  private processOwner(uid: string): void {
    const owner = this.lookup(uid);
    const node = this.byUid.get(uid);
    if (!owner || !node || !owner.metadata?.deletionTimestamp) return;
    const finalizers = owner.metadata.finalizers ?? [];
    const deps = [...(this.dependents.get(uid) ?? [])];
    if (finalizers.includes('orphan')) {
      for (const depUid of deps) {
        const dep = this.lookup(depUid);
        const depNode = this.byUid.get(depUid);
        if (!dep || !depNode) continue;
        const next = structuredClone(dep);
        next.metadata!.ownerReferences = (dep.metadata?.ownerReferences ?? []).filter(
          (r) => r.uid !== uid,
        );
        if (next.metadata!.ownerReferences.length === 0) delete next.metadata!.ownerReferences;
        this.updateQuietly(depNode, next);
      }
      this.removeFinalizer(node, owner, 'orphan');
      return;
    }
    if (finalizers.includes('foregroundDeletion')) {
      let blocking = 0;
      for (const depUid of deps) {
        const dep = this.lookup(depUid);
        const depNode = this.byUid.get(depUid);
        if (!dep || !depNode) continue;
        const ref = dep.metadata?.ownerReferences?.find((r) => r.uid === uid);
        if (ref?.blockOwnerDeletion) blocking++;
        if (!dep.metadata?.deletionTimestamp) {
          const otherLiveOwners = (dep.metadata?.ownerReferences ?? []).filter(
            (r) =>
              r.uid !== uid &&
              this.lookup(r.uid) !== undefined &&
              !this.isForegroundDeleting(r.uid),
          );
          if (otherLiveOwners.length) {
            const next = structuredClone(dep);
            next.metadata!.ownerReferences = (dep.metadata?.ownerReferences ?? []).filter(
              (r) => r.uid !== uid,
            );
            this.updateQuietly(depNode, next);
          } else {
            this.deleteQuietly(depNode, {
              propagationPolicy:
                (this.dependents.get(depUid)?.size ?? 0) > 0 ? 'Foreground' : 'Background',
            });
          }
        }
      }
      if (blocking === 0) this.removeFinalizer(node, owner, 'foregroundDeletion');
    }
  }

  private removeFinalizer(node: Node, obj: KubeObject, finalizer: string): void {
    const next = structuredClone(obj);
    next.metadata!.finalizers = (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
    this.updateQuietly(node, next);
  }

  private updateQuietly(node: Node, next: KubeObject): void {
    const def = this.core.registry.anyVersion(node.gr);
    if (!def) return;
    try {
      delete next.metadata!.resourceVersion;
      this.core.update(
        def,
        node.namespace,
        node.name,
        { ...next, apiVersion: undefined, kind: undefined },
        this.ctx(),
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404))
        this.queue.retryLater(`check:${next.metadata?.uid}`);
    }
  }

  private deleteQuietly(node: Node, options: { propagationPolicy: string }): void {
    const def = this.core.registry.anyVersion(node.gr);
    if (!def) return;
    try {
      this.core.delete(def, node.namespace, node.name, options, this.ctx());
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}
