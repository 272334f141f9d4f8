// Acceptance (issue 7): the operator killed at every step boundary of create, scale and replace
// converges when it comes back: etcd's members, the member pods and the PVCs end up naming the
// same members (no orphan member, no orphan or duplicate pod, no leftover PVC or learner).
// Each step below starts an operator armed with one failpoint, waits until it dies there, and
// hands over to the next; a clean operator finishes the job.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PVC } from '../../src/cluster/act.ts';
import { ETCD_CLUSTER } from '../../src/cluster/reconciler.ts';
import { EtcdClient } from '../../src/etcd/client.ts';
import type { Failpoint } from '../../src/failpoints.ts';
import { waitConverged } from '../support/e2e-tools.ts';
import { eventually } from '../support/local-etcd.ts';
import {
  etcdClusterManifest,
  InProcessOperator,
  startRealCluster,
  type RealCluster,
} from '../support/real-cluster.ts';

const NS = 'failpoints';
const NAME = 'fp';
let real: RealCluster;
let op: InProcessOperator;

beforeAll(async () => {
  real = await startRealCluster(NS);
  op = new InProcessOperator(real);
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await real?.stop();
}, 60_000);

/** Runs one operator per failpoint, each killed there, then a clean one. */
async function crashThrough(failpoints: Failpoint[]): Promise<void> {
  for (const fp of failpoints) {
    const before = op.crashes.length;
    await op.start(fp);
    await eventually(
      `operator killed at ${fp}`,
      async () => (op.crashes.length > before ? true : undefined),
      120_000,
      100,
    );
    expect(op.crashes.at(-1)).toBe(fp);
    await op.stop();
  }
  await op.start();
}

it('create: killed after the seed PVC, MemberAdd, the learner pod, the promotion, the seed roll', async () => {
  await real.kube.create(etcdClusterManifest(NAME, NS, { size: 3 }));
  await crashThrough([
    'afterSeedPvc',
    'afterMemberAdd',
    'afterLearnerPod',
    'afterPromote',
    // Once at size, the seed (leader) hands leadership over and is restarted with
    // "existing" flags.
    'afterMoveLeader',
    'afterUpgradePodDelete',
  ]);
  await waitConverged(real, NS, NAME, 3);
  await op.stop();
}, 300_000);

it('scale 3 -> 5 -> 3: killed at every membership step, leader removed last', async () => {
  await real.kube.patch(ETCD_CLUSTER, NAME, NS, 'merge', { spec: { size: 5 } });
  await crashThrough(['afterMemberAdd', 'afterLearnerPod', 'afterPromote']);
  const five = await waitConverged(real, NS, NAME, 5);
  await op.stop();

  // The member scale-down removes first leads, so the hand-over is on the crash path too.
  const etcd = new EtcdClient({ endpoints: Object.values(five.endpoints), timeoutMs: 5000 });
  try {
    const victim = five.ids[`${NAME}-4`];
    await eventually('fp-4 leads', async () => {
      if ((await etcd.findLeader())?.memberId === victim) return true;
      await etcd.moveLeader(victim).catch(() => undefined);
      return undefined;
    });
  } finally {
    etcd.close();
  }
  await real.kube.patch(ETCD_CLUSTER, NAME, NS, 'merge', { spec: { size: 3 } });
  await crashThrough(['afterMoveLeader', 'afterMemberRemove', 'afterPodDelete', 'afterPvcDelete']);
  const three = await waitConverged(real, NS, NAME, 3);
  for (const name of Object.keys(three.ids)) expect(three.ids[name]).toBe(five.ids[name]);
  await op.stop();
}, 400_000);

it('replace a member whose PVC is gone: killed after MemberRemove, the pod delete, MemberAdd, ...', async () => {
  const before = await waitConverged(real, NS, NAME, 3);
  const lost = `${NAME}-1`;
  // The claim is deleted while its pod still runs: the member's data is gone for good.
  await real.kube.delete(PVC, `${lost}-data`, NS);
  await crashThrough([
    'afterMemberRemove',
    'afterPodDelete',
    'afterMemberAdd',
    'afterLearnerPod',
    'afterPromote',
  ]);
  const after = await waitConverged(real, NS, NAME, 3);
  expect(Object.keys(after.ids)).not.toContain(lost);
  for (const name of Object.keys(before.ids).filter((n) => n !== lost)) {
    expect(after.ids[name]).toBe(before.ids[name]);
  }
  await op.stop();
}, 400_000);
