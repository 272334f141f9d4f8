// EtcdBackup: a one-shot or scheduled snapshot of an EtcdCluster, streamed to a backup location.
import * as k from '../../dsl.ts';
import { defineCustomResource } from '../../resource.ts';
import { BackupLocation, DNS_LABEL_PATTERN, ETCD_GROUP } from './common.ts';

/** Five cron fields (minute hour day-of-month month day-of-week) or a @-macro. */
export const CRON_PATTERN =
  '^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every [0-9]+(s|m|h)|([0-9*/,-]+\\s+){4}[0-9A-Za-z*/,-]+)$';

export const EtcdBackupSpec = k.object(
  {
    clusterName: k.string({
      description: 'The EtcdCluster (same namespace) to back up.',
      pattern: DNS_LABEL_PATTERN,
      maxLength: 63,
    }),
    destination: BackupLocation,
    schedule: k.optional(
      k.string({
        description:
          'Cron schedule (e.g. "0 */6 * * *" or "@hourly"). Unset: a single backup, taken once.',
        pattern: CRON_PATTERN,
      }),
    ),
    timeZone: k.optional(
      k.string({
        description:
          'IANA time zone the schedule is read in (e.g. "Europe/Berlin"); UTC when unset.',
        pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$',
        maxLength: 64,
      }),
    ),
    retention: k.optional(
      k.object(
        {
          maxBackups: k.integer({
            minimum: 1,
            maximum: 1000,
            default: 7,
            description: 'Keep this many successful backups; older ones are deleted.',
          }),
        },
        { title: 'EtcdBackupRetention' },
      ),
    ),
    verify: k.boolean({
      default: false,
      description:
        'After upload, read the backup back and check its sha256 and snapshot integrity.',
    }),
    timeoutSeconds: k.integer({
      default: 600,
      minimum: 10,
      maximum: 86400,
      description: 'Fail a backup that takes longer.',
    }),
    suspend: k.boolean({ default: false, description: 'Skip scheduled runs while true.' }),
  },
  {
    title: 'EtcdBackupSpec',
    validations: [
      {
        rule: 'has(self.schedule) || !has(self.timeZone)',
        message: 'timeZone applies to scheduled backups only',
        fieldPath: '.timeZone',
      },
      {
        rule: 'has(self.schedule) || !has(self.retention)',
        message: 'retention applies to scheduled backups only',
        fieldPath: '.retention',
      },
    ],
  },
);

const BackupRecord = k.object(
  {
    key: k.string({ description: 'Object key or file path of the backup.' }),
    revision: k.string({ description: 'etcd store revision contained in the snapshot.' }),
    size: k.integer({ format: 'int64', description: 'Bytes.' }),
    sha256: k.string(),
    etcdVersion: k.string(),
    member: k.optional(k.string({ description: 'Member the snapshot was taken from.' })),
    startTime: k.string({ format: 'date-time' }),
    completionTime: k.string({ format: 'date-time' }),
    verified: k.optional(k.boolean()),
  },
  { title: 'EtcdBackupRecord' },
);

export const EtcdBackupStatus = k.object(
  {
    observedGeneration: k.optional(k.integer({ format: 'int64' })),
    conditions: k.optional(k.conditions()),
    phase: k.optional(
      k.enumOf(['Pending', 'Running', 'Succeeded', 'Failed', 'Scheduled'] as const),
    ),
    lastBackup: k.optional(BackupRecord),
    lastSuccessTime: k.optional(k.string({ format: 'date-time' })),
    lastScheduleTime: k.optional(k.string({ format: 'date-time' })),
    nextScheduleTime: k.optional(k.string({ format: 'date-time' })),
    backups: k.optional(k.integer({ description: 'Backups currently retained.' })),
  },
  { title: 'EtcdBackupStatus' },
);

export const etcdBackup = defineCustomResource({
  group: ETCD_GROUP,
  kind: 'EtcdBackup',
  plural: 'etcdbackups',
  shortNames: ['etcdbk'],
  // Not 'etcd': kubectl expands a category before a short name, so `kubectl get etcd` would
  // list every kind instead of the clusters.
  categories: ['opsmith', 'etcd-operator'],
  description: 'A snapshot of an EtcdCluster, once or on a schedule, with retention.',
  versions: [
    {
      name: 'v1alpha1',
      spec: EtcdBackupSpec,
      status: EtcdBackupStatus,
      printerColumns: [
        { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName' },
        { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule' },
        { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        { name: 'Revision', type: 'string', jsonPath: '.status.lastBackup.revision' },
        { name: 'Size', type: 'integer', jsonPath: '.status.lastBackup.size' },
        { name: 'Last Success', type: 'date', jsonPath: '.status.lastSuccessTime' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    },
  ],
});
