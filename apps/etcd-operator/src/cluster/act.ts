// Executes one decide() action. Every step is idempotent (create-or-adopt, delete-if-present,
// etcd answers that mean "already done" count as done), so a pass that dies half-way is finished
// by the next pass, which observes afresh. Failpoints sit at each step boundary.
import {
  isAlreadyExists,
  isConflict,
  isNotFound,
  type KubeClient,
  type KubeObject,
} from '@opsmith/k8s-runtime';
import type { EtcdCluster, MemberStatus } from '../api/types.ts';
import type { EtcdClient } from '../etcd/client.ts';
import { EtcdOperationError, type EtcdErrorKind } from '../etcd/errors.ts';
import type { Failpoints } from '../failpoints.ts';
import { describe } from './conditions.ts';
import type { Action, Decision } from './decide.ts';
import { buildMemberPod, buildMemberPvc, clusterToken } from './pods.ts';
import { pvcName } from './names.ts';
import { recoverFromBackup } from './recover.ts';

export const POD: { apiVersion: string; kind: string } = { apiVersion: 'v1', kind: 'Pod' };
export const PVC: { apiVersion: string; kind: string } = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
};

/** The subset of an events recorder act needs (k8s-runtime's EventRecorder fits). */
export interface ActEvents {
  normal(regarding: KubeObject, reason: string, action: string, note: string): Promise<void>;
  warning(regarding: KubeObject, reason: string, action: string, note: string): Promise<void>;
}

export interface ActDeps {
  kube: KubeClient;
  /** Absent when no member answers (seed, restart on data without quorum). */
  etcd: EtcdClient | undefined;
  events: ActEvents;
  failpoints: Failpoints;
  /** Merges a status change into the EtcdCluster's status subresource right away. */
  recordStatus(patch: { members?: MemberStatus[]; nextOrdinal?: number }): Promise<void>;
}

export interface ActInput {
  cluster: EtcdCluster;
  decision: Decision;
  /** Every member as name=peerURL (etcd's member list, or status when etcd is unreachable). */
  initialCluster: { name: string; peerURL: string }[];
  /** status.members as last written, extended when a learner is added. */
  members: MemberStatus[];
  clusterDomain?: string;
}

export interface ActResult {
  /** When to look again (ms); the reconciler turns it into requeueAfter. */
  requeueAfterMs: number;
  /** Short outcome for logs and tests ("done", "retry: Unhealthy", ...). */
  outcome: string;
}

/** Key written after each membership removal (see removeMember). */
export const MEMBERSHIP_KEY = '/opsmith.io/etcd-operator/last-membership-change';

export const REQUEUE = {
  /** Right after a change: observe its effect soon. */
  afterChange: 500,
  /** etcd asked us to come back (reconfiguration check, learner catching up, election). */
  etcdBusy: 1000,
  /** A Ready cluster is re-checked this often even without events (health is not an event). */
  steady: 30_000,
} as const;

/** etcd answers that mean "try again shortly", not "failed". */
const RETRYABLE: ReadonlySet<EtcdErrorKind> = new Set<EtcdErrorKind>([
  'Unhealthy',
  'LearnerNotReady',
  'NoLeader',
  'NotLeader',
  'Timeout',
  'Unavailable',
  'TooManyLearners',
]);

/** Maps errors to a requeue when retrying is expected to help soon; rethrows the rest. */
export function retryDelayFor(err: unknown): number | undefined {
  if (err instanceof EtcdOperationError && RETRYABLE.has(err.kind)) return REQUEUE.etcdBusy;
  if (isConflict(err)) return REQUEUE.afterChange;
  return undefined;
}

function eventReason(a: Action): string {
  const reasons: Record<Action['type'], string> = {
    seed: 'SeedingCluster',
    addLearner: 'MemberAdded',
    createPod: 'PodCreated',
    promote: 'MemberPromoted',
    moveLeader: 'LeaderMoved',
    removeMember: 'MemberRemoved',
    deletePod: 'PodDeleted',
    deletePvc: 'PVCDeleted',
    upgradeMember: 'RollingMember',
    recoverFromBackup: 'RecoveryNeeded',
    wait: 'Waiting',
    degraded: 'Degraded',
    none: 'Ready',
  };
  return reasons[a.type];
}

async function deleteIfPresent(
  kube: KubeClient,
  type: { apiVersion: string; kind: string },
  name: string,
  namespace: string,
): Promise<boolean> {
  try {
    await kube.delete(type, name, namespace);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function createIfMissing(kube: KubeClient, obj: KubeObject): Promise<boolean> {
  try {
    await kube.create(obj);
    return true;
  } catch (err) {
    if (isAlreadyExists(err)) return false; // adopted: an earlier pass created it
    throw err;
  }
}

async function ensurePvc(deps: ActDeps, c: EtcdCluster, member: string): Promise<void> {
  if (c.spec.storage?.type === 'EmptyDir') return;
  await createIfMissing(deps.kube, buildMemberPvc(c, member));
}

async function createMemberPod(
  deps: ActDeps,
  input: ActInput,
  member: string,
  state: 'new' | 'existing',
  initialCluster: { name: string; peerURL: string }[],
  memberId?: string,
): Promise<boolean> {
  const pod = buildMemberPod({
    cluster: input.cluster,
    member,
    initialCluster,
    state,
    token: clusterToken(input.cluster),
    image: input.decision.podImage,
    ...(memberId ? { memberId } : {}),
    ...(input.clusterDomain ? { clusterDomain: input.clusterDomain } : {}),
  });
  return await createIfMissing(deps.kube, pod);
}

/**
 * The write after a removal, sent to a member that is still in the cluster: the removed one may
 * answer for a moment with "removed"/"stopped", which the client takes as final.
 */
async function persistRemoval(etcd: EtcdClient, removedId: string): Promise<void> {
  const statuses = await etcd.statusAll();
  for (const s of statuses) {
    if (s instanceof EtcdOperationError || s.memberId === removedId) continue;
    const write = etcd.clientFor(s.endpoint).put(MEMBERSHIP_KEY).value(`removed ${removedId}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), etcd.timeoutMs);
    });
    try {
      await Promise.race([write, timeout]);
      return;
    } catch {
      // try the next member; at worst the next removal or write makes it durable
    } finally {
      clearTimeout(timer);
    }
  }
}

function requireEtcd(deps: ActDeps, action: string): EtcdClient {
  if (!deps.etcd) throw new EtcdOperationError('Unavailable', action, 'no etcd endpoint');
  return deps.etcd;
}

/** Executes `input.decision.action`; errors etcd or the API server may clear soon -> requeue. */
export async function act(deps: ActDeps, input: ActInput): Promise<ActResult> {
  const a = input.decision.action;
  try {
    const result = await execute(deps, input, a);
    if (a.type !== 'wait' && a.type !== 'none') {
      const note = describe(input.decision);
      if (a.type === 'degraded' || a.type === 'recoverFromBackup') {
        await deps.events.warning(
          input.cluster as unknown as KubeObject,
          eventReason(a),
          a.type,
          note,
        );
      } else {
        await deps.events.normal(
          input.cluster as unknown as KubeObject,
          eventReason(a),
          a.type,
          note,
        );
      }
    }
    return result;
  } catch (err) {
    const delay = retryDelayFor(err);
    if (delay === undefined) throw err;
    const kind = err instanceof EtcdOperationError ? err.kind : 'Conflict';
    return { requeueAfterMs: delay, outcome: `retry: ${kind}` };
  }
}

async function execute(deps: ActDeps, input: ActInput, a: Action): Promise<ActResult> {
  const c = input.cluster;
  const ns = c.metadata.namespace;
  const done = (outcome = 'done'): ActResult => ({ requeueAfterMs: REQUEUE.afterChange, outcome });
  switch (a.type) {
    case 'seed': {
      await ensurePvc(deps, c, a.member.name);
      deps.failpoints.hit('afterSeedPvc');
      const self = input.initialCluster.find((m) => m.name === a.member.name);
      if (!self) throw new Error(`seed ${a.member.name}: no peer URL`);
      await createMemberPod(deps, input, a.member.name, 'new', [self]);
      await deps.recordStatus({ nextOrdinal: a.member.ordinal + 1 });
      return done();
    }
    case 'addLearner': {
      const etcd = requireEtcd(deps, 'memberAdd');
      let id: string;
      try {
        id = (await etcd.addLearner([a.peerURL])).member.id;
      } catch (err) {
        // A retried MemberAdd whose first attempt went through: the member exists already.
        if (!(err instanceof EtcdOperationError && err.kind === 'PeerURLExists')) throw err;
        const existing = (await etcd.listMembers()).find((m) => m.peerURLs.includes(a.peerURL));
        if (!existing) throw err;
        id = existing.id;
      }
      deps.failpoints.hit('afterMemberAdd');
      // Recorded before the pod exists: a restarted operator sees the learner both in etcd and
      // in status, and never picks the same ordinal again.
      const entry: MemberStatus = {
        name: a.member.name,
        id,
        peerURL: a.peerURL,
        clientURL: '',
        isLeader: false,
        isLearner: true,
        healthy: false,
      };
      await deps.recordStatus({
        members: [...input.members.filter((m) => m.name !== a.member.name), entry],
        nextOrdinal: a.member.ordinal + 1,
      });
      return done();
    }
    case 'createPod': {
      await ensurePvc(deps, c, a.member.name);
      const peers = input.initialCluster;
      if (!peers.some((m) => m.name === a.member.name)) {
        throw new Error(`createPod ${a.member.name}: not in the member list`);
      }
      await createMemberPod(deps, input, a.member.name, 'existing', peers, a.memberId || undefined);
      deps.failpoints.hit('afterLearnerPod');
      return done();
    }
    case 'promote': {
      const r = await requireEtcd(deps, 'memberPromote').promote(a.memberId);
      if (!r.promoted) return { requeueAfterMs: REQUEUE.etcdBusy, outcome: 'retry: catching up' };
      deps.failpoints.hit('afterPromote');
      return done();
    }
    case 'moveLeader': {
      await requireEtcd(deps, 'moveLeader').moveLeader(a.toId);
      deps.failpoints.hit('afterMoveLeader');
      return done();
    }
    case 'removeMember': {
      try {
        await requireEtcd(deps, 'memberRemove').removeMember(a.memberId);
      } catch (err) {
        if (!(err instanceof EtcdOperationError && err.kind === 'MemberNotFound')) throw err;
      }
      deps.failpoints.hit('afterMemberRemove');
      // etcd persists the commit index lazily: when the removal leaves one voter and nothing is
      // written after it, a restart replays the removal as uncommitted and waits forever for the
      // removed member's vote (seen in test/cluster-controller.test.ts). One write after the
      // change makes the commit durable.
      if (deps.etcd) await persistRemoval(deps.etcd, a.memberId);
      await deps.recordStatus({ members: input.members.filter((m) => m.name !== a.member.name) });
      await deleteIfPresent(deps.kube, POD, a.member.name, ns);
      deps.failpoints.hit('afterPodDelete');
      if ((c.spec.storage?.retentionPolicy ?? 'Delete') === 'Delete') {
        await deleteIfPresent(deps.kube, PVC, pvcName(a.member.name), ns);
        deps.failpoints.hit('afterPvcDelete');
      }
      return done();
    }
    case 'deletePod':
      await deleteIfPresent(deps.kube, POD, a.pod, ns);
      deps.failpoints.hit('afterPodDelete');
      return done();
    case 'deletePvc':
      await deleteIfPresent(deps.kube, PVC, a.pvc, ns);
      deps.failpoints.hit('afterPvcDelete');
      return done();
    case 'upgradeMember':
      // The pod is recreated by decide()'s "member without a pod" rule, on the same PVC, with
      // the new image: the member keeps its ID and data.
      await deleteIfPresent(deps.kube, POD, a.member.name, ns);
      deps.failpoints.hit('afterUpgradePodDelete');
      return done();
    case 'recoverFromBackup': {
      const outcome = await recoverFromBackup(
        {
          kube: deps.kube,
          recordStatus: (patch) => deps.recordStatus(patch),
          warning: (reason, note) =>
            deps.events.warning(c as unknown as KubeObject, reason, 'recoverFromBackup', note),
        },
        {
          cluster: c,
          ...(input.decision.podImage ? { podImage: input.decision.podImage } : {}),
          ...(input.clusterDomain ? { clusterDomain: input.clusterDomain } : {}),
        },
      );
      return { requeueAfterMs: REQUEUE.etcdBusy, outcome };
    }
    case 'wait':
      return { requeueAfterMs: a.requeueAfterMs, outcome: 'wait' };
    case 'degraded':
      return { requeueAfterMs: a.requeueAfterMs, outcome: 'degraded' };
    case 'none':
      return {
        requeueAfterMs: a.reason === 'Paused' ? REQUEUE.steady * 2 : REQUEUE.steady,
        outcome: a.reason,
      };
  }
}
