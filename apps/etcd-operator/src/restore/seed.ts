// Seeding a new cluster's first member from a backup. The EtcdCluster carries the annotation
// below (written by an EtcdRestore or by quorum-loss recovery); the seed member's pod (the one
// started with --initial-cluster-state new) then gets two init containers:
//   1. fetch-backup (the operator image, backup agent): fetches the backup into the data volume
//      and verifies size and sha256 before the file appears; only the credentials Secret is mounted.
//   2. restore-snapshot (the etcd image): `etcdctl snapshot restore` into the data dir, which also
//      checks the snapshot's own hash.
// Both skip when the data dir already holds a member, so a restarted pod never restores twice
// (and never needs the backup again once it has its data).
import type { BackupLocation } from '../backup/types.ts';

export const ANNOTATION_RESTORE_FROM = 'etcd.opsmith.io/restore-from';
export const DEFAULT_AGENT_IMAGE = 'ghcr.io/opsmith/etcd-operator:latest';

/** This operator's own image, for the agent init container: OPERATOR_IMAGE (the chart sets it). */
export function agentImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.OPERATOR_IMAGE?.trim() || DEFAULT_AGENT_IMAGE;
}
const CREDENTIALS_DIR = '/etc/backup-credentials';

export interface SeedSource {
  location: BackupLocation;
  /** A fixed backup id (resolved when the restore starts, never "latest"). */
  backupId: string;
  /** Image with the backup agent (this operator's image). */
  agentImage: string;
  /** Quorum-loss recovery: the member seeded in place of the lost ones. */
  member?: string;
}

export function formatSeedSource(s: SeedSource): string {
  return JSON.stringify(s);
}

/** The seed source of a cluster, or undefined (no annotation, or one that does not parse). */
export function seedSourceOf(
  annotations: Record<string, string> | undefined,
): SeedSource | undefined {
  const raw = annotations?.[ANNOTATION_RESTORE_FROM];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<SeedSource>;
    if (!v.location?.url || !v.backupId || !v.agentImage) return undefined;
    return v as SeedSource;
  } catch {
    return undefined;
  }
}

export interface SeedPodInput {
  source: SeedSource;
  member: string;
  peerURL: string;
  token: string;
  etcdImage: string;
  dataMount: string;
  dataDir: string;
}

const restricted = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

/** Init containers and the extra volume for a seed pod restored from a backup. */
export function seedInitContainers(i: SeedPodInput): {
  initContainers: Record<string, unknown>[];
  volumes: Record<string, unknown>[];
} {
  const l = i.source.location;
  const snapshot = `${i.dataMount}/restore/snapshot.db`;
  const creds = l.credentialsSecret;
  const fetchArgs = [
    'backup-agent',
    '--unless-exists',
    `${i.dataDir}/member`,
    'fetch',
    '--location',
    l.url,
    '--backup',
    i.source.backupId,
    '--output',
    snapshot,
    ...(l.endpoint ? ['--endpoint', l.endpoint] : []),
    ...(l.region ? ['--region', l.region] : []),
    ...(l.forcePathStyle === false ? ['--virtual-host'] : []),
    ...(creds ? ['--credentials-dir', CREDENTIALS_DIR] : []),
  ];
  const data = { name: 'data', mountPath: i.dataMount };
  const script = [
    'set -e',
    'if [ -d "$DATA_DIR/member" ]; then echo "data dir holds a member: no restore"; exit 0; fi',
    'rm -rf "$DATA_DIR.restoring"',
    '/usr/local/bin/etcdctl snapshot restore "$SNAPSHOT" --name "$MEMBER" --initial-cluster "$MEMBER=$PEER_URL" --initial-advertise-peer-urls "$PEER_URL" --initial-cluster-token "$TOKEN" --data-dir "$DATA_DIR.restoring"',
    'rm -rf "$DATA_DIR"',
    'mv "$DATA_DIR.restoring" "$DATA_DIR"',
    'rm -f "$SNAPSHOT"',
  ].join('\n');
  return {
    initContainers: [
      {
        name: 'fetch-backup',
        image: i.source.agentImage,
        args: fetchArgs,
        env: [{ name: 'BACKUP_TIMEOUT', value: '3600' }],
        volumeMounts: [
          data,
          ...(creds
            ? [{ name: 'backup-credentials', mountPath: CREDENTIALS_DIR, readOnly: true }]
            : []),
        ],
        securityContext: restricted,
      },
      {
        name: 'restore-snapshot',
        image: i.etcdImage,
        command: ['/bin/sh', '-c', script],
        env: [
          { name: 'ETCDCTL_API', value: '3' },
          { name: 'DATA_DIR', value: i.dataDir },
          { name: 'SNAPSHOT', value: snapshot },
          { name: 'MEMBER', value: i.member },
          { name: 'PEER_URL', value: i.peerURL },
          { name: 'TOKEN', value: i.token },
        ],
        volumeMounts: [data],
        securityContext: restricted,
      },
    ],
    // Read-only and world-readable inside the pod (stricter than the 0644 default): the agent
    // runs as a non-root user and secret files are not always given the pod's fsGroup.
    volumes: creds
      ? [{ name: 'backup-credentials', secret: { secretName: creds, defaultMode: 0o444 } }]
      : [],
  };
}
