import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  etcdClusterManifest,
  InProcessOperator,
  startRealCluster,
  waitClusterReady,
  type RealCluster,
} from '../support/real-cluster.ts';

let real: RealCluster;
beforeAll(async () => {
  real = await startRealCluster('smoke');
}, 120_000);
afterAll(async () => {
  await real?.stop();
}, 60_000);

it('one member on the real node', async () => {
  const op = new InProcessOperator(real);
  await op.start();
  try {
    await real.kube.create(etcdClusterManifest('one', 'smoke', { size: 1 }));
    const c = await waitClusterReady(real.kube, 'smoke', 'one', 1);
    expect(c.status?.members?.[0]?.healthy).toBe(true);
  } finally {
    await op.stop();
  }
}, 240_000);
