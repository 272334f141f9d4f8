import { describe, expect, it } from 'vitest';
import type { EndpointStatus } from '../etcd/client.ts';
import { pickSnapshotMember } from './source.ts';

const s = (
  endpoint: string,
  applied: string,
  over: Partial<EndpointStatus> = {},
): EndpointStatus => ({
  endpoint,
  memberId: endpoint,
  leaderId: 'a',
  isLeader: false,
  isLearner: false,
  version: '3.4.23',
  dbSize: 1,
  dbSizeInUse: 1,
  raftIndex: applied,
  raftAppliedIndex: applied,
  raftTerm: '2',
  revision: applied,
  clusterId: '1',
  errors: [],
  ...over,
});

describe('snapshot source', () => {
  const all = () => true;
  it('takes the most up-to-date member, compared as 64-bit integers', () => {
    expect(
      pickSnapshotMember([s('a', '9'), s('b', '10'), s('c', '18446744073709551610')], all)
        ?.endpoint,
    ).toBe('c');
  });
  it('prefers a follower over the leader when equally up to date', () => {
    expect(
      pickSnapshotMember([s('a', '10', { isLeader: true }), s('b', '10')], all)?.endpoint,
    ).toBe('b');
  });
  it('skips unhealthy members, learners and members with alarms', () => {
    const picked = pickSnapshotMember(
      [
        s('a', '30', { isLearner: true }),
        s('b', '20', { errors: ['NOSPACE'] }),
        s('c', '25'),
        s('d', '10'),
      ],
      (e) => e !== 'c',
    );
    expect(picked?.endpoint).toBe('d');
    expect(pickSnapshotMember([s('a', '1')], () => false)).toBeUndefined();
  });
});
