import type { ResourceInfo, TypeRef } from './types.ts';

/** Built-in kinds the runtime knows without discovery; anything else is discovered and cached. */
const BUILTIN: [string, string, string, boolean][] = [
  ['v1', 'ConfigMap', 'configmaps', true],
  ['v1', 'Secret', 'secrets', true],
  ['v1', 'Pod', 'pods', true],
  ['v1', 'Service', 'services', true],
  ['v1', 'ServiceAccount', 'serviceaccounts', true],
  ['v1', 'Endpoints', 'endpoints', true],
  ['v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true],
  ['v1', 'PersistentVolume', 'persistentvolumes', false],
  ['v1', 'Namespace', 'namespaces', false],
  ['v1', 'Node', 'nodes', false],
  ['v1', 'Event', 'events', true],
  ['apps/v1', 'Deployment', 'deployments', true],
  ['apps/v1', 'StatefulSet', 'statefulsets', true],
  ['apps/v1', 'DaemonSet', 'daemonsets', true],
  ['apps/v1', 'ReplicaSet', 'replicasets', true],
  ['batch/v1', 'Job', 'jobs', true],
  ['batch/v1', 'CronJob', 'cronjobs', true],
  ['coordination.k8s.io/v1', 'Lease', 'leases', true],
  ['events.k8s.io/v1', 'Event', 'events', true],
  ['policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true],
  ['rbac.authorization.k8s.io/v1', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
  ['networking.k8s.io/v1', 'Ingress', 'ingresses', true],
  ['networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', true],
  ['discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices', true],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false],
  ['autoscaling/v1', 'Scale', 'scale', true],
];

export const builtinResources: ReadonlyMap<string, ResourceInfo> = new Map(
  BUILTIN.map(([apiVersion, kind, plural, namespaced]) => [
    typeKey({ apiVersion, kind }),
    { apiVersion, kind, plural, namespaced },
  ]),
);

export function typeKey(t: TypeRef): string {
  return `${t.apiVersion}/${t.kind}`;
}

export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** The collection path: /api/v1/namespaces/ns/pods or /apis/apps/v1/deployments. */
export function collectionPath(r: ResourceInfo, namespace?: string): string {
  const base = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${r.plural}`;
}

export function objectPath(
  r: ResourceInfo,
  name: string,
  namespace?: string,
  subresource?: string,
): string {
  if (r.namespaced && !namespace)
    throw new Error(`${r.kind} ${name}: namespace is required for a namespaced kind`);
  return `${collectionPath(r, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}
