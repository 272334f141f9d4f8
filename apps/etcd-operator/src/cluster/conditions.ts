// Pure: the EtcdCluster conditions implied by the observation and the decided action. The
// reconciler stores them with k8s-runtime's setCondition (which keeps transition times).
import type { ConditionInput } from '@opsmith/k8s-runtime';
import type { Decision } from './decide.ts';
import { sizeWarning } from './spec.ts';

export interface ConditionFacts {
  decision: Decision;
  size: number;
  /** Voting members etcd lists, and how many of them answered health checks. */
  voters: number;
  healthyVoters: number;
  /** Whether etcd serves linearizable requests at all. */
  quorum: boolean;
  generation?: number;
}

const T = 'True' as const;
const F = 'False' as const;

export function clusterConditions(f: ConditionFacts): ConditionInput[] {
  const a = f.decision.action;
  const g = f.generation !== undefined ? { observedGeneration: f.generation } : {};
  const at = (type: string, on: boolean, reason: string, message = ''): ConditionInput => ({
    type,
    status: on ? T : F,
    reason,
    message,
    ...g,
  });
  const paused = a.type === 'none' && a.reason === 'Paused';
  const ready = a.type === 'none' && a.reason === 'Ready' && f.healthyVoters === f.size;
  const scaling =
    a.type === 'addLearner' ||
    a.type === 'promote' ||
    (f.voters !== f.size && (a.type === 'removeMember' || a.type === 'moveLeader'));
  const upgrading =
    (a.type === 'upgradeMember' && a.reason !== 'bootstrap') ||
    (a.type === 'moveLeader' && a.reason === 'leader is rolled last');
  const recovering = a.type === 'recoverFromBackup';
  const degraded = a.type === 'degraded' ? a : undefined;
  const list: ConditionInput[] = [
    at(
      'Available',
      f.quorum,
      f.quorum ? 'QuorumAvailable' : 'LostQuorum',
      f.quorum
        ? `${f.healthyVoters}/${f.voters} voting members healthy`
        : 'etcd does not serve linearizable requests',
    ),
    at(
      'Ready',
      ready,
      ready ? 'AllMembersHealthy' : paused ? 'Paused' : 'Reconciling',
      ready ? `${f.size} members healthy` : describe(f.decision),
    ),
    at(
      'Progressing',
      !ready && !paused && !degraded,
      progressReason(f.decision),
      describe(f.decision),
    ),
    at('Degraded', Boolean(degraded), degraded?.reason ?? 'AsExpected', degraded?.message ?? ''),
    at(
      'Scaling',
      scaling,
      scaling ? 'MembershipChange' : 'AtSize',
      scaling ? describe(f.decision) : '',
    ),
    at(
      'Upgrading',
      upgrading,
      upgrading ? 'RollingMembers' : 'UpToDate',
      upgrading ? describe(f.decision) : '',
    ),
    at(
      'Recovering',
      recovering,
      recovering ? 'RestoringFromBackup' : 'NotRecovering',
      recovering ? describe(f.decision) : '',
    ),
    at(
      'Paused',
      paused,
      paused ? 'SpecPaused' : 'NotPaused',
      paused ? 'spec.paused is true: no healing, scaling or upgrades' : '',
    ),
    at(
      'UpgradeBlocked',
      Boolean(f.decision.upgradeBlocked),
      f.decision.upgradeBlocked?.reason ?? 'NotBlocked',
      f.decision.upgradeBlocked?.message ?? '',
    ),
  ];
  const warning = sizeWarning(f.size);
  list.push(at('SizeWarning', Boolean(warning), warning ? 'EvenSize' : 'OddSize', warning ?? ''));
  return list;
}

function progressReason(d: Decision): string {
  const a = d.action;
  const reasons: Record<string, string> = {
    seed: 'Seeding',
    addLearner: 'AddingMember',
    createPod: 'CreatingPod',
    promote: 'PromotingLearner',
    moveLeader: 'MovingLeader',
    removeMember: 'RemovingMember',
    deletePod: 'DeletingPod',
    deletePvc: 'DeletingPVC',
    upgradeMember: 'RollingMember',
    recoverFromBackup: 'Recovering',
    wait: 'Waiting',
    degraded: 'Degraded',
    none: 'Idle',
  };
  return reasons[a.type] ?? 'Reconciling';
}

/** One line for events, logs and condition messages. */
export function describe(d: Decision): string {
  const a = d.action;
  switch (a.type) {
    case 'seed':
      return `seeding the cluster with ${a.member.name}`;
    case 'addLearner':
      return `adding ${a.member.name} as a learner`;
    case 'createPod':
      return `creating pod ${a.member.name} (${a.reason})`;
    case 'promote':
      return `promoting learner ${a.member.name}`;
    case 'moveLeader':
      return `moving leadership from ${a.from.name} to ${a.to.name} (${a.reason})`;
    case 'removeMember':
      return `removing member ${a.member.name} (${a.reason})`;
    case 'deletePod':
      return `deleting pod ${a.pod} (${a.reason})`;
    case 'deletePvc':
      return `deleting PVC ${a.pvc} (${a.reason})`;
    case 'upgradeMember':
      if (a.reason === 'bootstrap') {
        return `restarting seed ${a.member.name} with --initial-cluster-state=existing`;
      }
      return `rolling ${a.member.name} to ${a.toImage} (${a.reason})`;
    case 'recoverFromBackup':
      return `restoring from the latest backup (${a.reason})`;
    case 'wait':
      return `waiting: ${a.reason}`;
    case 'degraded':
      return a.message;
    case 'none':
      return a.reason === 'Paused' ? 'paused' : 'up to date';
  }
}
