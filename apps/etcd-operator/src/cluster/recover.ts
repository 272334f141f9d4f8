// Quorum-loss recovery (spec.recovery.restoreFromBackup): decide() chose a restore because too
// few members kept their data. The newest backup of this cluster (found through the EtcdBackups
// that name it) is verified, the old members' pods and PVCs are deleted, and a new seed member
// with a never-used ordinal starts from the backup (the restore init containers of
// src/restore/seed.ts); the cluster then grows to size as usual. Every step is idempotent and
// the chosen backup and seed member are recorded on the EtcdCluster first, so an operator killed
// half-way finishes the same recovery.
import { listBackups, verifyBackup, type BackupManifest } from '@opsmith/backup-storage';
import { isAlreadyExists, type KubeClient, type KubeObject } from '@opsmith/k8s-runtime';
import { API_VERSION, type EtcdCluster, type MemberStatus } from '../api/types.ts';
import { openLocation, storageRef } from '../backup/storage.ts';
import { ETCD_BACKUP, type BackupLocation, type EtcdBackup } from '../backup/types.ts';
import {
  agentImage,
  ANNOTATION_RESTORE_FROM,
  formatSeedSource,
  seedSourceOf,
  type SeedSource,
} from '../restore/seed.ts';
import { memberName, memberOrdinal, memberPeerURL, pvcName } from './names.ts';
import { buildMemberPod, buildMemberPvc, clusterRef, clusterToken, LABEL_CLUSTER } from './pods.ts';

const ETCD_CLUSTER = { apiVersion: API_VERSION, kind: 'EtcdCluster' };
const POD = { apiVersion: 'v1', kind: 'Pod' };
const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };

export interface Candidate {
  location: BackupLocation;
  manifest: BackupManifest;
}

/** Pure: this cluster's backups from every location, newest first. */
export function rankCandidates(
  cluster: { name: string; uid?: string },
  found: { location: BackupLocation; manifests: BackupManifest[] }[],
): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const f of found) {
    // The seed pod fetches the backup itself: only s3:// locations are reachable from it.
    if (!f.location.url.startsWith('s3://')) continue;
    for (const m of f.manifests) {
      if (m.source?.kind !== 'EtcdCluster' || m.source.name !== cluster.name) continue;
      const key = `${f.location.url}/${m.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ location: f.location, manifest: m });
    }
  }
  return out.sort((a, b) =>
    (b.manifest.completedAt ?? '').localeCompare(a.manifest.completedAt ?? ''),
  );
}

/** Every backup of the cluster, newest first, from the destinations of the EtcdBackups naming it. */
export async function findClusterBackups(kube: KubeClient, c: EtcdCluster): Promise<Candidate[]> {
  const ns = c.metadata.namespace;
  const backups = (
    await kube.list<EtcdBackup & KubeObject>(ETCD_BACKUP, { namespace: ns })
  ).items.filter((b) => b.spec.clusterName === c.metadata.name);
  const locations = new Map<string, BackupLocation>();
  for (const b of backups) locations.set(JSON.stringify(b.spec.destination), b.spec.destination);
  const found: { location: BackupLocation; manifests: BackupManifest[] }[] = [];
  for (const location of locations.values()) {
    try {
      const storage = await openLocation(kube, ns, storageRef(location));
      found.push({ location, manifests: await listBackups(storage) });
    } catch {
      // An unreachable location only narrows the choice; the others may still hold backups.
    }
  }
  return rankCandidates({ name: c.metadata.name }, found);
}

const availability = new Map<string, { at: number; value: boolean }>();

/** Whether a backup to recover from exists (cached 20 s: listing storage is not free). */
export async function recoveryBackupAvailable(kube: KubeClient, c: EtcdCluster): Promise<boolean> {
  const key = `${c.metadata.namespace}/${c.metadata.name}`;
  const hit = availability.get(key);
  if (hit && Date.now() - hit.at < 20_000) return hit.value;
  const value = (await findClusterBackups(kube, c)).length > 0;
  availability.set(key, { at: Date.now(), value });
  return value;
}

/** The newest backup that passes verification (older ones are tried when the newest does not). */
async function newestVerified(kube: KubeClient, c: EtcdCluster): Promise<Candidate | undefined> {
  for (const cand of await findClusterBackups(kube, c)) {
    try {
      const storage = await openLocation(kube, c.metadata.namespace, storageRef(cand.location));
      await verifyBackup(storage, cand.manifest);
      return cand;
    } catch {
      continue;
    }
  }
  return undefined;
}

export interface RecoverDeps {
  kube: KubeClient;
  recordStatus(patch: { members?: MemberStatus[]; nextOrdinal?: number }): Promise<void>;
  warning(reason: string, note: string): Promise<void>;
}

export interface RecoverInput {
  cluster: EtcdCluster;
  podImage?: string;
  clusterDomain?: string;
}

/** One recovery step; returns an outcome for logs. */
export async function recoverFromBackup(d: RecoverDeps, i: RecoverInput): Promise<string> {
  const c = i.cluster;
  const ns = c.metadata.namespace;
  const name = c.metadata.name;
  const sel = { namespace: ns, labelSelector: `${LABEL_CLUSTER}=${name}` };
  const pods = (await d.kube.list(POD, sel)).items;
  const pvcs = (await d.kube.list(PVC, sel)).items;
  let source: SeedSource | undefined = seedSourceOf(c.metadata.annotations);
  const inProgress =
    source?.member !== undefined &&
    [...pods, ...pvcs].some((o) =>
      [source?.member, pvcName(source?.member ?? '')].includes(o.metadata?.name),
    );
  if (!source?.member || !inProgress) {
    const cand = await newestVerified(d.kube, c);
    if (!cand) {
      await d.warning('RecoveryBlocked', 'no backup of this cluster passes verification');
      return 'recovery blocked: no verified backup';
    }
    const used = [...pods, ...pvcs]
      .map((o) => memberOrdinal(name, (o.metadata?.name ?? '').replace(/-data$/, '')))
      .filter((n): n is number => n !== undefined);
    const ordinal = Math.max(c.status?.nextOrdinal ?? 0, ...used.map((n) => n + 1));
    source = {
      location: cand.location,
      backupId: cand.manifest.id,
      agentImage: agentImage(),
      member: memberName(name, ordinal),
    };
    // Recorded before anything is deleted: a restarted operator continues this recovery.
    await d.kube.patch(ETCD_CLUSTER, name, ns, 'merge', {
      metadata: { annotations: { [ANNOTATION_RESTORE_FROM]: formatSeedSource(source) } },
    });
  }
  const seed = source.member ?? '';
  for (const p of pods) {
    if (p.metadata?.name && p.metadata.name !== seed) {
      await d.kube.delete(POD, p.metadata.name, ns).catch(() => undefined);
    }
  }
  for (const p of pvcs) {
    if (p.metadata?.name && p.metadata.name !== pvcName(seed)) {
      await d.kube.delete(PVC, p.metadata.name, ns).catch(() => undefined);
    }
  }
  const seeded: EtcdCluster = {
    ...c,
    metadata: {
      ...c.metadata,
      annotations: {
        ...c.metadata.annotations,
        [ANNOTATION_RESTORE_FROM]: formatSeedSource(source),
      },
    },
  };
  const ref = clusterRef(c, i.clusterDomain);
  const peerURL = memberPeerURL(ref, seed, Boolean(c.spec.tls?.peer));
  if (c.spec.storage?.type !== 'EmptyDir') await createIfMissing(d.kube, buildMemberPvc(c, seed));
  await createIfMissing(
    d.kube,
    buildMemberPod({
      cluster: seeded,
      member: seed,
      initialCluster: [{ name: seed, peerURL }],
      state: 'new',
      token: clusterToken(c),
      ...(i.podImage ? { image: i.podImage } : {}),
      ...(i.clusterDomain ? { clusterDomain: i.clusterDomain } : {}),
    }),
  );
  const members: MemberStatus[] = [
    {
      name: seed,
      id: '',
      peerURL,
      clientURL: '',
      isLeader: false,
      isLearner: false,
      healthy: false,
    },
  ];
  const nextOrdinal = (memberOrdinal(name, seed) ?? 0) + 1;
  // One write with the new member list AND the cleared cluster ID: a pass that sees the seed as
  // the only member must never also see the old ID (it would take the new cluster for an impostor).
  await d.kube.patch(
    ETCD_CLUSTER,
    name,
    ns,
    'merge',
    { status: { members, nextOrdinal, clusterID: '' } },
    { subresource: 'status' },
  );
  await d.recordStatus({ members, nextOrdinal });
  await d.warning(
    'RecoveringFromBackup',
    `quorum lost with too few members holding data: restoring backup ${source.location.url}/${source.backupId} into new seed member ${seed}; writes after that backup are lost`,
  );
  return `recovering from ${source.backupId} as ${seed}`;
}

async function createIfMissing(kube: KubeClient, obj: Record<string, unknown>): Promise<void> {
  try {
    await kube.create(obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}
