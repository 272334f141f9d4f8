// Schemas of built-in kinds in the OpenAPI documents. The sandbox does not publish complete
// built-in schemas: each kind gets a permissive object schema with its GVK, and the pod template
// skeleton carries the patch-strategy extensions (containers, env, ports, volumes, volumeMounts ...)
// that strategic merge patch relies on.

type Schema = Record<string, unknown>;

const mergeBy = (key: string, itemRef: string | undefined, ref: (n: string) => string): Schema => ({
  type: 'array',
  items: itemRef
    ? { $ref: ref(itemRef) }
    : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-patch-strategy': 'merge',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': [key],
});

export const CONTAINER = 'io.k8s.api.core.v1.Container';
export const POD_SPEC = 'io.k8s.api.core.v1.PodSpec';
export const POD_TEMPLATE_SPEC = 'io.k8s.api.core.v1.PodTemplateSpec';

/** Shared definitions (names -> schema); `ref` renders a reference for the document version. */
export function sharedDefinitions(
  ref: (name: string) => string,
  objectMeta: string,
): Record<string, Schema> {
  return {
    [CONTAINER]: {
      description: 'A single application container that you want to run within a pod.',
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string' },
        image: { type: 'string' },
        env: mergeBy('name', undefined, ref),
        ports: {
          ...mergeBy('containerPort', undefined, ref),
          'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
        },
        volumeMounts: mergeBy('mountPath', undefined, ref),
        volumeDevices: mergeBy('devicePath', undefined, ref),
      },
      'x-kubernetes-preserve-unknown-fields': true,
    },
    [POD_SPEC]: {
      description: 'PodSpec is a description of a pod.',
      type: 'object',
      required: ['containers'],
      properties: {
        containers: mergeBy('name', CONTAINER, ref),
        initContainers: mergeBy('name', CONTAINER, ref),
        ephemeralContainers: mergeBy('name', undefined, ref),
        volumes: {
          ...mergeBy('name', undefined, ref),
          'x-kubernetes-patch-strategy': 'merge,retainKeys',
        },
        imagePullSecrets: mergeBy('name', undefined, ref),
        hostAliases: mergeBy('ip', undefined, ref),
        tolerations: {
          type: 'array',
          items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
      'x-kubernetes-preserve-unknown-fields': true,
    },
    [POD_TEMPLATE_SPEC]: {
      description:
        'PodTemplateSpec describes the data a pod should have when created from a template',
      type: 'object',
      properties: {
        metadata: { $ref: ref(objectMeta) },
        spec: { $ref: ref(POD_SPEC) },
      },
    },
  };
}

/** The `spec` schema of a built-in kind, pointing at the pod skeleton where the kind has one. */
export function builtinSpecSchema(kind: string, ref: (name: string) => string): Schema | undefined {
  const withTemplate = (extra: Schema = {}): Schema => ({
    type: 'object',
    properties: { template: { $ref: ref(POD_TEMPLATE_SPEC) }, ...extra },
    'x-kubernetes-preserve-unknown-fields': true,
  });
  switch (kind) {
    case 'Pod':
      return { $ref: ref(POD_SPEC) };
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
    case 'Job':
      return withTemplate();
    case 'StatefulSet':
      return withTemplate({
        volumeClaimTemplates: {
          type: 'array',
          items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      });
    case 'CronJob':
      return {
        type: 'object',
        properties: {
          jobTemplate: {
            type: 'object',
            properties: { spec: withTemplate() },
            'x-kubernetes-preserve-unknown-fields': true,
          },
        },
        'x-kubernetes-preserve-unknown-fields': true,
      };
    default:
      return undefined;
  }
}

/** Built-in kinds whose objects carry data at the top level instead of spec/status. */
export function builtinTopLevelSchema(
  kind: string,
  ref: (name: string) => string,
): Record<string, Schema> {
  switch (kind) {
    case 'Service':
      return {
        spec: {
          type: 'object',
          properties: {
            ports: {
              ...mergeBy('port', undefined, ref),
              'x-kubernetes-list-map-keys': ['port', 'protocol'],
            },
          },
          'x-kubernetes-preserve-unknown-fields': true,
        },
      };
    default:
      return {};
  }
}
