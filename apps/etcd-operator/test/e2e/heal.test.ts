// Acceptance (issue 7): healing on the real node. A member whose process is killed restarts on
// its data; a member whose pod is deleted gets a new pod on its PVC (both keep their etcd member
// ID); a member whose volume is wiped is replaced by a new member once it stayed unhealthy past
// spec.replaceUnhealthyAfterSeconds. A paused cluster does none of this until it is unpaused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeChaos } from '@opsmith/kube-sandbox';
import { ETCD_CLUSTER } from '../../src/cluster/reconciler.ts';
import type { EtcdCluster } from '../../src/api/types.ts';
import { EtcdClient } from '../../src/etcd/client.ts';
import { memberPods, nodeOf, sleep, waitConverged, Writer } from '../support/e2e-tools.ts';
import { eventually } from '../support/local-etcd.ts';
import {
  etcdClusterManifest,
  InProcessOperator,
  startRealCluster,
  type RealCluster,
} from '../support/real-cluster.ts';

const NS = 'heal';
let real: RealCluster;
let op: InProcessOperator;
let chaos: NodeChaos;

beforeAll(async () => {
  real = await startRealCluster(NS);
  chaos = nodeOf(real).chaos;
  op = new InProcessOperator(real);
  await op.start();
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await real?.stop();
}, 60_000);

async function restarts(cluster: string, pod: string): Promise<number> {
  const p = (await memberPods(real.kube, NS, cluster)).find((x) => x.metadata.name === pod);
  return p?.status?.containerStatuses?.[0]?.restartCount ?? 0;
}

async function podUid(cluster: string, pod: string): Promise<string | undefined> {
  return (await memberPods(real.kube, NS, cluster)).find((x) => x.metadata.name === pod)?.metadata
    .uid;
}

describe('heal', () => {
  const NAME = 'hl';

  it('brings a member back after its process is killed, its pod deleted, its volume wiped', async () => {
    await real.kube.create(
      etcdClusterManifest(NAME, NS, { size: 3, replaceUnhealthyAfterSeconds: 30 }),
    );
    const start = await waitConverged(real, NS, NAME, 3);
    const writer = new Writer(real.kube, NS, NAME, '/heal').start();
    try {
      // 1. Process killed: the kubelet restarts it in the same pod, on its data, same member ID.
      const killed = `${NAME}-1`;
      const before = await restarts(NAME, killed);
      await chaos.killContainer(NS, killed);
      await eventually(
        `${killed} restarted`,
        async () => ((await restarts(NAME, killed)) > before ? true : undefined),
        60_000,
      );
      const afterKill = await waitConverged(real, NS, NAME, 3);
      expect(afterKill.ids).toEqual(start.ids);

      // 2. Pod deleted: the operator creates a new pod on the member's PVC, same member ID.
      const deleted = `${NAME}-2`;
      const oldUid = await podUid(NAME, deleted);
      await chaos.deletePod(NS, deleted, 0);
      await eventually(
        `${deleted} recreated`,
        async () => {
          const uid = await podUid(NAME, deleted);
          return uid && uid !== oldUid ? true : undefined;
        },
        60_000,
      );
      const afterDelete = await waitConverged(real, NS, NAME, 3);
      expect(afterDelete.ids).toEqual(start.ids);

      // 3. A follower's volume wiped and its process restarted on the empty directory: etcd 3.4
      // panics there (the leader expects log entries the member no longer has), so the member
      // stays unhealthy; past the timeout the operator removes it and adds a new member. (A
      // wiped member that was leader comes back empty under a new leader, which re-sends it
      // everything; the follower case is the one the operator must act on.)
      const etcd = new EtcdClient({
        endpoints: Object.values(afterDelete.endpoints),
        timeoutMs: 3000,
      });
      try {
        const leaderId = (await etcd.findLeader())?.memberId;
        const wiped = Object.keys(afterDelete.ids).find((n) => afterDelete.ids[n] !== leaderId);
        if (!wiped) throw new Error('no follower to wipe');
        await chaos.wipePvc(NS, `${wiped}-data`);
        await chaos.killContainer(NS, wiped);
        await eventually(
          `${wiped} removed from etcd`,
          async () =>
            (await etcd.listMembers()).some((m) => m.id === start.ids[wiped]) ? undefined : true,
          180_000,
          1000,
        );
        const afterWipe = await waitConverged(real, NS, NAME, 3, 240_000);
        expect(Object.keys(afterWipe.ids)).not.toContain(wiped);
        expect(Object.values(afterWipe.ids)).not.toContain(start.ids[wiped]);
        for (const name of Object.keys(start.ids).filter((n) => n !== wiped)) {
          expect(afterWipe.ids[name]).toBe(start.ids[name]);
        }
        expect(Object.keys(afterWipe.ids)).toContain(`${NAME}-3`);
      } finally {
        etcd.close();
      }
    } finally {
      await writer.stop();
    }
    expect(await writer.missing()).toEqual([]);
  }, 400_000);
});

describe('paused', () => {
  const NAME = 'pz';

  it('does not replace a killed member until unpaused', async () => {
    await real.kube.create(etcdClusterManifest(NAME, NS, { size: 3 }));
    const start = await waitConverged(real, NS, NAME, 3);
    await real.kube.patch(ETCD_CLUSTER, NAME, NS, 'merge', { spec: { paused: true } });
    await eventually('Paused condition', async () => {
      const c = (await real.kube.get(ETCD_CLUSTER, NAME, NS)) as unknown as EtcdCluster;
      return c.status?.conditions?.find((x) => x.type === 'Paused')?.status === 'True'
        ? true
        : undefined;
    });

    const victim = `${NAME}-1`;
    await chaos.deletePod(NS, victim, 0);
    // The operator saw the loss (status reports the member unhealthy) and still did nothing.
    await eventually(
      `status shows ${victim} unhealthy`,
      async () => {
        const c = (await real.kube.get(ETCD_CLUSTER, NAME, NS)) as unknown as EtcdCluster;
        return c.status?.members?.find((m) => m.name === victim)?.healthy === false
          ? true
          : undefined;
      },
      60_000,
    );
    await sleep(5000);
    const pods = (await memberPods(real.kube, NS, NAME)).map((p) => p.metadata.name);
    expect(pods).not.toContain(victim);

    await real.kube.patch(ETCD_CLUSTER, NAME, NS, 'merge', { spec: { paused: false } });
    const healed = await waitConverged(real, NS, NAME, 3);
    expect(healed.ids).toEqual(start.ids);
  }, 300_000);
});

describe('unhealthy timer', () => {
  const NAME = 'tm';

  it('survives an operator restart (status.members[].unhealthySince)', async () => {
    await real.kube.create(
      etcdClusterManifest(NAME, NS, { size: 3, replaceUnhealthyAfterSeconds: 30 }),
    );
    const start = await waitConverged(real, NS, NAME, 3);
    const etcd = new EtcdClient({ endpoints: Object.values(start.endpoints), timeoutMs: 3000 });
    let cut: string | undefined;
    try {
      const leaderId = (await etcd.findLeader())?.memberId;
      cut = Object.keys(start.ids).find((n) => start.ids[n] !== leaderId);
    } finally {
      etcd.close();
    }
    if (!cut) throw new Error('no follower');
    const victim = cut;
    // Cut off from its peers (and the probes): unhealthy for as long as the test wants.
    await chaos.cutNetwork(NS, victim);
    const since = await eventually(
      `${victim} recorded unhealthy`,
      async () => {
        const c = (await real.kube.get(ETCD_CLUSTER, NAME, NS)) as unknown as EtcdCluster;
        const t = c.status?.members?.find((m) => m.name === victim)?.unhealthySince;
        return t ? Date.parse(t) : undefined;
      },
      60_000,
    );

    // A new operator whose clock stands still just past the timeout: only the recorded time can
    // make it replace the member (its own count would start at its frozen "now" and never end).
    await op.stop();
    const frozen = since + 31_000;
    await op.start('', { now: () => frozen });
    try {
      const after = await waitConverged(real, NS, NAME, 3, 180_000);
      expect(Object.keys(after.ids)).not.toContain(victim);
      expect(Object.keys(after.ids)).toContain(`${NAME}-3`);
    } finally {
      await op.stop();
      await op.start();
    }
  }, 300_000);
});
