// The etcd.opsmith.io/v1alpha1 API as the operator code sees it. The CRD schemas (validation,
// defaults, printer columns) are declared in packages/crd-schemas/src/crds/etcd/; these plain types
// mirror their Static<> types so the app compiles before that bundle is exported.

export const API_GROUP = 'etcd.opsmith.io';
export const API_VERSION = 'etcd.opsmith.io/v1alpha1';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

export interface ResourceRequirements {
  limits?: Record<string, string>;
  requests?: Record<string, string>;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface PodTemplateOverrides {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Toleration[];
  priorityClassName?: string;
  /** Pod-level securityContext; merged over the operator's non-root defaults. */
  securityContext?: Record<string, unknown>;
}

export interface StorageSpec {
  /** PVC template (default) or emptyDir when chosen explicitly. */
  type?: 'PersistentVolumeClaim' | 'EmptyDir';
  size?: string;
  storageClassName?: string;
  accessModes?: string[];
  /** What happens to a removed member's PVC; default Delete. */
  retentionPolicy?: 'Delete' | 'Retain';
  /** emptyDir.medium (Memory for tmpfs). */
  medium?: '' | 'Memory';
}

export interface TlsSpec {
  /** Operator-generated certificates from its own CA (default), or user Secrets. */
  provider?: 'Operator' | 'Secrets';
  /** With provider Secrets: kubernetes.io/tls Secrets with ca.crt. */
  peerSecret?: string;
  serverSecret?: string;
  clientSecret?: string;
  /** Validity of generated member/client certificates; default 90 days. */
  certificateValidityDays?: number;
}

export interface EtcdClusterSpec {
  size: number;
  version: string;
  repository?: string;
  /** Full image reference; overrides repository:v<version>. */
  image?: string;
  storage?: StorageSpec;
  resources?: ResourceRequirements;
  pod?: PodTemplateOverrides;
  /** Extra etcd flags, `--name=value` or `name: value`; flags the operator owns are rejected. */
  extraArgs?: Record<string, string>;
  tls?: { peer?: boolean; client?: boolean } & TlsSpec;
  paused?: boolean;
  backup?: { scheduleRef?: string };
  recovery?: { restoreFromBackup?: boolean };
  /** Replace a member unhealthy for longer than this (seconds); default 300. */
  replaceUnhealthyAfterSeconds?: number;
  monitoring?: MonitoringSpec;
}

export interface MonitoringSpec {
  /** A monitoring.coreos.com ServiceMonitor for the members' metrics (needs the CRD installed). */
  serviceMonitor?: {
    enabled?: boolean;
    /** Extra labels, e.g. the ones a Prometheus' serviceMonitorSelector matches. */
    labels?: Record<string, string>;
    /** Scrape interval, e.g. 30s (default: Prometheus'). */
    interval?: string;
  };
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface MemberStatus {
  name: string;
  id: string;
  peerURL: string;
  clientURL: string;
  isLeader: boolean;
  isLearner: boolean;
  healthy: boolean;
  version?: string;
  /** RFC 3339; when the member was first seen unhealthy (survives operator restarts). */
  unhealthySince?: string;
}

export interface EtcdClusterStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  members?: MemberStatus[];
  leaderID?: string;
  readyMembers?: number;
  /** "ready/size", for the Ready printer column. */
  ready?: string;
  currentVersion?: string;
  targetVersion?: string;
  clientService?: string;
  clusterID?: string;
  nextOrdinal?: number;
}

export interface EtcdCluster {
  apiVersion: typeof API_VERSION;
  kind: 'EtcdCluster';
  metadata: ObjectMeta;
  spec: EtcdClusterSpec;
  status?: EtcdClusterStatus;
}

export const DEFAULT_REPOSITORY = 'quay.io/coreos/etcd';

export function clusterImage(
  spec: Pick<EtcdClusterSpec, 'image' | 'repository' | 'version'>,
): string {
  if (spec.image) return spec.image;
  const repo = spec.repository ?? DEFAULT_REPOSITORY;
  return `${repo}:v${spec.version.replace(/^v/, '')}`;
}

export function tlsEnabled(spec: EtcdClusterSpec): { peer: boolean; client: boolean } {
  return { peer: Boolean(spec.tls?.peer), client: Boolean(spec.tls?.client) };
}
