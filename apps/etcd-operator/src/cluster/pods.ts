// Pure builders of the Kubernetes objects of an etcd cluster: one Pod and one PVC per member (not
// a StatefulSet: the operator must choose which member goes and when, and add each member to etcd
// before its pod exists), a headless peer Service, a client Service and a PodDisruptionBudget.
import { createHash } from 'node:crypto';
import { OWNED_ETCD_FLAGS } from '@opsmith/crd-schemas';
import { clusterImage, type EtcdCluster, type EtcdClusterSpec } from '../api/types.ts';
import { seedInitContainers, seedSourceOf } from '../restore/seed.ts';
import { quorum } from './decide.ts';
import {
  clientServiceName,
  ETCD_CLIENT_PORT,
  ETCD_METRICS_PORT,
  ETCD_PEER_PORT,
  memberClientURL,
  memberPeerURL,
  pdbName,
  peerServiceName,
  pvcName,
  type ClusterRef,
} from './names.ts';

export const ETCD_BINARY = '/usr/local/bin/etcd';
export const DATA_MOUNT = '/var/lib/etcd';
/** A subdirectory, so a filesystem's lost+found never makes etcd think the dir holds data. */
export const DATA_DIR = `${DATA_MOUNT}/data`;
export const TLS_MOUNT = '/etc/etcd/tls';
export const DEFAULT_STORAGE_SIZE = '1Gi';
export const DEFAULT_RESOURCES = { requests: { cpu: '100m', memory: '128Mi' } };
export const RUN_AS_USER = 65532;

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_CLUSTER = 'etcd.opsmith.io/cluster';
export const LABEL_MEMBER = 'etcd.opsmith.io/member';
/** Tells the cluster's Services apart ("peer", "client"): a ServiceMonitor selects the client one. */
export const LABEL_SERVICE = 'etcd.opsmith.io/service';
export const ANNOTATION_SPEC_HASH = 'etcd.opsmith.io/pod-spec-hash';
export const ANNOTATION_MEMBER_ID = 'etcd.opsmith.io/member-id';
/**
 * The pod's --initial-cluster-state. A seed pod ("new") is rolled to "existing" once the cluster
 * runs: restarted on a wiped volume, "new" would bootstrap a second cluster under the same member
 * and cluster IDs (both derive from the flags), which no observation can tell from the real one.
 */
export const ANNOTATION_INITIAL_STATE = 'etcd.opsmith.io/initial-cluster-state';

/**
 * Flags the operator sets itself; users may not pass them in spec.extraArgs (a CEL rule rejects
 * them at admission, validateExtraArgs at run time). The one list lives beside that CEL rule.
 */
export const OWNED_FLAGS = OWNED_ETCD_FLAGS;

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> } & Record<
    string,
    unknown
  >;
};

export function clusterRef(c: EtcdCluster, clusterDomain?: string): ClusterRef {
  return {
    name: c.metadata.name,
    namespace: c.metadata.namespace,
    ...(clusterDomain ? { clusterDomain } : {}),
  };
}

export function selectorLabels(cluster: string): Record<string, string> {
  return { [LABEL_NAME]: 'etcd', [LABEL_INSTANCE]: cluster, [LABEL_CLUSTER]: cluster };
}

function commonLabels(cluster: string): Record<string, string> {
  return { ...selectorLabels(cluster), [LABEL_MANAGED_BY]: 'etcd-operator' };
}

function ownerReferences(c: EtcdCluster): Record<string, unknown>[] {
  return c.metadata.uid
    ? [
        {
          apiVersion: c.apiVersion,
          kind: c.kind,
          name: c.metadata.name,
          uid: c.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]
    : [];
}

function meta(c: EtcdCluster, name: string, extraLabels: Record<string, string> = {}) {
  const owners = ownerReferences(c);
  return {
    name,
    namespace: c.metadata.namespace,
    labels: { ...commonLabels(c.metadata.name), ...extraLabels },
    ...(owners.length ? { ownerReferences: owners } : {}),
  };
}

/** Flag name without dashes, from "--x", "-x" or "x" (extraArgs accept all three). */
export function flagName(key: string): string {
  return key.replace(/^-{1,2}/, '').split('=')[0];
}

export function validateExtraArgs(extra: Record<string, string> | undefined): string[] {
  const owned = new Set<string>(OWNED_FLAGS);
  return Object.keys(extra ?? {})
    .filter((k) => owned.has(flagName(k)))
    .map((k) => `spec.extraArgs: --${flagName(k)} is set by the operator`);
}

export interface TlsLayout {
  peer: boolean;
  client: boolean;
  /** Secret with ca.crt/tls.crt/tls.key for this member (operator-generated certificates). */
  memberSecret?: string;
  /** User-provided Secrets (provider Secrets). */
  peerSecret?: string;
  serverSecret?: string;
}

export function memberTlsSecretName(member: string): string {
  return `${member}-tls`;
}

export function tlsLayout(spec: EtcdClusterSpec, member: string): TlsLayout {
  const peer = Boolean(spec.tls?.peer);
  const client = Boolean(spec.tls?.client);
  if (!peer && !client) return { peer, client };
  if (spec.tls?.provider === 'Secrets') {
    return {
      peer,
      client,
      ...(spec.tls.peerSecret ? { peerSecret: spec.tls.peerSecret } : {}),
      ...(spec.tls.serverSecret ? { serverSecret: spec.tls.serverSecret } : {}),
    };
  }
  return { peer, client, memberSecret: memberTlsSecretName(member) };
}

function tlsDirs(t: TlsLayout): { peer: string; server: string } {
  if (t.memberSecret) return { peer: `${TLS_MOUNT}/member`, server: `${TLS_MOUNT}/member` };
  return { peer: `${TLS_MOUNT}/peer`, server: `${TLS_MOUNT}/server` };
}

export interface MemberFlagsInput {
  ref: ClusterRef;
  member: string;
  /** Every member (this one included) as `name=peerURL`, from etcd's member list. */
  initialCluster: { name: string; peerURL: string }[];
  state: 'new' | 'existing';
  token: string;
  tls: TlsLayout;
  extraArgs?: Record<string, string>;
}

export function etcdFlags(i: MemberFlagsInput): string[] {
  const peerTls = i.tls.peer;
  const clientTls = i.tls.client;
  const dirs = tlsDirs(i.tls);
  const flags = [
    `--name=${i.member}`,
    `--data-dir=${DATA_DIR}`,
    `--listen-peer-urls=${peerTls ? 'https' : 'http'}://0.0.0.0:${ETCD_PEER_PORT}`,
    `--listen-client-urls=${clientTls ? 'https' : 'http'}://0.0.0.0:${ETCD_CLIENT_PORT}`,
    `--advertise-client-urls=${memberClientURL(i.ref, i.member, clientTls)}`,
    `--initial-advertise-peer-urls=${memberPeerURL(i.ref, i.member, peerTls)}`,
    `--initial-cluster=${i.initialCluster.map((m) => `${m.name}=${m.peerURL}`).join(',')}`,
    `--initial-cluster-state=${i.state}`,
    `--initial-cluster-token=${i.token}`,
    // Plain-HTTP /health and /metrics for probes and Prometheus, even with client TLS on.
    `--listen-metrics-urls=http://0.0.0.0:${ETCD_METRICS_PORT}`,
  ];
  if (clientTls) {
    flags.push(
      `--cert-file=${dirs.server}/tls.crt`,
      `--key-file=${dirs.server}/tls.key`,
      `--trusted-ca-file=${dirs.server}/ca.crt`,
      '--client-cert-auth=true',
    );
  }
  if (peerTls) {
    flags.push(
      `--peer-cert-file=${dirs.peer}/tls.crt`,
      `--peer-key-file=${dirs.peer}/tls.key`,
      `--peer-trusted-ca-file=${dirs.peer}/ca.crt`,
      '--peer-client-cert-auth=true',
    );
  }
  const owned = new Set<string>(OWNED_FLAGS);
  for (const [k, v] of Object.entries(i.extraArgs ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (owned.has(flagName(k))) continue; // rejected at admission; never let one through
    flags.push(`--${flagName(k)}=${v}`);
  }
  return flags;
}

/**
 * Hash of everything in a member pod except the image and per-member values: a change means the
 * pods must be rolled (one at a time, by decide()).
 */
export function podSpecHash(spec: EtcdClusterSpec): string {
  const relevant = {
    resources: spec.resources ?? null,
    pod: spec.pod ?? null,
    extraArgs: spec.extraArgs ?? null,
    tls: spec.tls ?? null,
    storage: { type: spec.storage?.type ?? null, medium: spec.storage?.medium ?? null },
  };
  return createHash('sha256').update(stableJson(relevant)).digest('hex').slice(0, 16);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export interface MemberPodInput {
  cluster: EtcdCluster;
  member: string;
  /** etcd member id (decimal), recorded on the pod for humans and for observe. */
  memberId?: string;
  initialCluster: { name: string; peerURL: string }[];
  state: 'new' | 'existing';
  token: string;
  /** Image decided by decide() (the current one while an upgrade is blocked). */
  image?: string;
  clusterDomain?: string;
}

export function buildMemberPod(i: MemberPodInput): K8sObject {
  const c = i.cluster;
  const spec = c.spec;
  const ref = clusterRef(c, i.clusterDomain);
  const tls = tlsLayout(spec, i.member);
  const dirs = tlsDirs(tls);
  const overrides = spec.pod ?? {};
  const emptyDir = spec.storage?.type === 'EmptyDir';
  const volumes: Record<string, unknown>[] = [
    emptyDir
      ? { name: 'data', emptyDir: spec.storage?.medium ? { medium: spec.storage.medium } : {} }
      : { name: 'data', persistentVolumeClaim: { claimName: pvcName(i.member) } },
  ];
  const mounts: Record<string, unknown>[] = [{ name: 'data', mountPath: DATA_MOUNT }];
  if (tls.memberSecret) {
    volumes.push({ name: 'tls', secret: { secretName: tls.memberSecret, defaultMode: 0o400 } });
    mounts.push({ name: 'tls', mountPath: dirs.server, readOnly: true });
  } else {
    if (tls.peerSecret) {
      volumes.push({
        name: 'peer-tls',
        secret: { secretName: tls.peerSecret, defaultMode: 0o400 },
      });
      mounts.push({ name: 'peer-tls', mountPath: dirs.peer, readOnly: true });
    }
    if (tls.serverSecret) {
      volumes.push({
        name: 'server-tls',
        secret: { secretName: tls.serverSecret, defaultMode: 0o400 },
      });
      mounts.push({ name: 'server-tls', mountPath: dirs.server, readOnly: true });
    }
  }
  const args = etcdFlags({
    ref,
    member: i.member,
    initialCluster: i.initialCluster,
    state: i.state,
    token: i.token,
    tls,
    ...(spec.extraArgs ? { extraArgs: spec.extraArgs } : {}),
  });
  // A cluster seeded from a backup (EtcdRestore, quorum-loss recovery): the seed pod restores it
  // first (src/restore/seed.ts; both init containers skip when the data dir holds a member).
  const seedSource = i.state === 'new' ? seedSourceOf(c.metadata.annotations) : undefined;
  const seed = seedSource
    ? seedInitContainers({
        source: seedSource,
        member: i.member,
        peerURL: memberPeerURL(ref, i.member, tls.peer),
        token: i.token,
        etcdImage: i.image ?? clusterImage(spec),
        dataMount: DATA_MOUNT,
        dataDir: DATA_DIR,
      })
    : undefined;
  if (seed) volumes.push(...seed.volumes);
  const metadata = meta(c, i.member, { [LABEL_MEMBER]: i.member });
  // Operator labels win over user labels: selectors must keep matching.
  metadata.labels = { ...(overrides.labels ?? {}), ...metadata.labels };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata,
      annotations: {
        ...(overrides.annotations ?? {}),
        [ANNOTATION_SPEC_HASH]: podSpecHash(spec),
        ...(i.memberId ? { [ANNOTATION_MEMBER_ID]: i.memberId } : {}),
        [ANNOTATION_INITIAL_STATE]: i.state,
      },
    },
    spec: {
      // hostname + subdomain = <member>.<peer-svc>.<ns>.svc, the member's stable peer name.
      hostname: i.member,
      subdomain: peerServiceName(c.metadata.name),
      // A crashed etcd restarts on its data in place; the member keeps its ID.
      restartPolicy: 'Always',
      // etcd flushes on SIGTERM quickly; a long grace only delays replacements.
      terminationGracePeriodSeconds: 30,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: RUN_AS_USER,
        runAsGroup: RUN_AS_USER,
        fsGroup: RUN_AS_USER,
        seccompProfile: { type: 'RuntimeDefault' },
        ...(overrides.securityContext ?? {}),
      },
      ...(overrides.nodeSelector ? { nodeSelector: overrides.nodeSelector } : {}),
      ...(overrides.affinity
        ? { affinity: overrides.affinity }
        : {
            // Spread members over nodes when possible; never required (single-node clusters).
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      topologyKey: 'kubernetes.io/hostname',
                      labelSelector: { matchLabels: selectorLabels(c.metadata.name) },
                    },
                  },
                ],
              },
            },
          }),
      ...(overrides.tolerations ? { tolerations: overrides.tolerations } : {}),
      ...(overrides.priorityClassName ? { priorityClassName: overrides.priorityClassName } : {}),
      ...(seed ? { initContainers: seed.initContainers } : {}),
      containers: [
        {
          name: 'etcd',
          image: i.image ?? clusterImage(spec),
          command: [ETCD_BINARY],
          args,
          ports: [
            { name: 'client', containerPort: ETCD_CLIENT_PORT, protocol: 'TCP' },
            { name: 'peer', containerPort: ETCD_PEER_PORT, protocol: 'TCP' },
            { name: 'metrics', containerPort: ETCD_METRICS_PORT, protocol: 'TCP' },
          ],
          resources: spec.resources ?? DEFAULT_RESOURCES,
          volumeMounts: mounts,
          // Ready = has a leader and answers (etcd's /health). Not ready members still get DNS
          // (publishNotReadyAddresses), which peers need to reach a member that is catching up.
          readinessProbe: {
            httpGet: { path: '/health', port: ETCD_METRICS_PORT, scheme: 'HTTP' },
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 3,
          },
          // Alive = the process serves HTTP. Deliberately not /health: a member waiting for quorum
          // or replaying a large WAL is healthy as a process, and restarting it cannot help.
          livenessProbe: {
            httpGet: { path: '/metrics', port: ETCD_METRICS_PORT, scheme: 'HTTP' },
            initialDelaySeconds: 10,
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 6,
          },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
      volumes,
    },
  };
}

export function buildMemberPvc(c: EtcdCluster, member: string): K8sObject {
  const s = c.spec.storage ?? {};
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(c, pvcName(member), { [LABEL_MEMBER]: member }),
    spec: {
      accessModes: s.accessModes ?? ['ReadWriteOnce'],
      resources: { requests: { storage: s.size ?? DEFAULT_STORAGE_SIZE } },
      ...(s.storageClassName ? { storageClassName: s.storageClassName } : {}),
    },
  };
}

/** Headless: every member gets <member>.<svc>.<ns>.svc, ready or not (peers must find it). */
export function buildPeerService(c: EtcdCluster): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(c, peerServiceName(c.metadata.name), { [LABEL_SERVICE]: 'peer' }),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: selectorLabels(c.metadata.name),
      ports: [
        { name: 'peer', port: ETCD_PEER_PORT, targetPort: ETCD_PEER_PORT, protocol: 'TCP' },
        { name: 'client', port: ETCD_CLIENT_PORT, targetPort: ETCD_CLIENT_PORT, protocol: 'TCP' },
      ],
    },
  };
}

/** Clients connect here; only ready members receive traffic. */
export function buildClientService(c: EtcdCluster): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(c, clientServiceName(c.metadata.name), { [LABEL_SERVICE]: 'client' }),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(c.metadata.name),
      ports: [
        { name: 'client', port: ETCD_CLIENT_PORT, targetPort: ETCD_CLIENT_PORT, protocol: 'TCP' },
        {
          name: 'metrics',
          port: ETCD_METRICS_PORT,
          targetPort: ETCD_METRICS_PORT,
          protocol: 'TCP',
        },
      ],
    },
  };
}

/**
 * Voluntary disruptions (drains, evictions) may take members down only while a quorum of the
 * spec size stays available: size 3 -> 1 at a time, size 5 -> 2, size 1 -> none.
 */
export function buildPodDisruptionBudget(c: EtcdCluster): K8sObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(c, pdbName(c.metadata.name)),
    spec: {
      minAvailable: quorum(c.spec.size),
      selector: { matchLabels: selectorLabels(c.metadata.name) },
    },
  };
}

/** A stable token per cluster object: a restore or a recreated cluster gets a new one. */
export function clusterToken(c: EtcdCluster): string {
  const uid = c.metadata.uid ? `-${c.metadata.uid.slice(0, 8)}` : '';
  return `${c.metadata.namespace}-${c.metadata.name}${uid}`;
}
