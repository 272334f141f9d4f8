// etcd answers with gRPC status codes plus "etcdserver: ..." messages (rpctypes in etcd 3.4).
// The operator only needs to branch on a few situations, so every failure is mapped to one kind.
import {
  EtcdPermissionDeniedError,
  GRPCDeadlineExceededError,
  GRPCUnauthenticatedError,
  GRPCUnavailableError,
  ClientClosedError,
} from 'etcd3';

export type EtcdErrorKind =
  /** The endpoint cannot be reached (process down, connection refused, TLS handshake failed). */
  | 'Unavailable'
  /** The call did not finish within its timeout. */
  | 'Timeout'
  /** The call needs the leader and was sent to a follower (MoveLeader). */
  | 'NotLeader'
  /** The member has no leader (election in progress or quorum lost). */
  | 'NoLeader'
  /** A learner cannot be promoted until it caught up with the leader. */
  | 'LearnerNotReady'
  /** Promote was asked for a member that is already a voter. */
  | 'NotLearner'
  | 'MemberNotFound'
  /** etcd 3.4 allows one learner at a time. */
  | 'TooManyLearners'
  | 'PeerURLExists'
  /** The change would leave too few started members (strict reconfig check). */
  | 'Unhealthy'
  /** MoveLeader target is unknown or a learner. */
  | 'BadLeaderTransferee'
  /** Learners serve only serializable reads and a few maintenance calls. */
  | 'NotSupportedForLearner'
  | 'Compacted'
  /** No or a rejected client certificate, or auth failures. */
  | 'Unauthenticated'
  | 'Unknown';

export class EtcdOperationError extends Error {
  readonly kind: EtcdErrorKind;
  readonly endpoint: string | undefined;
  readonly operation: string;

  constructor(kind: EtcdErrorKind, operation: string, message: string, endpoint?: string) {
    super(`${operation}${endpoint ? ` on ${endpoint}` : ''}: ${kind}: ${message}`);
    this.name = 'EtcdOperationError';
    this.kind = kind;
    this.operation = operation;
    this.endpoint = endpoint;
  }
}

const MESSAGE_KINDS: [string, EtcdErrorKind][] = [
  // Order matters: the learner-not-ready text contains the not-learner text.
  ['can only promote a learner member which is in sync with leader', 'LearnerNotReady'],
  ['can only promote a learner member', 'NotLearner'],
  ['member not found', 'MemberNotFound'],
  ['too many learner members in cluster', 'TooManyLearners'],
  ['peer urls already exists', 'PeerURLExists'],
  ['not enough started members', 'Unhealthy'],
  ['unhealthy cluster', 'Unhealthy'],
  ['bad leader transferee', 'BadLeaderTransferee'],
  ['rpc not supported for learner', 'NotSupportedForLearner'],
  ['etcdserver: not leader', 'NotLeader'],
  ['etcdserver: no leader', 'NoLeader'],
  ['leader changed', 'NoLeader'],
  ['request timed out', 'Timeout'],
  ['required revision has been compacted', 'Compacted'],
  ['deadline exceeded', 'Timeout'],
  ['unavailable', 'Unavailable'],
  ['no connection established', 'Unavailable'],
  ['certificate', 'Unauthenticated'],
  ['unauthenticated', 'Unauthenticated'],
  ['permission denied', 'Unauthenticated'],
];

export function classifyEtcdError(err: unknown): EtcdErrorKind {
  if (err instanceof EtcdOperationError) return err.kind;
  const message = err instanceof Error ? err.message.toLowerCase() : String(err).toLowerCase();
  for (const [text, kind] of MESSAGE_KINDS) if (message.includes(text)) return kind;
  if (err instanceof GRPCDeadlineExceededError) return 'Timeout';
  if (err instanceof GRPCUnavailableError || err instanceof ClientClosedError) return 'Unavailable';
  if (err instanceof GRPCUnauthenticatedError || err instanceof EtcdPermissionDeniedError)
    return 'Unauthenticated';
  return 'Unknown';
}

export function toEtcdError(
  err: unknown,
  operation: string,
  endpoint?: string,
): EtcdOperationError {
  if (err instanceof EtcdOperationError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new EtcdOperationError(classifyEtcdError(err), operation, message, endpoint);
}

export function isEtcdErrorKind(err: unknown, ...kinds: EtcdErrorKind[]): boolean {
  return err instanceof EtcdOperationError && kinds.includes(err.kind);
}
