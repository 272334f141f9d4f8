// EtcdRestore: a new cluster (or, when asked explicitly, a replaced one) seeded from a backup.
import * as k from '../../dsl.ts';
import { defineCustomResource } from '../../resource.ts';
import { BackupLocation, DNS_LABEL_PATTERN, ETCD_GROUP } from './common.ts';
import { EtcdClusterSpec } from './cluster.ts';

export const EtcdRestoreSpec = k.object(
  {
    source: k.object(
      {
        location: BackupLocation,
        key: k.optional(
          k.string({
            description:
              'A specific backup under the location; the latest successful one when unset.',
            minLength: 1,
            maxLength: 1024,
          }),
        ),
      },
      { title: 'EtcdRestoreSource' },
    ),
    clusterName: k.string({
      description: 'Name of the EtcdCluster to create from the backup.',
      pattern: DNS_LABEL_PATTERN,
      maxLength: 40,
      validations: [{ rule: 'self == oldSelf', message: 'clusterName is immutable' }],
    }),
    replaceExisting: k.boolean({
      default: false,
      description:
        'If an EtcdCluster of that name exists: false (default) fails the restore; true deletes it and its data first.',
    }),
    clusterSpec: k.optional(EtcdClusterSpec),
  },
  { title: 'EtcdRestoreSpec' },
);

export const EtcdRestoreStatus = k.object(
  {
    observedGeneration: k.optional(k.integer({ format: 'int64' })),
    conditions: k.optional(k.conditions()),
    phase: k.optional(k.enumOf(['Pending', 'Restoring', 'Succeeded', 'Failed'] as const)),
    backupKey: k.optional(k.string()),
    restoredRevision: k.optional(k.string()),
    sha256: k.optional(k.string()),
    completionTime: k.optional(k.string({ format: 'date-time' })),
  },
  { title: 'EtcdRestoreStatus' },
);

export const etcdRestore = defineCustomResource({
  group: ETCD_GROUP,
  kind: 'EtcdRestore',
  plural: 'etcdrestores',
  // Not 'etcd': kubectl expands a category before a short name, so `kubectl get etcd` would
  // list every kind instead of the clusters.
  categories: ['opsmith', 'etcd-operator'],
  description: 'Restores a backup into a new EtcdCluster.',
  versions: [
    {
      name: 'v1alpha1',
      spec: EtcdRestoreSpec,
      status: EtcdRestoreStatus,
      printerColumns: [
        { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName' },
        { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        { name: 'Revision', type: 'string', jsonPath: '.status.restoredRevision' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    },
  ],
});
