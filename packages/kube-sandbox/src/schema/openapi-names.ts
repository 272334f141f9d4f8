// Definition names the real API server uses in its OpenAPI documents.
import type { ResourceInfo } from '../core/types.ts';

/** Built-in groups whose Go package name is not the group's first label. */
const BUILTIN_PACKAGES: Record<string, string> = {
  '': 'io.k8s.api.core',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  'apiregistration.k8s.io': 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
  'rbac.authorization.k8s.io': 'io.k8s.api.rbac',
};

export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
export const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
export const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
export const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
export const DELETE_OPTIONS = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
export const SCALE = 'io.k8s.api.autoscaling.v1.Scale';

/** `io.k8s.api.apps.v1` for built-in groups, `io.opsmith.etcd.v1alpha1` for CRD groups. */
export function definitionPrefix(info: Pick<ResourceInfo, 'group' | 'version' | 'custom'>): string {
  const { group, version } = info;
  if (!info.custom) {
    const pkg = BUILTIN_PACKAGES[group] ?? `io.k8s.api.${group.split('.')[0] ?? group}`;
    return `${pkg}.${version}`;
  }
  return `${group.split('.').reverse().join('.')}.${version}`;
}

export function definitionName(info: ResourceInfo): string {
  return `${definitionPrefix(info)}.${info.kind}`;
}

export function listDefinitionName(info: ResourceInfo): string {
  return `${definitionPrefix(info)}.${info.listKind}`;
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** `api/v1` or `apis/<group>/<version>`: the key of a group-version in the v3 index. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}
