// EtcdCluster: an etcd cluster the operator creates, scales, heals, upgrades and secures.
import * as k from '../../dsl.ts';
import { defineCustomResource } from '../../resource.ts';
import { ETCD_GROUP, VERSION_PATTERN, secretRef } from './common.ts';

/** Flags the operator sets itself; apps/etcd-operator/src/cluster/pods.ts uses this list. */
export const OWNED_ETCD_FLAGS = [
  'name',
  'data-dir',
  'wal-dir',
  'listen-client-urls',
  'advertise-client-urls',
  'listen-peer-urls',
  'initial-advertise-peer-urls',
  'initial-cluster',
  'initial-cluster-state',
  'initial-cluster-token',
  'listen-metrics-urls',
  'discovery',
  'discovery-srv',
  'force-new-cluster',
  'cert-file',
  'key-file',
  'trusted-ca-file',
  'client-cert-auth',
  'auto-tls',
  'peer-cert-file',
  'peer-key-file',
  'peer-trusted-ca-file',
  'peer-client-cert-auth',
  'peer-auto-tls',
] as const;

const celList = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

const Storage = k.object(
  {
    type: k.enumOf(['PersistentVolumeClaim', 'EmptyDir'] as const, {
      default: 'PersistentVolumeClaim',
      description:
        "PersistentVolumeClaim (default): each member keeps its data across pod restarts and node moves. EmptyDir loses a member's data with its pod; choose it only for throwaway clusters.",
    }),
    size: k.optional(
      k.quantity({
        description: 'Requested volume size per member (default 1Gi).',
        validations: [
          { rule: 'quantity(string(self)).sign() > 0', message: 'size must be greater than zero' },
        ],
      }),
    ),
    storageClassName: k.optional(k.string({ description: 'StorageClass of the member PVCs.' })),
    accessModes: k.optional(
      k.array(k.enumOf(['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany'] as const), {
        listType: 'set',
      }),
    ),
    retentionPolicy: k.enumOf(['Delete', 'Retain'] as const, {
      default: 'Delete',
      description: "What happens to a removed member's PVC.",
    }),
    medium: k.optional(
      k.enumOf(['', 'Memory'] as const, { description: 'emptyDir medium (Memory = tmpfs).' }),
    ),
  },
  {
    title: 'EtcdStorage',
    description: 'Member storage.',
    validations: [
      {
        rule: "self.type == 'EmptyDir' || !has(self.medium)",
        message: 'medium applies to EmptyDir storage only',
        fieldPath: '.medium',
      },
    ],
  },
);

const Resources = k.object(
  {
    limits: k.optional(k.map(k.quantity())),
    requests: k.optional(k.map(k.quantity())),
  },
  { title: 'ResourceRequirements', description: 'CPU and memory of the etcd container.' },
);

const Toleration = k.object({
  key: k.optional(k.string()),
  operator: k.optional(k.enumOf(['Exists', 'Equal'] as const)),
  value: k.optional(k.string()),
  effect: k.optional(k.enumOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const)),
  tolerationSeconds: k.optional(k.integer({ format: 'int64' })),
});

const PodOverrides = k.object(
  {
    labels: k.optional(k.map(k.string(), { description: 'Extra pod labels.' })),
    annotations: k.optional(k.map(k.string(), { description: 'Extra pod annotations.' })),
    nodeSelector: k.optional(k.map(k.string())),
    affinity: k.optional(
      k.freeform({ description: 'Pod affinity (default: prefer one member per node).' }),
    ),
    tolerations: k.optional(k.array(Toleration, { listType: 'atomic' })),
    priorityClassName: k.optional(k.string()),
    securityContext: k.optional(
      k.freeform({ description: 'Pod securityContext, merged over the non-root defaults.' }),
    ),
  },
  { title: 'EtcdPodOverrides', description: 'Pod template overrides for every member.' },
);

const Tls = k.object(
  {
    peer: k.boolean({ default: false, description: 'HTTPS with mutual TLS between members.' }),
    client: k.boolean({
      default: false,
      description: 'HTTPS for clients, with client-certificate authentication.',
    }),
    provider: k.enumOf(['Operator', 'Secrets'] as const, {
      default: 'Operator',
      description:
        'Operator: certificates issued from a per-cluster CA and rotated before expiry. Secrets: taken from the named Secrets (tls.crt, tls.key, ca.crt).',
    }),
    peerSecret: k.optional(secretRef('Secret with the peer certificate (provider Secrets).')),
    serverSecret: k.optional(secretRef('Secret with the serving certificate (provider Secrets).')),
    clientSecret: k.optional(
      secretRef('Secret with the client certificate the operator uses (provider Secrets).'),
    ),
    certificateValidityDays: k.integer({
      default: 90,
      minimum: 1,
      maximum: 3650,
      description: 'Validity of operator-issued certificates; renewed when a third is left.',
    }),
  },
  {
    title: 'EtcdTls',
    description: 'TLS for peer and client traffic.',
    validations: [
      {
        rule: "self.provider != 'Secrets' || !self.peer || has(self.peerSecret)",
        message: 'peerSecret is required with provider Secrets and peer TLS',
        fieldPath: '.peerSecret',
      },
      {
        rule: "self.provider != 'Secrets' || !self.client || (has(self.serverSecret) && has(self.clientSecret))",
        message: 'serverSecret and clientSecret are required with provider Secrets and client TLS',
        fieldPath: '.serverSecret',
      },
    ],
  },
);

const Monitoring = k.object(
  {
    serviceMonitor: k.optional(
      k.object(
        {
          enabled: k.boolean({
            default: false,
            description:
              "Create a monitoring.coreos.com/v1 ServiceMonitor selecting the cluster's client Service (port metrics), when that CRD is installed; otherwise the Monitoring condition says it is missing.",
          }),
          labels: k.optional(
            k.map(k.string({ maxLength: 63 }), {
              description:
                "Extra labels on the ServiceMonitor, e.g. the ones a Prometheus' serviceMonitorSelector matches.",
              maxProperties: 32,
            }),
          ),
          interval: k.optional(
            k.string({
              pattern:
                '^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$',
              minLength: 2,
              description:
                'Scrape interval as a Prometheus duration, e.g. 30s (default: the Prometheus one).',
            }),
          ),
        },
        { title: 'EtcdServiceMonitor' },
      ),
    ),
  },
  { title: 'EtcdMonitoring', description: 'Prometheus integration.' },
);

export const EtcdClusterSpec = k.object(
  {
    size: k.integer({
      minimum: 1,
      maximum: 9,
      default: 3,
      description:
        'Number of voting members, 1 to 9. Odd sizes are recommended: an even size tolerates no more failures than the odd size below it (a Warning condition says so).',
    }),
    version: k.string({
      pattern: VERSION_PATTERN,
      default: '3.4.23',
      description:
        'etcd version (MAJOR.MINOR.PATCH). Changing it rolls the members one at a time; downgrades and skipped minor versions are refused (UpgradeBlocked).',
    }),
    repository: k.string({
      default: 'quay.io/coreos/etcd',
      description: 'Image repository; the image is <repository>:v<version>.',
      pattern: '^[^\\s:@]+(:[0-9]+)?(/[^\\s:@]+)*$',
    }),
    image: k.optional(
      k.string({
        description: 'Full image reference, overriding repository and version for the image only.',
        pattern: '^[^\\s]+$',
      }),
    ),
    storage: k.optional(Storage),
    resources: k.optional(Resources),
    pod: k.optional(PodOverrides),
    extraArgs: k.optional(
      k.map(k.string({ maxLength: 4096 }), {
        description:
          'Extra etcd flags by name without dashes, e.g. {"auto-compaction-retention": "1h"}. Flags the operator owns are rejected.',
        maxProperties: 64,
        validations: [
          {
            rule: "self.all(f, !f.startsWith('-'))",
            message: 'write flag names without leading dashes (e.g. snapshot-count)',
          },
          {
            rule: `self.all(f, !(f in ${celList(OWNED_ETCD_FLAGS)}))`,
            message: `these flags are set by the operator and cannot be overridden: ${OWNED_ETCD_FLAGS.join(', ')}`,
          },
        ],
      }),
    ),
    tls: k.optional(Tls),
    paused: k.boolean({
      default: false,
      description: 'Stop reconciling (no healing, scaling or upgrades) until set back to false.',
    }),
    backup: k.optional(
      k.object(
        {
          scheduleRef: k.optional(
            k.string({
              description: 'Name of a scheduled EtcdBackup of this cluster.',
              pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
            }),
          ),
        },
        { title: 'EtcdClusterBackup' },
      ),
    ),
    recovery: k.optional(
      k.object(
        {
          restoreFromBackup: k.boolean({
            default: false,
            description:
              'On quorum loss, restore a new cluster from the latest successful backup (Recovering condition). Off: Degraded/LostQuorum.',
          }),
        },
        { title: 'EtcdRecovery' },
      ),
    ),
    replaceUnhealthyAfterSeconds: k.integer({
      default: 300,
      minimum: 30,
      maximum: 86400,
      description: 'A member unhealthy this long is replaced (only while the others keep quorum).',
    }),
    monitoring: k.optional(Monitoring),
  },
  {
    title: 'EtcdClusterSpec',
    description: 'Desired state of an etcd cluster.',
    validations: [
      {
        rule: '!has(self.image) || self.image != ""',
        message: 'image must not be empty',
        fieldPath: '.image',
      },
    ],
  },
);

const MemberStatus = k.object({
  name: k.string(),
  id: k.string({ description: 'etcd member ID (decimal uint64).' }),
  peerURL: k.optional(k.string()),
  clientURL: k.optional(k.string()),
  isLeader: k.optional(k.boolean()),
  isLearner: k.optional(k.boolean()),
  healthy: k.optional(k.boolean()),
  version: k.optional(k.string()),
  unhealthySince: k.optional(
    k.string({
      format: 'date-time',
      description:
        'When the member was first seen unhealthy; replaced after spec.replaceUnhealthyAfterSeconds. Kept across operator restarts.',
    }),
  ),
});

export const EtcdClusterStatus = k.object(
  {
    observedGeneration: k.optional(k.integer({ format: 'int64' })),
    conditions: k.optional(k.conditions()),
    members: k.optional(k.array(MemberStatus, { listType: 'map', listMapKeys: ['name'] })),
    leaderID: k.optional(k.string()),
    leader: k.optional(k.string({ description: 'Name of the leading member.' })),
    readyMembers: k.optional(k.integer()),
    ready: k.optional(k.string({ description: 'ready/size, for kubectl get.' })),
    available: k.optional(k.string({ description: 'Status of the Available condition.' })),
    currentVersion: k.optional(k.string()),
    targetVersion: k.optional(k.string()),
    clientService: k.optional(k.string()),
    clusterID: k.optional(k.string()),
    nextOrdinal: k.optional(
      k.integer({ minimum: 0, description: 'Next member ordinal (ordinals are never reused).' }),
    ),
  },
  { title: 'EtcdClusterStatus' },
);

export type EtcdClusterSpecType = k.Static<typeof EtcdClusterSpec>;
export type EtcdClusterStatusType = k.Static<typeof EtcdClusterStatus>;

export const etcdCluster = defineCustomResource({
  group: ETCD_GROUP,
  kind: 'EtcdCluster',
  plural: 'etcdclusters',
  shortNames: ['etcd'],
  // Not 'etcd': kubectl expands a category before a short name, so `kubectl get etcd` would
  // list every kind instead of the clusters.
  categories: ['opsmith', 'etcd-operator'],
  description: 'An etcd cluster managed by the Opsmith etcd operator.',
  versions: [
    {
      name: 'v1alpha1',
      spec: EtcdClusterSpec,
      status: EtcdClusterStatus,
      scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.readyMembers' },
      printerColumns: [
        { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
        { name: 'Ready', type: 'string', jsonPath: '.status.ready' },
        { name: 'Version', type: 'string', jsonPath: '.status.currentVersion' },
        { name: 'Leader', type: 'string', jsonPath: '.status.leader' },
        {
          name: 'Available',
          type: 'string',
          jsonPath: ".status.conditions[?(@.type=='Available')].status",
        },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    },
  ],
});
