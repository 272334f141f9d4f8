// Discovery documents (APIGroup, APIResourceList entries) derived from the served resources.
import type { ResourceDef } from './registry.ts';

export function groupDoc(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

const SUBRESOURCE_DOCS: Record<
  string,
  { kind?: string; group?: string; version?: string; verbs: string[] }
> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
  log: { verbs: ['get'] },
  eviction: { kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
  binding: { kind: 'Binding', verbs: ['create'] },
  token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] },
  finalize: { verbs: ['update'] },
};

export function resourceDocs(def: ResourceDef): Array<Record<string, unknown>> {
  const i = def.info;
  const main: Record<string, unknown> = {
    name: i.resource,
    singularName: i.singular,
    namespaced: i.namespaced,
    kind: i.kind,
    verbs: i.verbs,
    ...(i.shortNames?.length ? { shortNames: i.shortNames } : {}),
    ...(i.categories?.length ? { categories: i.categories } : {}),
    storageVersionHash: Buffer.from(`${i.group}/${i.storageVersion ?? i.version}/${i.kind}`)
      .toString('base64')
      .slice(0, 11),
  };
  const subs = i.subresources
    .filter((s) => SUBRESOURCE_DOCS[s])
    .map((s) => {
      const d = SUBRESOURCE_DOCS[s];
      return {
        name: `${i.resource}/${s}`,
        singularName: '',
        namespaced: i.namespaced,
        ...(d.group !== undefined ? { group: d.group, version: d.version } : {}),
        kind: d.kind ?? i.kind,
        verbs: d.verbs,
      };
    });
  return [main, ...subs];
}
