// Namespace lifecycle like kube-controller-manager's namespace controller plus the two per-namespace
// objects every real cluster has: the "default" ServiceAccount and the kube-root-ca.crt ConfigMap.
import { StatusError } from '../core/errors.ts';
import type { KubeObject, UserInfo } from '../core/types.ts';
import { SYSTEM_MASTERS } from '../core/types.ts';
import type { StoreEvent } from '../store/store.ts';
import type { ApiCore, RequestContext } from './api.ts';
import { WorkQueue } from './work-queue.ts';

const USER: UserInfo = {
  username: 'system:serviceaccount:kube-system:namespace-controller',
  groups: [SYSTEM_MASTERS],
};

export class NamespaceController {
  private readonly core: ApiCore;
  private readonly caPem: string;
  private readonly queue: WorkQueue;
  private unsubscribe: (() => void) | undefined;

  constructor(core: ApiCore, caPem: string) {
    this.core = core;
    this.caPem = caPem;
    this.queue = new WorkQueue((ns) => this.sync(ns));
  }

  start(): void {
    // The default ServiceAccount exists as soon as the namespace does: pods created right after
    // their namespace would otherwise race the controller and fail ServiceAccount admission.
    this.core.hooks.afterWrite.push((def, obj, old) => {
      if (def.gr === '/namespaces' && !old && !obj.metadata?.deletionTimestamp)
        this.ensureDefaults(obj.metadata?.name ?? '');
    });
    for (const ns of this.core.store.list('/namespaces')) this.queue.add(ns.metadata?.name ?? '');
    this.unsubscribe = this.core.store.subscribe('*', (ev) => this.onEvent(ev));
  }

  stop(): void {
    this.unsubscribe?.();
    this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private onEvent(ev: StoreEvent): void {
    if (ev.gr === '/namespaces') {
      this.queue.add(ev.object.metadata?.name ?? '');
      return;
    }
    const ns = ev.object.metadata?.namespace;
    if (!ns) return;
    // A terminating namespace waits for its last objects; defaults come back if deleted.
    if (ev.type === 'DELETED') this.queue.add(ns);
  }

  private ctx(): RequestContext {
    return {
      user: USER,
      warnings: [],
      fieldManager: 'kube-controller-manager',
      fieldValidation: 'Ignore',
    };
  }

  private sync(name: string): void {
    const ns = this.core.store.get('/namespaces', undefined, name);
    if (!ns) return;
    if (ns.metadata?.deletionTimestamp) this.finalize(ns);
    else this.ensureDefaults(name);
  }

  private ensureDefaults(namespace: string): void {
    const wanted: Array<[string, string, string, KubeObject]> = [
      [
        '',
        'v1',
        'serviceaccounts',
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } },
      ],
      [
        '',
        'v1',
        'configmaps',
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'kube-root-ca.crt',
            namespace,
            annotations: {
              'kubernetes.io/description':
                'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
            },
          },
          data: { 'ca.crt': this.caPem },
        },
      ],
    ];
    for (const [group, version, resource, obj] of wanted) {
      const def = this.core.registry.get(group, version, resource);
      if (!def || this.core.store.get(def.gr, namespace, obj.metadata!.name!)) continue;
      try {
        this.core.create(def, namespace, structuredClone(obj), this.ctx());
      } catch (err) {
        if (
          !(
            err instanceof StatusError &&
            (err.code === 409 || err.code === 403 || err.code === 404)
          )
        )
          throw err;
      }
    }
  }

  /** Deletes everything in the namespace, then drops the "kubernetes" finalizer. */
  private finalize(ns: KubeObject): void {
    const name = ns.metadata!.name!;
    let remaining = 0;
    for (const def of this.core.registry.storedGroupResources()) {
      if (!def.info.namespaced) continue;
      for (const obj of this.core.store.list(def.gr, name)) {
        remaining++;
        if (obj.metadata?.deletionTimestamp) continue;
        try {
          this.core.delete(
            def,
            name,
            obj.metadata?.name ?? '',
            { propagationPolicy: 'Background', gracePeriodSeconds: 0 },
            this.ctx(),
          );
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
    }
    if (remaining > 0) {
      // Objects with finalizers keep it alive; their deletion re-queues us, but poll as a backstop.
      for (const def of this.core.registry.storedGroupResources()) {
        if (def.info.namespaced && this.core.store.list(def.gr, name).length) {
          this.queue.retryLater(name, 500);
          return;
        }
      }
    }
    const finalizers = (
      (ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []
    ).filter((f) => f !== 'kubernetes');
    const def = this.core.registry.get('', 'v1', 'namespaces')!;
    try {
      this.core.update(
        def,
        undefined,
        name,
        { ...structuredClone(ns), spec: { ...(ns.spec as object), finalizers } },
        this.ctx(),
        { subresource: 'finalize' },
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) this.queue.retryLater(name);
    }
  }
}
