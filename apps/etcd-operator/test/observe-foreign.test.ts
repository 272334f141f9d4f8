// observeEtcd with a recorded cluster ID believes only members of that cluster (real etcd): an
// endpoint that answers for another cluster (a member whose data was wiped and that bootstrapped
// afresh) is reported foreign, its member is data-lost and unhealthy, and its member list is
// never used.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { observeEtcd } from '../src/cluster/observe.ts';
import { EtcdClient } from '../src/etcd/client.ts';
import { eventually, LocalEtcdCluster } from './support/local-etcd.ts';

let ours: LocalEtcdCluster;
let other: LocalEtcdCluster;
let ourId: string;

beforeAll(async () => {
  ours = new LocalEtcdCluster();
  other = new LocalEtcdCluster();
  await ours.startStatic(3);
  await other.startStatic(1);
  for (const c of [ours, other]) {
    const client = new EtcdClient({ endpoints: c.clientURLs, timeoutMs: 3000 });
    try {
      const leader = await eventually('a leader', () => client.findLeader(), 30_000);
      if (c === ours) ourId = leader.clusterId;
    } finally {
      client.close();
    }
  }
}, 60_000);

afterAll(async () => {
  await ours?.stop();
  await other?.stop();
});

it('ignores an endpoint of another cluster, even when it answers first', async () => {
  const client = new EtcdClient({
    endpoints: [other.clientURLs[0], ...ours.clientURLs],
    timeoutMs: 3000,
  });
  try {
    const { view, foreignEndpoints } = await observeEtcd(client, undefined, ourId);
    expect(foreignEndpoints).toEqual([other.clientURLs[0]]);
    expect(view.reachable).toBe(true);
    if (view.reachable)
      expect(view.members.map((m) => m.etcdName).sort()).toEqual(['m0', 'm1', 'm2']);
  } finally {
    client.close();
  }
});

it('marks a member whose endpoint serves another cluster as data-lost, never as leader', async () => {
  const client = new EtcdClient({ endpoints: ours.clientURLs, timeoutMs: 3000 });
  try {
    // m2's address now answers for the other cluster (as a wiped seed would).
    const { view, foreignEndpoints } = await observeEtcd(
      client,
      (m) => (m.name === 'm2' ? other.clientURLs[0] : m.clientURLs[0]),
      ourId,
    );
    expect(foreignEndpoints).toEqual([other.clientURLs[0]]);
    expect(view.reachable).toBe(true);
    if (!view.reachable) return;
    const m2 = view.members.find((m) => m.etcdName === 'm2');
    expect(m2).toMatchObject({ dataLost: true, healthy: false, isLeader: false });
    expect(view.members.filter((m) => m.etcdName !== 'm2').every((m) => m.healthy)).toBe(true);
  } finally {
    client.close();
  }
});

it('without a member of its own cluster answering, reports etcd unreachable', async () => {
  const client = new EtcdClient({ endpoints: other.clientURLs, timeoutMs: 3000 });
  try {
    const { view, foreignEndpoints } = await observeEtcd(client, undefined, ourId);
    expect(view.reachable).toBe(false);
    if (!view.reachable) {
      expect(view.error).toContain('serve another cluster');
      expect(view.members).toBeUndefined();
    }
    expect(foreignEndpoints).toEqual(other.clientURLs);
  } finally {
    client.close();
  }
});
