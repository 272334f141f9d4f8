// The apimachinery definitions every document references (ObjectMeta, ListMeta, Status, Patch ...).

type Schema = Record<string, unknown>;

const str = (description: string): Schema => ({ type: 'string', description });
const stringMap = (description: string): Schema => ({
  type: 'object',
  description,
  additionalProperties: { type: 'string', default: '' },
});

export function metaDefinitions(ref: (name: string) => string): Record<string, Schema> {
  return {
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
      description:
        'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
      type: 'object',
      properties: {
        name: str('Name must be unique within a namespace.'),
        generateName: str(
          'GenerateName is an optional prefix, used by the server, to generate a unique name.',
        ),
        namespace: str('Namespace defines the space within which each name must be unique.'),
        labels: stringMap(
          'Map of string keys and values that can be used to organize and categorize objects.',
        ),
        annotations: stringMap(
          'Annotations is an unstructured key value map stored with a resource.',
        ),
        uid: str('UID is the unique in time and space value for this object.'),
        resourceVersion: str(
          'An opaque value that represents the internal version of this object.',
        ),
        generation: {
          type: 'integer',
          format: 'int64',
          description: 'A sequence number representing a specific generation of the desired state.',
        },
        creationTimestamp: {
          type: 'string',
          format: 'date-time',
          description:
            'CreationTimestamp is a timestamp representing the server time when this object was created.',
        },
        deletionTimestamp: {
          type: 'string',
          format: 'date-time',
          description:
            'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.',
        },
        deletionGracePeriodSeconds: {
          type: 'integer',
          format: 'int64',
          description: 'Number of seconds allowed for this object to gracefully terminate.',
        },
        finalizers: {
          type: 'array',
          description: 'Must be empty before the object is deleted from the registry.',
          items: { type: 'string', default: '' },
          'x-kubernetes-list-type': 'set',
          'x-kubernetes-patch-strategy': 'merge',
        },
        ownerReferences: {
          type: 'array',
          description: 'List of objects depended by this object.',
          items: { $ref: ref('io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference') },
          'x-kubernetes-list-map-keys': ['uid'],
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-patch-merge-key': 'uid',
          'x-kubernetes-patch-strategy': 'merge',
        },
        managedFields: {
          type: 'array',
          description:
            'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.',
          items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          'x-kubernetes-list-type': 'atomic',
        },
      },
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference': {
      description:
        'OwnerReference contains enough information to let you identify an owning object.',
      type: 'object',
      required: ['apiVersion', 'kind', 'name', 'uid'],
      properties: {
        apiVersion: str('API version of the referent.'),
        kind: str('Kind of the referent.'),
        name: str('Name of the referent.'),
        uid: str('UID of the referent.'),
        controller: {
          type: 'boolean',
          description: 'If true, this reference points to the managing controller.',
        },
        blockOwnerDeletion: {
          type: 'boolean',
          description: 'If true, the owner cannot be deleted before this reference is removed.',
        },
      },
      'x-kubernetes-map-type': 'atomic',
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta': {
      description:
        'ListMeta describes metadata that synthetic resources must have, including lists.',
      type: 'object',
      properties: {
        resourceVersion: str(
          "String that identifies the server's internal version of this object.",
        ),
        continue: str(
          'continue may be set if the user set a limit on the number of items returned.',
        ),
        remainingItemCount: { type: 'integer', format: 'int64' },
      },
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.Status': {
      description: "Status is a return value for calls that don't return other objects.",
      type: 'object',
      properties: {
        apiVersion: str(
          'APIVersion defines the versioned schema of this representation of an object.',
        ),
        kind: str('Kind is a string value representing the REST resource this object represents.'),
        code: { type: 'integer', format: 'int32' },
        message: str('A human-readable description of the status of this operation.'),
        reason: str(
          'A machine-readable description of why this operation is in the "Failure" status.',
        ),
        status: str('Status of the operation. One of: "Success" or "Failure".'),
        details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        metadata: { $ref: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta') },
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': {
      description:
        'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
      type: 'object',
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions': {
      description: 'DeleteOptions may be provided when deleting an API object.',
      type: 'object',
      properties: {
        apiVersion: str(
          'APIVersion defines the versioned schema of this representation of an object.',
        ),
        kind: str('Kind is a string value representing the REST resource this object represents.'),
        gracePeriodSeconds: { type: 'integer', format: 'int64' },
        propagationPolicy: str('Whether and how garbage collection will be performed.'),
        preconditions: {
          type: 'object',
          properties: { uid: { type: 'string' }, resourceVersion: { type: 'string' } },
        },
        dryRun: { type: 'array', items: { type: 'string', default: '' } },
      },
    },
    'io.k8s.api.autoscaling.v1.Scale': {
      description: 'Scale represents a scaling request for a resource.',
      type: 'object',
      properties: {
        apiVersion: str(
          'APIVersion defines the versioned schema of this representation of an object.',
        ),
        kind: str('Kind is a string value representing the REST resource this object represents.'),
        metadata: { $ref: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta') },
        spec: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' } } },
        status: {
          type: 'object',
          required: ['replicas'],
          properties: {
            replicas: { type: 'integer', format: 'int32' },
            selector: { type: 'string' },
          },
        },
      },
      'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }],
    },
  };
}

export const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
export const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
export const METADATA_DESCRIPTION =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
