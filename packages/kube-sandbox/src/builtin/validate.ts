// Dispatches create/update validation of built-in objects to the per-kind rules.
import type { StatusCause } from '../core/errors.ts';
import type { KubeObject, ResourceInfo } from '../core/types.ts';
import {
  nameIsDns1035Label,
  nameIsDnsLabel,
  nameIsDnsSubdomain,
  nameIsPathSegment,
  type NameValidator,
} from './names.ts';
import { resourceKey } from './resources.ts';
import {
  validateBinding,
  validateConfigMap,
  validateEndpointSlice,
  validateEvent,
  validateLease,
  validateNamespace,
  validatePdb,
  validatePv,
  validatePvc,
  validateRole,
  validateSecret,
  validateService,
  validateStorageClass,
} from './validate-core.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './validate-meta.ts';
import { validatePodSpec, validatePodUpdate } from './validate-pod.ts';
import {
  validateCronJob,
  validateDaemonSet,
  validateDeployment,
  validateJob,
  validateReplicaSet,
  validateStatefulSet,
} from './validate-workloads.ts';

type KindValidator = (obj: KubeObject, old?: KubeObject) => StatusCause[];

const NAME_RULES: Record<string, NameValidator> = {
  // core/v1 events keep their legacy, lenient name rules (clients name them "<object>.<hex>").
  '/events': nameIsPathSegment,
  '/namespaces': nameIsDnsLabel,
  '/services': nameIsDns1035Label,
  'rbac.authorization.k8s.io/roles': nameIsPathSegment,
  'rbac.authorization.k8s.io/clusterroles': nameIsPathSegment,
  'rbac.authorization.k8s.io/rolebindings': nameIsPathSegment,
  'rbac.authorization.k8s.io/clusterrolebindings': nameIsPathSegment,
};

const KIND_RULES: Record<string, KindValidator> = {
  '/pods': (pod, old) => [
    ...validatePodSpec(pod['spec'], 'spec'),
    ...(old ? validatePodUpdate(pod, old) : []),
  ],
  '/services': validateService,
  '/secrets': validateSecret,
  '/configmaps': validateConfigMap,
  '/persistentvolumeclaims': validatePvc,
  '/persistentvolumes': (pv) => validatePv(pv),
  '/namespaces': (ns) => validateNamespace(ns),
  '/events': (ev) => validateEvent(ev, true),
  'events.k8s.io/events': (ev) => validateEvent(ev, false),
  'apps/deployments': validateDeployment,
  'apps/statefulsets': validateStatefulSet,
  'apps/replicasets': validateReplicaSet,
  'apps/daemonsets': validateDaemonSet,
  'batch/jobs': validateJob,
  'batch/cronjobs': (cj) => validateCronJob(cj),
  'policy/poddisruptionbudgets': (pdb) => validatePdb(pdb),
  'coordination.k8s.io/leases': (lease) => validateLease(lease),
  'storage.k8s.io/storageclasses': validateStorageClass,
  'discovery.k8s.io/endpointslices': validateEndpointSlice,
  'rbac.authorization.k8s.io/roles': (r) => validateRole(r, true),
  'rbac.authorization.k8s.io/clusterroles': (r) => validateRole(r, false),
  'rbac.authorization.k8s.io/rolebindings': (b, old) => validateBinding(b, true, old),
  'rbac.authorization.k8s.io/clusterrolebindings': (b, old) => validateBinding(b, false, old),
};

export function validateBuiltin(
  info: ResourceInfo,
  obj: KubeObject,
  old?: KubeObject,
): StatusCause[] {
  // Create-only reviews carry no object identity to validate.
  if (!info.verbs.includes('get')) return [];
  const key = resourceKey(info.group, info.resource);
  const causes = validateObjectMeta(obj, {
    namespaced: info.namespaced,
    nameValidator: NAME_RULES[key] ?? nameIsDnsSubdomain,
  });
  if (old) causes.push(...validateObjectMetaUpdate(obj, old));
  const rule = KIND_RULES[key];
  if (rule) causes.push(...rule(obj, old));
  return causes;
}
