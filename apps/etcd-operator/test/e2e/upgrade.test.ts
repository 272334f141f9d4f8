// Acceptance (issue 7): a rolling image change on the real node under continuous writes, member
// by member, followers first and the leader last after MoveLeader, every acknowledged write still
// readable and every member keeping its ID (its data survived the new pod); and a downgrade
// refused with UpgradeBlocked while the members keep running untouched. Only etcd 3.4.23 exists
// here, so the "upgrade" is a move to another registry's tag of the same version (the image map
// sends both to Debian's etcd); the version guard itself is unit-tested in version.test.ts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EtcdCluster } from '../../src/api/types.ts';
import { ETCD_CLUSTER } from '../../src/cluster/reconciler.ts';
import {
  clusterEvents,
  hashesAtOneRevision,
  memberPods,
  sleep,
  waitConverged,
  Writer,
} from '../support/e2e-tools.ts';
import { eventually } from '../support/local-etcd.ts';
import {
  etcdClusterManifest,
  InProcessOperator,
  startRealCluster,
  waitClusterReady,
  type RealCluster,
} from '../support/real-cluster.ts';

const NS = 'upgrade';
const NAME = 'up';
const FROM = 'quay.io/coreos/etcd:v3.4.23';
const TO = 'gcr.io/etcd-development/etcd:v3.4.23';
let real: RealCluster;
let op: InProcessOperator;

beforeAll(async () => {
  real = await startRealCluster(NS);
  op = new InProcessOperator(real);
  await op.start();
  await real.kube.create(
    etcdClusterManifest(NAME, NS, { size: 3, repository: 'quay.io/coreos/etcd' }),
  );
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await real?.stop();
}, 60_000);

const getCluster = async () =>
  (await real.kube.get(ETCD_CLUSTER, NAME, NS)) as unknown as EtcdCluster;

async function podsByName() {
  return Object.fromEntries(
    (await memberPods(real.kube, NS, NAME)).map((p) => [
      p.metadata.name,
      {
        uid: p.metadata.uid,
        image: (p as unknown as { spec: { containers: { image: string }[] } }).spec.containers[0]
          ?.image,
      },
    ]),
  );
}

it('rolls an image change member by member under load, the leader last, no write lost', async () => {
  const before = await waitConverged(real, NS, NAME, 3, 240_000);
  const podsBefore = await podsByName();
  for (const p of Object.values(podsBefore)) expect(p.image).toBe(FROM);

  const writer = new Writer(real.kube, NS, NAME, '/roll').start();
  await eventually('the writer writes', async () => writer.acked.length > 20 || undefined, 30_000);
  await real.kube.patch(ETCD_CLUSTER, NAME, NS, 'merge', {
    spec: { repository: 'gcr.io/etcd-development/etcd' },
  });
  await eventually(
    'every member pod on the new image',
    async () => {
      const pods = await podsByName();
      const names = Object.keys(pods);
      return names.length === 3 && names.every((n) => pods[n]?.image === TO) ? true : undefined;
    },
    240_000,
    500,
  );
  const after = await waitConverged(real, NS, NAME, 3, 180_000);
  const ackedDuringRoll = writer.acked.length;
  await writer.stop();

  // Same members (IDs), new pods: each member came back on its own data.
  expect(after.ids).toEqual(before.ids);
  const podsAfter = await podsByName();
  for (const [name, p] of Object.entries(podsAfter)) {
    expect(p.uid).not.toBe(podsBefore[name]?.uid);
  }
  expect(await writer.missing()).toEqual([]);
  expect(ackedDuringRoll).toBeGreaterThan(20);
  const hashes = await hashesAtOneRevision(Object.values(after.endpoints));
  expect(new Set(hashes).size).toBe(1);

  // The order, from the operator's events: two followers, then leadership handed over by the
  // member rolled last, then that member.
  const events = await clusterEvents(real.kube, NS, NAME);
  // (RollingMember also reports the seed's one-time restart during creation: not an image roll.)
  const rolls = events.filter((e) => e.reason === 'RollingMember' && e.note.startsWith('rolling '));
  const rolled = rolls.map((e) => /^rolling (\S+) to (\S+)/.exec(e.note));
  expect(rolled.map((m) => m?.[2])).toEqual([TO, TO, TO]);
  const order = rolled.map((m) => m![1]);
  expect(new Set(order).size).toBe(3);
  const handovers = events.filter(
    (e) => e.reason === 'LeaderMoved' && e.note.includes('leader is rolled last'),
  );
  expect(handovers).toHaveLength(1);
  const handover = handovers[0];
  expect(handover.note).toContain(`moving leadership from ${order[2]} `);
  const rollTimes = rolls.map((e) => e.time);
  expect(handover.time).toBeGreaterThanOrEqual(rollTimes[1]);
  expect(handover.time).toBeLessThanOrEqual(rollTimes[2]);
  const c = await getCluster();
  expect(c.status?.conditions?.find((x) => x.type === 'Upgrading')?.status).toBe('False');
}, 420_000);

it('refuses a downgrade with UpgradeBlocked and leaves every member running', async () => {
  await waitClusterReady(real.kube, NS, NAME, 3);
  const podsBefore = await podsByName();
  const patched = (await real.kube.patch(ETCD_CLUSTER, NAME, NS, 'merge', {
    spec: { version: '3.4.22' },
  })) as unknown as EtcdCluster;
  const blocked = await eventually(
    'UpgradeBlocked',
    async () => {
      const c = await getCluster();
      const cond = c.status?.conditions?.find((x) => x.type === 'UpgradeBlocked');
      return c.status?.observedGeneration === patched.metadata.generation && cond?.status === 'True'
        ? cond
        : undefined;
    },
    60_000,
    300,
  );
  expect(blocked.reason).toBe('Downgrade');
  expect(blocked.message).toContain('downgrade from 3.4.23 to 3.4.22');
  // Several passes later nothing was rolled, and the cluster still counts as Ready.
  await sleep(3000);
  expect(await podsByName()).toEqual(podsBefore);
  const c = await waitClusterReady(real.kube, NS, NAME, 3);
  expect(c.status?.currentVersion).toBe('3.4.23');

  await real.kube.patch(ETCD_CLUSTER, NAME, NS, 'merge', { spec: { version: '3.4.23' } });
  await eventually(
    'UpgradeBlocked cleared',
    async () =>
      (await getCluster()).status?.conditions?.find((x) => x.type === 'UpgradeBlocked')?.status ===
        'False' || undefined,
    60_000,
    300,
  );
  expect(await podsByName()).toEqual(podsBefore);
}, 180_000);
