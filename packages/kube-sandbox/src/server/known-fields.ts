// Unknown-field handling for built-in kinds at the levels the sandbox knows exactly: the top level
// of each kind and ObjectMeta. The real server drops unknown fields while decoding into Go structs
// (and reports them under fieldValidation Warn/Strict); deeper levels are not checked here.
import { OBJECT_META_FIELDS, type KubeObject } from '../core/types.ts';
import { isPlainObject } from './util.ts';

const SPEC_STATUS = ['spec', 'status'];

/** Top-level fields (besides apiVersion, kind, metadata) by "group/Kind". */
const TOP_LEVEL: Record<string, string[]> = {
  '/Namespace': SPEC_STATUS,
  '/Pod': SPEC_STATUS,
  '/Service': SPEC_STATUS,
  '/Node': SPEC_STATUS,
  '/PersistentVolume': SPEC_STATUS,
  '/PersistentVolumeClaim': SPEC_STATUS,
  '/ReplicationController': SPEC_STATUS,
  '/LimitRange': ['spec'],
  '/ResourceQuota': SPEC_STATUS,
  '/PodTemplate': ['template'],
  '/ConfigMap': ['data', 'binaryData', 'immutable'],
  '/Secret': ['data', 'stringData', 'type', 'immutable'],
  '/ServiceAccount': ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  '/Endpoints': ['subsets'],
  '/Event': [
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'series',
    'action',
    'related',
    'reportingComponent',
    'reportingInstance',
  ],
  'apps/Deployment': SPEC_STATUS,
  'apps/StatefulSet': SPEC_STATUS,
  'apps/ReplicaSet': SPEC_STATUS,
  'apps/DaemonSet': SPEC_STATUS,
  'apps/ControllerRevision': ['data', 'revision'],
  'batch/Job': SPEC_STATUS,
  'batch/CronJob': SPEC_STATUS,
  'policy/PodDisruptionBudget': SPEC_STATUS,
  'autoscaling/HorizontalPodAutoscaler': SPEC_STATUS,
  'networking.k8s.io/Ingress': SPEC_STATUS,
  'networking.k8s.io/IngressClass': ['spec'],
  'networking.k8s.io/NetworkPolicy': ['spec'],
  'discovery.k8s.io/EndpointSlice': ['addressType', 'endpoints', 'ports'],
  'coordination.k8s.io/Lease': ['spec'],
  'events.k8s.io/Event': [
    'eventTime',
    'series',
    'reportingController',
    'reportingInstance',
    'action',
    'reason',
    'regarding',
    'related',
    'note',
    'type',
    'deprecatedSource',
    'deprecatedFirstTimestamp',
    'deprecatedLastTimestamp',
    'deprecatedCount',
  ],
  'storage.k8s.io/StorageClass': [
    'provisioner',
    'parameters',
    'reclaimPolicy',
    'mountOptions',
    'allowVolumeExpansion',
    'volumeBindingMode',
    'allowedTopologies',
  ],
  'rbac.authorization.k8s.io/Role': ['rules'],
  'rbac.authorization.k8s.io/ClusterRole': ['rules', 'aggregationRule'],
  'rbac.authorization.k8s.io/RoleBinding': ['subjects', 'roleRef'],
  'rbac.authorization.k8s.io/ClusterRoleBinding': ['subjects', 'roleRef'],
  'apiextensions.k8s.io/CustomResourceDefinition': SPEC_STATUS,
  'scheduling.k8s.io/PriorityClass': ['value', 'globalDefault', 'description', 'preemptionPolicy'],
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': ['webhooks'],
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': ['webhooks'],
};

/**
 * Removes unknown top-level and metadata fields of a built-in object in place and returns their
 * paths (e.g. "specs", "metadata.lables"). Kinds the table does not know are left alone.
 */
export function pruneUnknownBuiltinFields(group: string, obj: KubeObject): string[] {
  const known = TOP_LEVEL[`${group}/${String(obj.kind)}`];
  if (!known) return [];
  const unknown: string[] = [];
  for (const key of Object.keys(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || known.includes(key))
      continue;
    unknown.push(key);
    delete obj[key];
  }
  if (isPlainObject(obj.metadata)) {
    const meta = obj.metadata as Record<string, unknown>;
    for (const key of Object.keys(meta)) {
      if (OBJECT_META_FIELDS.has(key)) continue;
      unknown.push(`metadata.${key}`);
      delete meta[key];
    }
  }
  return unknown;
}
