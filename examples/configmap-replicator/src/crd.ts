import { defineCustomResource, k, type CrdBundle, type CustomObject } from '@opsmith/crd-schemas';

const Spec = k.object({
  source: k.string({
    description: 'Name of the ConfigMap to copy, in the namespace of this object.',
    minLength: 1,
  }),
  targetNamespaces: k.array(k.string({ maxLength: 63 }), {
    description: 'Namespaces that receive a copy (same name as the source).',
    minItems: 1,
    listType: 'set',
  }),
  prune: k.boolean({
    default: true,
    description: 'Delete the copies when this object is deleted.',
  }),
});

const Status = k.object({
  observedGeneration: k.optional(k.integer({ format: 'int64' })),
  replicated: k.optional(k.integer({ description: 'Namespaces holding an up-to-date copy.' })),
  conditions: k.optional(k.conditions()),
});

export type ReplicationSpec = k.Static<typeof Spec>;
export type ReplicationStatus = k.Static<typeof Status>;
export type ConfigMapReplication = CustomObject<ReplicationSpec, ReplicationStatus>;

export const configMapReplication = defineCustomResource({
  group: 'replicator.example.com',
  kind: 'ConfigMapReplication',
  plural: 'configmapreplications',
  shortNames: ['cmr'],
  description: 'Copies a ConfigMap into other namespaces and keeps the copies in sync.',
  versions: [
    {
      name: 'v1',
      spec: Spec,
      status: Status,
      printerColumns: [
        { name: 'Source', type: 'string', jsonPath: '.spec.source' },
        { name: 'Replicated', type: 'integer', jsonPath: '.status.replicated' },
        {
          name: 'Ready',
          type: 'string',
          jsonPath: ".status.conditions[?(@.type=='Ready')].status",
        },
      ],
    },
  ],
});

/** For the repo's generator: CRD YAML and API reference live inside the example. */
export const replicatorCrds: CrdBundle = {
  app: 'configmap-replicator',
  resources: [configMapReplication],
  crdDir: 'examples/configmap-replicator/deploy/crds',
  docsDir: 'examples/configmap-replicator/docs',
};
