import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Informer,
  InformerFactory,
  silentLogger,
  stripManagedFields,
  type KubeClient,
  type KubeObject,
} from '../src/index.ts';
import { CM, type ConfigMap } from './copy-controller.ts';
import { eventually, startTestSandbox, type TestEnv } from './sandbox.ts';

let env: TestEnv;
let client: KubeClient;
const stops: (() => Promise<void>)[] = [];

describe('informers on a real API server', () => {
  beforeAll(async () => {
    env = await startTestSandbox();
    client = env.client();
    for (const [name, team] of [
      ['inf', 'x'],
      ['sel-a', 'blue'],
      ['sel-b', 'red'],
    ])
      await client.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { team } },
      });
    for (let i = 0; i < 7; i++)
      await client.apply({
        ...CM,
        metadata: { name: `p${i}`, namespace: 'inf' },
        data: { i: String(i) },
      });
  });
  afterAll(async () => {
    for (const s of stops) await s();
    await env?.cleanup();
  });

  it('lists in pages, then delivers updates with old and new objects to awaited handlers', async () => {
    const inf = new Informer<ConfigMap>(client, CM, {
      namespace: 'inf',
      pageSize: 2,
      transform: stripManagedFields,
      logger: silentLogger,
    });
    stops.push(() => inf.stop());
    const seen: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    inf.addEventHandler({
      onUpdate: async (oldObj, newObj) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        seen.push(`${oldObj.data?.i}->${newObj.data?.i}`);
        inFlight--;
      },
    });
    // a failing handler does not stop the informer or the other handlers
    inf.addEventHandler({ onUpdate: () => Promise.reject(new Error('handler bug')) });
    inf.start();
    expect(await inf.waitForSync()).toBe(true);
    expect(inf.list().filter((o) => o.metadata?.name?.startsWith('p'))).toHaveLength(7);
    expect(inf.getByName('p1', 'inf')?.metadata?.managedFields).toBeUndefined();
    for (const v of ['a', 'b', 'c'])
      await client.apply({
        ...CM,
        metadata: { name: 'p1', namespace: 'inf' },
        data: { i: v },
      });
    await eventually(() => seen.length === 3, 10_000, 'three updates');
    expect(seen).toEqual(['1->a', 'a->b', 'b->c']);
    expect(maxInFlight).toBe(1);
    await client.delete(CM, 'p2', 'inf');
    await eventually(() => !inf.getByName('p2', 'inf'), 10_000, 'delete seen');
  });

  it('restarts a watch that went silent (no events, no bookmarks) and catches up', async () => {
    const inf = new Informer<ConfigMap>(client, CM, {
      namespace: 'inf',
      inactivityTimeoutMs: 2500,
    });
    stops.push(() => inf.stop());
    inf.start();
    await inf.waitForSync();
    const watches = inf.watches;
    env.sandbox.faults.pause();
    await new Promise((r) => setTimeout(r, 3500));
    env.sandbox.faults.resume();
    await client.apply({
      ...CM,
      metadata: { name: 'late', namespace: 'inf' },
      data: {},
    });
    await eventually(() => inf.getByName('late', 'inf'), 10_000, 'event after silence');
    expect(inf.watches).toBeGreaterThan(watches);
    expect(inf.lists).toBe(1);
  });

  it('metadata-only informers cache no data', async () => {
    const inf = new Informer<ConfigMap>(client, CM, { namespace: 'inf', metadataOnly: true });
    stops.push(() => inf.stop());
    inf.start();
    await inf.waitForSync();
    const p0 = inf.getByName('p0', 'inf');
    expect(p0?.metadata?.name).toBe('p0');
    expect(p0?.kind).toBe('ConfigMap');
    expect(p0?.data).toBeUndefined();
  });

  it('periodic resync replays cached objects as updates with old === new', async () => {
    const inf = new Informer<ConfigMap>(client, CM, { namespace: 'inf', resyncPeriodMs: 200 });
    stops.push(() => inf.stop());
    let resyncs = 0;
    inf.addEventHandler({ onUpdate: (a, b) => void (a === b && resyncs++) });
    inf.start();
    await eventually(() => resyncs >= 6, 10_000, 'resyncs');
  });

  it('a shared factory gives one cache per kind and follows namespaces matching a label selector', async () => {
    const f = new InformerFactory(client, {
      namespaces: { kind: 'selector', labelSelector: 'team in (blue,green)' },
    });
    stops.push(() => f.stop());
    const a = f.informerFor<ConfigMap>(CM);
    expect(f.informerFor(CM)).toBe(a);
    const added: string[] = [];
    const deleted: string[] = [];
    a.addEventHandler({
      onAdd: (o: KubeObject) => void added.push(`${o.metadata?.namespace}/${o.metadata?.name}`),
      onDelete: (o: KubeObject) =>
        void deleted.push(`${o.metadata?.namespace}/${o.metadata?.name}`),
    });
    f.start();
    expect(await f.waitForSync()).toBe(true);
    await client.apply({
      ...CM,
      metadata: { name: 'm', namespace: 'sel-a' },
      data: {},
    });
    await client.apply({
      ...CM,
      metadata: { name: 'm', namespace: 'sel-b' },
      data: {},
    });
    await eventually(() => a.getByName('m', 'sel-a'), 10_000, 'object in selected namespace');
    expect(a.getByName('m', 'sel-b')).toBeUndefined();
    // a namespace starts matching: its objects appear; another stops matching: they go away
    await client.patch({ apiVersion: 'v1', kind: 'Namespace' }, 'sel-b', undefined, 'merge', {
      metadata: { labels: { team: 'green' } },
    });
    await eventually(() => a.getByName('m', 'sel-b'), 10_000, 'newly selected namespace');
    await client.patch({ apiVersion: 'v1', kind: 'Namespace' }, 'sel-a', undefined, 'merge', {
      metadata: { labels: { team: 'gray' } },
    });
    await eventually(() => !a.getByName('m', 'sel-a'), 10_000, 'deselected namespace dropped');
    expect(added).toContain('sel-b/m');
    expect(deleted).toContain('sel-a/m');
    expect(a.list().every((o) => o.metadata?.namespace === 'sel-b')).toBe(true);
  });
});
