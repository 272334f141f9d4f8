import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manager, silentLogger, type KubeClient } from '../src/index.ts';
import { CM, setupCopyController, type ConfigMap } from './copy-controller.ts';
import { eventually, startTestSandbox, type TestEnv } from './sandbox.ts';

const NS = 'faults';
let env: TestEnv;
let mgr: Manager;
let client: KubeClient;

async function writeSource(name: string, value: string) {
  const body: ConfigMap = {
    ...CM,
    metadata: { name, namespace: NS, labels: { role: 'source' } },
    data: { v: value },
  };
  await client.apply(body);
}

/** Every source has a copy with the same data (read from the API server, not the cache). */
async function converged(names: string[], value: string) {
  for (const n of names) {
    const c = await client.get<ConfigMap>(CM, `${n}-copy`, NS).catch(() => undefined);
    if (c?.data?.v !== value) return false;
  }
  return true;
}

describe('a controller keeps converging through faults', () => {
  beforeAll(async () => {
    env = await startTestSandbox({ historySize: 50 });
    client = env.client({ fieldManager: 'test-writer' });
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    mgr = new Manager({
      kubeConfig: env.client().kubeConfig,
      logger: silentLogger,
      processMetrics: false,
      informers: { watchTimeoutSeconds: 30 },
    });
    setupCopyController(mgr);
    await mgr.start();
    expect(await mgr.informers.waitForSync()).toBe(true);
  });
  afterAll(async () => {
    await mgr?.stop();
    await env?.cleanup();
  });

  const names = ['a', 'b', 'c', 'd', 'e'];

  it('converges initially', async () => {
    for (const n of names) await writeSource(n, '1');
    await eventually(() => converged(names, '1'), 15_000, 'initial copies');
  });

  it('converges after every watch is dropped, resuming without a re-list', async () => {
    const sources = mgr.informers.informerFor(CM, { labelSelector: 'role=source' });
    const before = sources.stats();
    expect(env.sandbox.faults.closeWatches()).toBeGreaterThan(0);
    for (const n of names) await writeSource(n, '2');
    await eventually(() => converged(names, '2'), 15_000, 'copies after dropped watches');
    expect(sources.stats().watches).toBeGreaterThan(before.watches);
    expect(sources.stats().lists).toBe(before.lists);
  });

  it('converges with 10% injected 500, 409 and 429 answers', async () => {
    env.sandbox.faults.add({ code: 500, fraction: 0.1, seed: 1 });
    env.sandbox.faults.add({ code: 409, fraction: 0.1, seed: 2, verb: 'patch' });
    env.sandbox.faults.add({ code: 429, fraction: 0.1, seed: 3, retryAfterSeconds: 1 });
    try {
      for (const n of names) await writeSource(n, '3');
      await eventually(() => converged(names, '3'), 30_000, 'copies under faults');
    } finally {
      env.sandbox.faults.clear();
    }
  });

  it('re-lists after a 410 and converges', async () => {
    const sources = mgr.informers.informerFor(CM, { labelSelector: 'role=source' });
    const listsBefore = sources.stats().lists;
    // Watches fail while more changes happen than the server keeps in its history.
    env.sandbox.faults.add({ verb: 'watch', code: 500 });
    env.sandbox.faults.closeWatches();
    for (let i = 0; i < 60; i++)
      await client.apply({
        ...CM,
        metadata: { name: `noise-${i % 3}`, namespace: NS },
        data: { i: String(i) },
      });
    for (const n of names) await writeSource(n, '4');
    env.sandbox.faults.clear();
    await eventually(() => converged(names, '4'), 30_000, 'copies after 410');
    expect(sources.stats().lists).toBeGreaterThan(listsBefore);
  });

  it('converges after a sandbox restart with the same data', async () => {
    await env.restart();
    await writeSource('a', '5');
    await writeSource('f', '5');
    await eventually(() => converged(['a', 'f'], '5'), 30_000, 'copies after restart');
    // copies made before the restart are still there and still up to date
    expect((await client.get<ConfigMap>(CM, 'b-copy', NS)).data?.v).toBe('4');
  });

  it('reports controller-runtime metrics', async () => {
    const text = await mgr.metrics.registry.metrics();
    expect(text).toMatch(
      /controller_runtime_reconcile_total\{controller="copy",result="success"\} \d+/,
    );
    expect(text).toContain('workqueue_adds_total{name="copy",controller="copy"}');
    expect(text).toContain('controller_runtime_reconcile_time_seconds_bucket');
    expect(text).toContain('workqueue_queue_duration_seconds_bucket');
  });
});
