// Acceptance (issue 7): chaos. For OPSMITH_CHAOS_SECONDS (120 by default, as in CI) a random
// member is hit every 15 s, its process SIGKILLed (the kubelet restarts it) or its pod deleted
// (the operator recreates it on its PVC), while a writer keeps writing. At the end the cluster is
// back at size with the same members, and every write etcd acknowledged is readable.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NodeChaos } from '@opsmith/kube-sandbox';
import { memberPods, nodeOf, sleep, waitConverged, Writer } from '../support/e2e-tools.ts';
import {
  etcdClusterManifest,
  InProcessOperator,
  startRealCluster,
  type RealCluster,
} from '../support/real-cluster.ts';

const NS = 'chaos';
const NAME = 'ch';
const SECONDS = Number(process.env.OPSMITH_CHAOS_SECONDS ?? 120);
const INTERVAL_MS = 15_000;
const SEED = Number(process.env.OPSMITH_CHAOS_SEED ?? Date.now() % 1_000_000);

let real: RealCluster;
let op: InProcessOperator;
let chaos: NodeChaos;

beforeAll(async () => {
  if (!Number.isFinite(SECONDS) || SECONDS <= 0) {
    throw new Error(`OPSMITH_CHAOS_SECONDS must be a positive number, got ${SECONDS}`);
  }
  real = await startRealCluster(NS);
  chaos = nodeOf(real).chaos;
  op = new InProcessOperator(real);
  await op.start();
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await real?.stop();
}, 60_000);

/** mulberry32: a small seeded generator, so a failing run can be replayed (OPSMITH_CHAOS_SEED). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it(`survives ${SECONDS}s of member kills every ${INTERVAL_MS / 1000}s under writes (seed ${SEED})`, async () => {
  await real.kube.create(etcdClusterManifest(NAME, NS, { size: 3 }));
  const start = await waitConverged(real, NS, NAME, 3);
  const rand = random(SEED);
  const writer = new Writer(real.kube, NS, NAME, '/chaos').start();
  const log: string[] = [];
  try {
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      const pods = (await memberPods(real.kube, NS, NAME)).filter(
        (p) => !p.metadata.deletionTimestamp,
      );
      if (pods.length > 0) {
        const victim = pods[Math.floor(rand() * pods.length)].metadata.name;
        const how = rand() < 0.5 ? 'kill' : 'delete';
        log.push(`${how} ${victim}`);
        if (how === 'kill') await chaos.killContainer(NS, victim).catch(() => undefined);
        else await chaos.deletePod(NS, victim, 0).catch(() => undefined);
      }
      await sleep(Math.min(INTERVAL_MS, Math.max(0, end - Date.now())));
    }
    // The kubelet's crash back-off can hold a member down for a while: allow for it.
    const after = await waitConverged(real, NS, NAME, 3, 360_000);
    expect(after.ids, log.join(', ')).toEqual(start.ids);
  } finally {
    await writer.stop();
  }
  expect(writer.acked.length).toBeGreaterThan(0);
  expect(await writer.missing(), `seed ${SEED}: ${log.join(', ')}`).toEqual([]);
}, 900_000);
