// Which resources are served: built-in kinds plus the resources of established CRDs, indexed by
// group/version/resource, by kind and by short name, with the discovery documents derived from them.
import type { CompiledSchema, JSONSchemaProps } from '../core/contracts.ts';
import type { KubeObject, ResourceInfo } from '../core/types.ts';
import { grKey } from '../store/store.ts';

export interface ResourceDef {
  info: ResourceInfo;
  /** Storage key "group/resource". */
  gr: string;
  /** Custom resources: the version's schema (compiled lazily) and the owning CRD's name. */
  crdName?: string;
  schema?: JSONSchemaProps;
  compiled?: CompiledSchema;
  /** Create-only virtual resources (reviews) are never stored. */
  virtual?: boolean;
  /**
   * For a resource stored in another resource's form (events.k8s.io/v1 Events live in core/v1
   * Event storage, as in the real server): conversion between this API form and the stored form.
   */
  codec?: { toStorage(obj: KubeObject): KubeObject; fromStorage(obj: KubeObject): KubeObject };
}

const VIRTUAL = new Set([
  'authentication.k8s.io/tokenreviews',
  'authorization.k8s.io/subjectaccessreviews',
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/localsubjectaccessreviews',
]);

/** Preference order of built-in groups in discovery (like the real server's). */
const GROUP_ORDER = [
  '',
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
];

function gvrKey(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}

export class ResourceRegistry {
  private readonly byGvr = new Map<string, ResourceDef>();
  /** "group/Kind" -> defs (one per version). */
  private readonly byKind = new Map<string, ResourceDef[]>();
  private changeListeners: Array<() => void> = [];

  add(info: ResourceInfo, extra: Partial<ResourceDef> = {}): ResourceDef {
    const gr = grKey(info.group, info.resource);
    const createOnly = info.verbs.length === 1 && info.verbs[0] === 'create';
    const def: ResourceDef = {
      info,
      gr,
      ...(VIRTUAL.has(gr) || createOnly ? { virtual: true } : {}),
      ...extra,
    };
    this.byGvr.set(gvrKey(info.group, info.version, info.resource), def);
    const kindKey = `${info.group}/${info.kind}`;
    const list = (this.byKind.get(kindKey) ?? []).filter((d) => d.info.version !== info.version);
    list.push(def);
    this.byKind.set(kindKey, list);
    this.changed();
    return def;
  }

  /** Removes every version of a group/resource (CRD deleted or changed). */
  removeGroupResource(group: string, resource: string): void {
    for (const [key, def] of this.byGvr) {
      if (def.info.group === group && def.info.resource === resource) {
        this.byGvr.delete(key);
        const kindKey = `${group}/${def.info.kind}`;
        const rest = (this.byKind.get(kindKey) ?? []).filter((d) => d !== def);
        if (rest.length) this.byKind.set(kindKey, rest);
        else this.byKind.delete(kindKey);
      }
    }
    this.changed();
  }

  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  private changed(): void {
    for (const l of this.changeListeners) l();
  }

  get(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.byGvr.get(gvrKey(group, version, resource));
  }

  /** The def for "apiVersion" + kind, e.g. for ownerReferences. */
  byApiVersionKind(apiVersion: string, kind: string): ResourceDef | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const defs = this.byKind.get(`${group}/${kind}`);
    return defs?.find((d) => d.info.version === version) ?? defs?.[0];
  }

  /** Shares another resource's storage through a codec (see ResourceDef.codec). */
  storeAs(
    group: string,
    version: string,
    resource: string,
    gr: string,
    codec: NonNullable<ResourceDef['codec']>,
  ): void {
    const def = this.get(group, version, resource);
    if (!def) return;
    def.gr = gr;
    def.codec = codec;
  }

  /** The def that serves a stored group/resource in its stored form (GC, namespace cleanup). */
  anyVersion(gr: string): ResourceDef | undefined {
    let found: ResourceDef | undefined;
    for (const def of this.byGvr.values()) {
      if (def.gr !== gr || def.codec) continue;
      if (!found || def.info.storageVersion === def.info.version) found = def;
    }
    return found;
  }

  all(): ResourceDef[] {
    return [...this.byGvr.values()];
  }

  /** Distinct stored group/resources (one def each, preferring the storage version). */
  storedGroupResources(): ResourceDef[] {
    const seen = new Map<string, ResourceDef>();
    for (const def of this.byGvr.values()) {
      if (def.virtual || def.codec) continue;
      const prev = seen.get(def.gr);
      if (!prev || def.info.storageVersion === def.info.version) seen.set(def.gr, def);
    }
    return [...seen.values()];
  }

  /** Groups with their served versions, preferred version first. */
  groups(): Array<{ name: string; versions: string[] }> {
    const map = new Map<string, Set<string>>();
    for (const def of this.byGvr.values()) {
      let set = map.get(def.info.group);
      if (!set) {
        set = new Set();
        map.set(def.info.group, set);
      }
      set.add(def.info.version);
    }
    const rank = (g: string): number => {
      const i = GROUP_ORDER.indexOf(g);
      return i === -1 ? GROUP_ORDER.length : i;
    };
    return [...map.entries()]
      .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
      .map(([name, versions]) => ({ name, versions: [...versions].sort(compareVersions) }));
  }

  resourcesIn(group: string, version: string): ResourceDef[] {
    return [...this.byGvr.values()].filter(
      (d) => d.info.group === group && d.info.version === version,
    );
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [-1, 0, 0];
    const stability = m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stability, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [sa, ma, na] = parse(a);
  const [sb, mb, nb] = parse(b);
  if (sa === -1 || sb === -1) return sa === sb ? a.localeCompare(b) : sb - sa;
  return sb - sa || mb - ma || nb - na;
}
