// Acceptance (issue 7): clusters of 1, 3 and 5 members on the real node become healthy, serve
// put/get through their client Service (etcdctl in a pod, by the Service's DNS name), and every
// member holds the same data (identical hashKV at one revision).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientPod,
  hashesAtOneRevision,
  serviceEndpoint,
  waitConverged,
} from '../support/e2e-tools.ts';
import { eventually } from '../support/local-etcd.ts';
import {
  etcdClusterManifest,
  InProcessOperator,
  startRealCluster,
  type RealCluster,
} from '../support/real-cluster.ts';

const NS = 'create';
const SIZES = [1, 3, 5];
let real: RealCluster;
let op: InProcessOperator;
let client: ClientPod;

beforeAll(async () => {
  real = await startRealCluster(NS);
  op = new InProcessOperator(real);
  await op.start();
  // All three at once: one operator manages several clusters side by side.
  for (const size of SIZES) {
    await real.kube.create(etcdClusterManifest(`c${size}`, NS, { size }));
  }
  client = await ClientPod.start(real, NS);
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await real?.stop();
}, 60_000);

describe.each(SIZES)('a %i-member cluster', (size) => {
  const name = `c${size}`;

  it('gets every member healthy, serves put/get through its client Service, same data everywhere', async () => {
    const { ids, endpoints } = await waitConverged(real, NS, name, size, 240_000);
    expect(Object.keys(ids)).toHaveLength(size);

    const url = serviceEndpoint(NS, name);
    // The Service's endpoints follow pod readiness a moment after the status says Ready.
    const put = await eventually(
      `put through ${url}`,
      async () => {
        const r = await client.etcdctl([`--endpoints=${url}`, 'put', 'greeting', `hello ${name}`]);
        return r.code === 0 ? r : undefined;
      },
      30_000,
      500,
    );
    expect(put.stdout.trim()).toBe('OK');
    const get = await client.etcdctl([
      `--endpoints=${url}`,
      'get',
      'greeting',
      '--print-value-only',
    ]);
    expect(get.stdout.trim()).toBe(`hello ${name}`);

    const hashes = await hashesAtOneRevision(Object.values(endpoints));
    expect(hashes).toHaveLength(size);
    expect(new Set(hashes).size).toBe(1);
  }, 300_000);
});
