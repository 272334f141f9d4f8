// The EtcdCluster state machine: a pure function from what the operator observed to the single
// next step. etcd's member list is the truth; pods and PVCs follow it. Every step is one
// idempotent call, so an operator killed between two steps observes the half-done state on its
// return and this function picks up where it left off (the table in decide.test.ts proves it for
// every crash point).
//
// Identity: member `<cluster>-<ordinal>` has that pod, PVC `<cluster>-<ordinal>-data` and peer URL
// `<member>.<peer-svc>.<ns>.svc`. Ordinals only grow: a replacement or a new member always gets a
// never-used ordinal (max of status.nextOrdinal and every ordinal still visible, plus one), so a
// stale PVC or a zombie process can never be mistaken for the new member. Scale-down removes the
// highest ordinal (compared as numbers).
import { checkVersionChange, lowestVersion } from './version.ts';
import { memberName, memberOrdinal, peerServiceName, pvcName } from './names.ts';

export interface ClusterSpecView {
  size: number;
  /** Version the user asked for (spec.version). */
  version: string;
  /** Image for that version (spec.repository + version, or spec.image). */
  image: string;
  paused: boolean;
  /** Restore from the latest backup on quorum loss. */
  recoverFromBackup: boolean;
  storage: 'pvc' | 'emptyDir';
  /** What happens to a removed member's PVC. */
  pvcRetention: 'Delete' | 'Retain';
  /** A member unhealthy for this long is replaced (if the rest keeps quorum). */
  replaceUnhealthyAfterMs: number;
  /** etcd unreachable for this long counts as quorum loss. */
  quorumLossAfterMs: number;
  /** Hash of the desired pod spec apart from the image (flags, resources, TLS, overrides). */
  podSpecHash: string;
}

export interface ClusterStatusView {
  /** Set once etcd answered for the first time: from then on the cluster exists in etcd. */
  clusterId?: string;
  /** Floor for the next ordinal, covering members whose every trace is gone. */
  nextOrdinal?: number;
  /** Version the members ran at the last observation. */
  currentVersion?: string;
  /** Member names at the last observation with quorum (status.members[].name). */
  lastMembers?: string[];
}

export interface ObservedMember {
  /** uint64 decimal string. */
  id: string;
  /** Name etcd reports: empty until the member's process started. */
  etcdName: string;
  peerURLs: string[];
  isLearner: boolean;
  isLeader: boolean;
  /** From the member's own endpoint: answered a linearizable read (serializable for learners). */
  healthy: boolean;
  version?: string;
  /** The member's data is known lost (its endpoint answers for another cluster, see observeEtcd). */
  dataLost?: boolean;
}

export interface ObservedPod {
  name: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  ready: boolean;
  terminating: boolean;
  image: string;
  /** Value of the pod-spec-hash annotation the operator stamped on it. */
  specHash?: string;
  /** Started with --initial-cluster-state=new (the seed): rolled to "existing" once running. */
  seedFlags?: boolean;
}

export interface ObservedPvc {
  name: string;
  terminating: boolean;
}

export type EtcdView =
  | { reachable: true; members: ObservedMember[] }
  | {
      reachable: false;
      error: string;
      /**
       * The member list as a surviving member sees it (etcd 3.4 serves it without quorum), when
       * any member process answers at all.
       */
      members?: ObservedMember[];
    };

export interface Observed {
  cluster: string;
  namespace: string;
  spec: ClusterSpecView;
  status: ClusterStatusView;
  etcd: EtcdView;
  pods: ObservedPod[];
  pvcs: ObservedPvc[];
  now: number;
  /** When each member (by name) was first seen unhealthy; absent when healthy. */
  unhealthySince: Record<string, number>;
  /** When etcd was first seen unreachable (no member answered a linearizable member list). */
  unreachableSince?: number;
  /** Whether a usable backup exists for recovery. */
  backupAvailable: boolean;
}

export interface MemberRef {
  name: string;
  ordinal: number;
}

export type Action =
  /** Create the first member's PVC and pod with --initial-cluster-state new. */
  | { type: 'seed'; member: MemberRef }
  /** MemberAdd as a learner with the member's peer URL (before any pod exists). */
  | { type: 'addLearner'; member: MemberRef; peerURL: string }
  /** Create the member's PVC (if missing) and pod, --initial-cluster-state existing. */
  | { type: 'createPod'; member: MemberRef; memberId: string; reason: string }
  | { type: 'promote'; member: MemberRef; memberId: string }
  | { type: 'moveLeader'; from: MemberRef; to: MemberRef; toId: string; reason: string }
  | { type: 'removeMember'; member: MemberRef; memberId: string; reason: string }
  | { type: 'deletePod'; pod: string; reason: string }
  | { type: 'deletePvc'; pvc: string; reason: string }
  /** Delete the member's pod so it is recreated with the new image/spec on its data. */
  | {
      type: 'upgradeMember';
      member: MemberRef;
      fromImage: string;
      toImage: string;
      /** bootstrap: a seed pod's "new" flags replaced by "existing" (see pods.ts). */
      reason: 'image' | 'spec' | 'bootstrap';
    }
  | { type: 'recoverFromBackup'; reason: string }
  | { type: 'wait'; reason: string; requeueAfterMs: number }
  | {
      type: 'degraded';
      reason: 'LostQuorum' | 'CannotReplaceWithoutQuorum' | 'ForeignMember' | 'WaitingForBackup';
      message: string;
      requeueAfterMs: number;
    }
  | { type: 'none'; reason: 'Paused' | 'Ready' };

export interface Decision {
  action: Action;
  /** Set when spec.version may not be applied; the rest of the cluster is still managed. */
  upgradeBlocked?: { reason: string; message: string };
  /** The image new and recreated pods get (the target, or the current one when blocked). */
  podImage: string;
}

const SHORT_REQUEUE_MS = 2000;
const LONG_REQUEUE_MS = 10_000;

export function quorum(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** The member name encoded in a peer URL this operator wrote, if it belongs to this cluster. */
export function memberNameFromPeerURL(
  cluster: string,
  namespace: string,
  url: string,
): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const [first, svc, ns] = host.split('.');
  if (!first || svc !== peerServiceName(cluster) || ns !== namespace) return undefined;
  return memberOrdinal(cluster, first) === undefined ? undefined : first;
}

interface KnownMember {
  name: string;
  ordinal: number;
  id?: string;
  isLearner: boolean;
  dataLost: boolean;
}

/**
 * The members of a cluster without quorum: etcd's local member list when a process answers,
 * otherwise the members status recorded plus every ordinal that still has a PVC or pod.
 */
function knownMembers(
  o: Observed,
  naming: PeerNaming,
  local: ObservedMember[] | undefined,
): KnownMember[] {
  if (local && local.length > 0) {
    return local
      .map((m): KnownMember | undefined => {
        const name = resolveName(o, naming, m);
        return name
          ? {
              name,
              ordinal: ordinalOf(o, name)!,
              id: m.id,
              isLearner: m.isLearner,
              dataLost: Boolean(m.dataLost),
            }
          : undefined;
      })
      .filter((m): m is KnownMember => m !== undefined);
  }
  const names = new Set<string>([
    ...(o.status.lastMembers ?? []),
    ...o.pods.map((p) => p.name),
    ...o.pvcs.map((p) => pvcOwner(o, p.name)).filter((n): n is string => n !== undefined),
  ]);
  return [...names]
    .filter((n) => ordinalOf(o, n) !== undefined)
    .map((name) => ({ name, ordinal: ordinalOf(o, name)!, isLearner: false, dataLost: false }))
    .sort((a, b) => a.ordinal - b.ordinal);
}

interface Member extends ObservedMember {
  name: string;
  ordinal: number;
  pod?: ObservedPod;
  pvc?: ObservedPvc;
}

function ref(m: { name: string; ordinal: number }): MemberRef {
  return { name: m.name, ordinal: m.ordinal };
}

function ordinalOf(o: Observed, name: string): number | undefined {
  return memberOrdinal(o.cluster, name);
}

function pvcOwner(o: Observed, pvc: string): string | undefined {
  if (!pvc.endsWith('-data')) return undefined;
  const name = pvc.slice(0, -'-data'.length);
  return ordinalOf(o, name) === undefined ? undefined : name;
}

/** The next never-used ordinal. */
export function nextOrdinal(o: Observed, memberNames: string[]): number {
  const seen = [
    ...memberNames,
    ...o.pods.map((p) => p.name),
    ...o.pvcs.map((p) => pvcOwner(o, p.name)).filter((n): n is string => n !== undefined),
  ]
    .map((n) => ordinalOf(o, n))
    .filter((n): n is number => n !== undefined);
  return Math.max(o.status.nextOrdinal ?? 0, ...seen.map((n) => n + 1));
}

/**
 * How member names map to peer URLs. The default is the production scheme (DNS names of the
 * headless Service); tests that run members as local processes pass loopback addresses.
 */
export interface PeerNaming {
  peerURL(o: Observed, member: string): string;
  memberName(o: Observed, peerURL: string): string | undefined;
}

export function dnsPeerNaming(tls: boolean): PeerNaming {
  return {
    peerURL: (o, name) =>
      `${tls ? 'https' : 'http'}://${name}.${peerServiceName(o.cluster)}.${o.namespace}.svc:2380`,
    memberName: (o, url) => memberNameFromPeerURL(o.cluster, o.namespace, url),
  };
}

function resolveName(o: Observed, naming: PeerNaming, m: ObservedMember): string | undefined {
  return (
    m.peerURLs.map((u) => naming.memberName(o, u)).find(Boolean) ??
    (ordinalOf(o, m.etcdName) !== undefined ? m.etcdName : undefined)
  );
}

function resolveImage(o: Observed): Pick<Decision, 'podImage' | 'upgradeBlocked'> {
  const current =
    (o.etcd.reachable
      ? lowestVersion(o.etcd.members.map((m) => m.version ?? '').filter(Boolean))
      : undefined) ?? o.status.currentVersion;
  if (!current) return { podImage: o.spec.image };
  const change = checkVersionChange(current, o.spec.version);
  if (change.allowed) return { podImage: o.spec.image };
  // Keep running (and healing with) the image the members already use.
  const running = o.pods.find((p) => !p.terminating)?.image ?? o.spec.image;
  return {
    podImage: running,
    upgradeBlocked: { reason: change.reason, message: change.message },
  };
}

export interface DecideOptions {
  /** Peer TLS: selects the scheme of new members' peer URLs. */
  tls?: boolean;
  naming?: PeerNaming;
}

/** Decides the next single step. */
export function decide(o: Observed, options: DecideOptions = {}): Decision {
  const naming = options.naming ?? dnsPeerNaming(Boolean(options.tls));
  const image = resolveImage(o);
  const decision = (action: Action): Decision => ({ action, ...image });
  if (o.spec.paused) return decision({ type: 'none', reason: 'Paused' });
  if (!o.etcd.reachable)
    return decision(decideWithoutEtcd(o, naming, o.etcd.error, o.etcd.members));
  return decision(decideWithMembers(o, naming, o.etcd.members, image.podImage));
}

function decideWithoutEtcd(
  o: Observed,
  naming: PeerNaming,
  error: string,
  localMembers: ObservedMember[] | undefined,
): Action {
  const livePods = o.pods.filter((p) => !p.terminating);
  if (!o.status.clusterId) {
    // Not bootstrapped yet: one seed member, reusing its PVC/pod if a crash left them behind.
    const existing = [
      ...livePods.map((p) => p.name),
      ...o.pvcs.map((p) => pvcOwner(o, p.name)).filter((n): n is string => n !== undefined),
    ]
      .map((n) => ordinalOf(o, n))
      .filter((n): n is number => n !== undefined)
      .sort((a, b) => a - b);
    const seedPod = livePods.find((p) => ordinalOf(o, p.name) !== undefined);
    if (seedPod && seedPod.phase !== 'Failed') {
      return {
        type: 'wait',
        reason: `seed member ${seedPod.name} starting`,
        requeueAfterMs: SHORT_REQUEUE_MS,
      };
    }
    if (seedPod) return { type: 'deletePod', pod: seedPod.name, reason: 'seed pod failed' };
    const ordinal = existing[0] ?? nextOrdinal(o, []);
    return { type: 'seed', member: { name: memberName(o.cluster, ordinal), ordinal } };
  }
  // Bootstrapped, no quorum. Members that kept their data bring quorum back by themselves, so
  // first restart every such member whose pod is gone (a full Kubernetes restart, pods deleted
  // together): the anchors lost whole clusters there. A restore discards writes made after the
  // backup, so it is only chosen when too few members with data remain.
  const known = knownMembers(o, naming, localMembers);
  const podByName = new Map(livePods.map((p) => [p.name, p]));
  const hasData = (m: KnownMember) =>
    !m.dataLost &&
    (o.spec.storage === 'pvc'
      ? o.pvcs.some((p) => p.name === pvcName(m.name) && !p.terminating)
      : podByName.has(m.name));
  const withData = known.filter(hasData);
  const podless = withData.find((m) => !podByName.has(m.name));
  if (podless) {
    return {
      type: 'createPod',
      member: { name: podless.name, ordinal: podless.ordinal },
      memberId: podless.id ?? '',
      reason: 'restart member on its data to regain quorum',
    };
  }
  const failed = withData.find((m) => podByName.get(m.name)?.phase === 'Failed');
  if (failed) return { type: 'deletePod', pod: failed.name, reason: 'pod failed' };
  const voters = known.filter((m) => !m.isLearner).length;
  const votersWithData = withData.filter((m) => !m.isLearner).length;
  const canRecoverByItself = votersWithData >= quorum(Math.max(voters, 1));
  const since = o.unreachableSince ?? o.now;
  const waited = o.now - since;
  const starting = livePods.some(
    (p) => p.phase === 'Pending' || (p.phase === 'Running' && !p.ready),
  );
  if (waited < o.spec.quorumLossAfterMs) {
    return {
      type: 'wait',
      reason: `etcd unreachable (${error})${starting ? ', members starting' : ''}`,
      requeueAfterMs: Math.min(SHORT_REQUEUE_MS, o.spec.quorumLossAfterMs - waited),
    };
  }
  if (canRecoverByItself) {
    return {
      type: 'degraded',
      reason: 'LostQuorum',
      message: `quorum lost for ${Math.round(waited / 1000)}s (${error}), but ${votersWithData} of ${voters} voting members still have their data and can restore quorum when they start: check why their pods do not become ready (kubectl describe/logs). No automatic restore while that is possible, since it would discard recent writes`,
      requeueAfterMs: LONG_REQUEUE_MS,
    };
  }
  if (o.spec.recoverFromBackup) {
    if (o.backupAvailable) {
      return {
        type: 'recoverFromBackup',
        reason: `etcd unreachable for ${Math.round(waited / 1000)}s: ${error}`,
      };
    }
    return {
      type: 'degraded',
      reason: 'WaitingForBackup',
      message: `quorum lost (${error}) and recovery is enabled, but no usable backup exists; create an EtcdBackup destination with a successful backup, or bring the lost members back`,
      requeueAfterMs: LONG_REQUEUE_MS,
    };
  }
  return {
    type: 'degraded',
    reason: 'LostQuorum',
    message: `quorum lost: only ${votersWithData} of ${voters} voting members still have their data (${error}). Restore from a backup with an EtcdRestore (spec.replaceExisting: true), or set spec.recovery.restoreFromBackup: true to let the operator restore the latest backup`,
    requeueAfterMs: LONG_REQUEUE_MS,
  };
}

function decideWithMembers(
  o: Observed,
  naming: PeerNaming,
  observed: ObservedMember[],
  podImage: string,
): Action {
  const livePods = new Map(o.pods.map((p) => [p.name, p]));
  const pvcs = new Map(o.pvcs.map((p) => [p.name, p]));
  const members: Member[] = [];
  for (const m of observed) {
    const name = resolveName(o, naming, m);
    if (!name) {
      return {
        type: 'degraded',
        reason: 'ForeignMember',
        message: `etcd member ${m.id} (${m.etcdName || 'unstarted'}, ${m.peerURLs.join(',')}) was not created by this operator; remove it with etcdctl member remove or add it back under a managed name`,
        requeueAfterMs: LONG_REQUEUE_MS,
      };
    }
    const pod = livePods.get(name);
    const pvc = pvcs.get(pvcName(name));
    members.push({
      ...m,
      name,
      ordinal: ordinalOf(o, name)!,
      ...(pod ? { pod } : {}),
      ...(pvc ? { pvc } : {}),
    });
  }
  members.sort((a, b) => a.ordinal - b.ordinal);
  const byName = new Map(members.map((m) => [m.name, m]));
  const voters = members.filter((m) => !m.isLearner);
  const learners = members.filter((m) => m.isLearner);
  const leader = members.find((m) => m.isLeader);
  const healthyVoters = voters.filter((m) => m.healthy);

  // 1. Pods and PVCs that no member owns (removed members, aborted creates): clean up. A pod
  // goes first, then its PVC; a Retain policy keeps the PVC (ordinals are never reused).
  for (const pod of o.pods) {
    if (!byName.has(pod.name) && ordinalOf(o, pod.name) !== undefined && !pod.terminating) {
      return { type: 'deletePod', pod: pod.name, reason: 'no etcd member with this name' };
    }
  }
  if (o.spec.pvcRetention === 'Delete') {
    for (const pvc of o.pvcs) {
      const owner = pvcOwner(o, pvc.name);
      if (owner && !byName.has(owner) && !livePods.has(owner) && !pvc.terminating) {
        return { type: 'deletePvc', pvc: pvc.name, reason: 'no etcd member with this name' };
      }
    }
  }

  // Objects being deleted finish first: decisions about them would race the deletion.
  const terminating = o.pods.find((p) => p.terminating && byName.has(p.name));
  if (terminating) {
    return {
      type: 'wait',
      reason: `pod ${terminating.name} terminating`,
      requeueAfterMs: SHORT_REQUEUE_MS,
    };
  }

  const dataPresent = (m: Member): boolean =>
    !m.dataLost &&
    (o.spec.storage === 'pvc' ? m.pvc !== undefined && !m.pvc.terminating : m.pod !== undefined);

  // 2. Members whose data is gone: they can never rejoin with their ID; replace them.
  for (const m of members) {
    const neverStarted = m.isLearner && m.etcdName === '';
    if (neverStarted || dataPresent(m)) continue;
    return removeSafely(o, m, voters, healthyVoters, leader, 'data lost');
  }

  // 3. A member without a pod (crash after MemberAdd, pod deleted, rolled): create it on its data.
  for (const m of members) {
    if (m.pod) continue;
    return {
      type: 'createPod',
      member: ref(m),
      memberId: m.id,
      reason:
        m.isLearner && m.etcdName === ''
          ? 'learner added, pod missing'
          : 'pod missing, data present',
    };
  }

  // 4. Failed pods (evicted, for instance) are recreated on their data.
  for (const m of members) {
    if (m.pod?.phase === 'Failed')
      return { type: 'deletePod', pod: m.pod.name, reason: 'pod failed' };
  }

  // 5. Learners: promote once started (etcd refuses until caught up: the act layer requeues);
  // remove one that stays unhealthy or when the cluster is already at or above size.
  for (const m of learners) {
    if (voters.length >= o.spec.size) {
      return {
        type: 'removeMember',
        member: ref(m),
        memberId: m.id,
        reason: 'learner not needed at this size',
      };
    }
    const since = o.unhealthySince[m.name];
    if (since !== undefined && o.now - since >= o.spec.replaceUnhealthyAfterMs) {
      return {
        type: 'removeMember',
        member: ref(m),
        memberId: m.id,
        reason: 'learner never caught up',
      };
    }
    if (m.etcdName !== '' && m.pod?.phase === 'Running') {
      return { type: 'promote', member: ref(m), memberId: m.id };
    }
    return { type: 'wait', reason: `learner ${m.name} starting`, requeueAfterMs: SHORT_REQUEUE_MS };
  }

  // 6. Unhealthy voters: wait for a restart on their data, replace after the timeout.
  const unhealthy = voters.filter((m) => !m.healthy);
  for (const m of unhealthy) {
    const since = o.unhealthySince[m.name] ?? o.now;
    const left = o.spec.replaceUnhealthyAfterMs - (o.now - since);
    if (left <= 0)
      return removeSafely(o, m, voters, healthyVoters, leader, 'unhealthy past timeout');
  }
  if (unhealthy.length > 0) {
    const first = unhealthy[0];
    const since = o.unhealthySince[first.name] ?? o.now;
    return {
      type: 'wait',
      reason: `members unhealthy: ${unhealthy.map((m) => m.name).join(', ')}`,
      requeueAfterMs: Math.max(
        100,
        Math.min(SHORT_REQUEUE_MS, o.spec.replaceUnhealthyAfterMs - (o.now - since)),
      ),
    };
  }
  if (!leader)
    return {
      type: 'wait',
      reason: 'no leader (election in progress)',
      requeueAfterMs: SHORT_REQUEUE_MS,
    };

  // From here every member is healthy and has its pod.
  // 7. Scale down, one member at a time, highest ordinal first, leader handed over first.
  if (voters.length > o.spec.size) {
    const victim = voters[voters.length - 1];
    return removeSafely(o, victim, voters, healthyVoters, leader, `scale down to ${o.spec.size}`);
  }

  // 8. Scale up (or replace a removed member): one learner at a time, never-used ordinal.
  if (voters.length < o.spec.size) {
    const ordinal = nextOrdinal(
      o,
      members.map((m) => m.name),
    );
    const name = memberName(o.cluster, ordinal);
    return { type: 'addLearner', member: { name, ordinal }, peerURL: naming.peerURL(o, name) };
  }

  // 9. Rolling update: followers first, the leader last after handing leadership over.
  const stale = (m: Member): 'image' | 'spec' | 'bootstrap' | undefined =>
    m.pod!.image !== podImage
      ? 'image'
      : m.pod!.specHash !== o.spec.podSpecHash
        ? 'spec'
        : m.pod!.seedFlags
          ? 'bootstrap'
          : undefined;
  const notReady = voters.find((m) => !m.pod!.ready);
  const outdated = voters.filter((m) => stale(m));
  if (outdated.length > 0) {
    if (notReady)
      return {
        type: 'wait',
        reason: `pod ${notReady.name} not ready`,
        requeueAfterMs: SHORT_REQUEUE_MS,
      };
    const follower = outdated.find((m) => !m.isLeader);
    if (follower) {
      return {
        type: 'upgradeMember',
        member: ref(follower),
        fromImage: follower.pod!.image,
        toImage: podImage,
        reason: stale(follower)!,
      };
    }
    const to = voters.find((m) => !m.isLeader);
    if (to) {
      return {
        type: 'moveLeader',
        from: ref(leader),
        to: ref(to),
        toId: to.id,
        reason:
          stale(leader) === 'bootstrap'
            ? 'before restarting the seed with existing-cluster flags'
            : 'leader is rolled last',
      };
    }
    return {
      type: 'upgradeMember',
      member: ref(leader),
      fromImage: leader.pod!.image,
      toImage: podImage,
      reason: stale(leader)!,
    };
  }
  // Ready means served: the client Service only routes to ready pods.
  if (notReady) {
    return {
      type: 'wait',
      reason: `pod ${notReady.name} not ready`,
      requeueAfterMs: SHORT_REQUEUE_MS,
    };
  }
  return { type: 'none', reason: 'Ready' };
}

/**
 * Removes `m` only while the remaining voters keep quorum, handing leadership over first. A
 * learner never counts towards quorum.
 */
function removeSafely(
  o: Observed,
  m: Member,
  voters: Member[],
  healthyVoters: Member[],
  leader: Member | undefined,
  reason: string,
): Action {
  if (!m.isLearner) {
    const remainingHealthy = healthyVoters.filter((v) => v.id !== m.id).length;
    if (remainingHealthy < quorum(voters.length - 1) || voters.length === 1) {
      return {
        type: 'degraded',
        reason: 'CannotReplaceWithoutQuorum',
        message: `member ${m.name} should be replaced (${reason}) but removing it would leave ${remainingHealthy} healthy of ${voters.length - 1} voters; bring the other failed members back first${o.spec.recoverFromBackup ? '' : ', or restore from a backup'}`,
        requeueAfterMs: LONG_REQUEUE_MS,
      };
    }
    if (m.isLeader) {
      const to = healthyVoters.find((v) => v.id !== m.id);
      if (to && leader) {
        return {
          type: 'moveLeader',
          from: ref(m),
          to: ref(to),
          toId: to.id,
          reason: `before removing ${m.name}`,
        };
      }
    }
  }
  return { type: 'removeMember', member: ref(m), memberId: m.id, reason };
}
