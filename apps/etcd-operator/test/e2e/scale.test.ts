// Acceptance (issue 7): scale 3 -> 5 -> 3 while a writer keeps writing. Every write etcd
// acknowledged is still readable at the end, the original members keep their IDs, and the member
// removed while it led (the test hands it leadership first) gave leadership away before its
// MemberRemove.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EtcdClient } from '../../src/etcd/client.ts';
import { ETCD_CLUSTER } from '../../src/cluster/reconciler.ts';
import { clusterEvents, waitConverged, Writer } from '../support/e2e-tools.ts';
import { eventually } from '../support/local-etcd.ts';
import {
  etcdClusterManifest,
  InProcessOperator,
  startRealCluster,
  type RealCluster,
} from '../support/real-cluster.ts';

const NS = 'scale';
const NAME = 'sc';
let real: RealCluster;
let op: InProcessOperator;

beforeAll(async () => {
  real = await startRealCluster(NS);
  op = new InProcessOperator(real);
  await op.start();
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await real?.stop();
}, 60_000);

async function resize(size: number): Promise<void> {
  await real.kube.patch(ETCD_CLUSTER, NAME, NS, 'merge', { spec: { size } });
}

it('scales 3 -> 5 -> 3 under continuous writes without losing an acknowledged write', async () => {
  await real.kube.create(etcdClusterManifest(NAME, NS, { size: 3 }));
  const three = await waitConverged(real, NS, NAME, 3);
  const writer = new Writer(real.kube, NS, NAME, '/scale').start();
  try {
    await resize(5);
    const five = await waitConverged(real, NS, NAME, 5);
    for (const [name, id] of Object.entries(three.ids)) expect(five.ids[name]).toBe(id);

    // Make the member that scale-down removes first (highest ordinal) the leader.
    const victim = `${NAME}-4`;
    const etcd = new EtcdClient({ endpoints: Object.values(five.endpoints), timeoutMs: 5000 });
    try {
      await eventually(
        `${victim} leads`,
        async () => {
          const leader = await etcd.findLeader();
          if (leader?.memberId === five.ids[victim]) return true;
          await etcd.moveLeader(five.ids[victim]).catch(() => undefined);
          return undefined;
        },
        30_000,
        1000,
      );
    } finally {
      etcd.close();
    }
    const writesBeforeShrink = writer.acked.length;

    await resize(3);
    const back = await waitConverged(real, NS, NAME, 3);
    expect(back.ids).toEqual(three.ids);
    // The writer kept making progress through the shrink.
    await eventually('writes after the shrink', async () =>
      writer.acked.length > writesBeforeShrink + 10 ? true : undefined,
    );

    const events = await clusterEvents(real.kube, NS, NAME);
    const moved = events.findIndex(
      (e) => e.reason === 'LeaderMoved' && e.note.includes(`before removing ${victim}`),
    );
    const removed = events.findIndex(
      (e) => e.reason === 'MemberRemoved' && e.note.includes(`removing member ${victim} `),
    );
    expect(moved, JSON.stringify(events)).toBeGreaterThanOrEqual(0);
    expect(removed).toBeGreaterThan(moved);
  } finally {
    await writer.stop();
  }
  expect(writer.acked.length).toBeGreaterThan(0);
  expect(await writer.missing()).toEqual([]);
}, 400_000);
