// Which member a backup is taken from: the most up-to-date healthy one (highest applied raft
// index, then revision), preferring a follower so the leader is not loaded with the transfer.
import type { EndpointStatus } from '../etcd/client.ts';

export function pickSnapshotMember(
  statuses: EndpointStatus[],
  healthy: (endpoint: string) => boolean,
): EndpointStatus | undefined {
  const candidates = statuses.filter(
    (s) => !s.isLearner && healthy(s.endpoint) && s.errors.length === 0,
  );
  const big = (x: string) => BigInt(x);
  return candidates.sort((a, b) => {
    const byApplied = big(b.raftAppliedIndex) - big(a.raftAppliedIndex);
    if (byApplied !== 0n) return byApplied > 0n ? 1 : -1;
    const byRev = big(b.revision) - big(a.revision);
    if (byRev !== 0n) return byRev > 0n ? 1 : -1;
    return Number(a.isLeader) - Number(b.isLeader) || a.endpoint.localeCompare(b.endpoint);
  })[0];
}
