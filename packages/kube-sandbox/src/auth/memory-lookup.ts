// An in-memory ObjectLookup: for unit tests of auth and for embedding auth without a store.
import type { ObjectLookup } from '../core/contracts.ts';
import type { GroupVersionResource, KubeObject } from '../core/types.ts';

export class MemoryLookup implements ObjectLookup {
  readonly objects = new Map<string, KubeObject>();

  private key(gvr: GroupVersionResource, namespace: string | undefined, name: string): string {
    return `${gvr.group}/${gvr.resource}/${namespace ?? ''}/${name}`;
  }

  put(gvr: GroupVersionResource, obj: KubeObject): this {
    this.objects.set(this.key(gvr, obj.metadata?.namespace, obj.metadata?.name ?? ''), obj);
    return this;
  }

  remove(gvr: GroupVersionResource, namespace: string | undefined, name: string): void {
    this.objects.delete(this.key(gvr, namespace, name));
  }

  get(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined {
    return this.objects.get(this.key(gvr, namespace, name));
  }

  list(gvr: GroupVersionResource, namespace?: string): KubeObject[] {
    const prefix = `${gvr.group}/${gvr.resource}/`;
    return [...this.objects.entries()]
      .filter(
        ([k, o]) =>
          k.startsWith(prefix) && (namespace === undefined || o.metadata?.namespace === namespace),
      )
      .map(([, o]) => o);
  }
}
