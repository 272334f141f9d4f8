// Shared shapes of the sandbox. Every part of kube-sandbox (server, patch, schema, builtin kinds,
// auth, controllers, node) speaks in these.

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/**
 * The fields of ObjectMeta the server knows (selfLink included); any other metadata field is
 * unknown and dropped, for built-in kinds and custom resources alike.
 */
export const OBJECT_META_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

/** A printer column, as in a CRD's additionalPrinterColumns; also used for built-in kinds. */
export interface PrinterColumn {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  format?: string;
  description?: string;
  priority?: number;
  /** A simple JSONPath such as `.spec.replicas` (CRDs); built-in kinds may use `cell` instead. */
  jsonPath?: string;
  /** Computes the cell for built-in kinds whose columns are not plain paths (e.g. pod READY "1/2"). */
  cell?: (obj: KubeObject, now: Date) => unknown;
}

/** Everything the server needs to know about one served resource (built-in or from a CRD). */
export interface ResourceInfo {
  group: string; // '' for core
  version: string;
  /** All versions served for this group/resource; `version` is the one this entry describes. */
  resource: string; // plural, e.g. 'deployments'
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources served, e.g. ['status', 'scale'] or ['status', 'log', 'eviction', 'binding']. */
  subresources: string[];
  /** For the scale subresource of CRDs: JSON paths of replicas. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  printerColumns?: PrinterColumn[];
  /** Field selectors the real server supports for this kind, besides metadata.name/namespace. */
  fieldSelectors?: Record<string, (obj: KubeObject) => string | undefined>;
  /** true for resources that come from a CRD. */
  custom?: boolean;
  /** storage version of this group/resource (CRDs: the version marked storage: true). */
  storageVersion?: string;
}

/** Identifies a resource in requests: group + version + plural. */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** Who is making a request (what TokenReview returns). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The attributes RBAC authorizes (k8s.io/apiserver authorizer.Attributes). */
export interface RequestAttributes {
  user: UserInfo;
  verb: string; // get list watch create update patch delete deletecollection, or an HTTP verb for non-resource
  resourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  path?: string; // non-resource requests
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export const SYSTEM_MASTERS = 'system:masters';
