// When the server ends in-process watches (faults.closeWatches()), the controllers' informers and
// the node's caches must list and watch again at once, not wait for their safety re-list. The
// safety re-list is set to an hour here, so only the onClose path can make these tests converge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControllers, type RunningControllers } from '../src/controllers/index.ts';
import type { KubeObject, WatchEventType } from '../src/core/types.ts';
import { ObjectCache } from '../src/node/cache.ts';
import { configMap, eventually, startFixture, type Fixture } from './helpers.ts';

const HOUR = 3_600_000;
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' };

let f: Fixture;
let controllers: RunningControllers;

beforeAll(async () => {
  f = await startFixture();
  controllers = await startControllers({
    client: f.sandbox.client,
    resyncMs: HOUR,
    controllers: ['deployment', 'replicaset'],
  });
});

afterAll(async () => {
  await controllers?.stop();
  await f?.stop();
});

describe('in-process watches ended by the server', () => {
  it('node cache: sees every change made after each closeWatches(), in order', async () => {
    const cache = new ObjectCache(f.sandbox.client, CONFIGMAPS, HOUR);
    const seen: string[] = [];
    cache.onChange((type: WatchEventType, o: KubeObject) => {
      if (o.metadata?.name?.startsWith('wc-')) seen.push(`${type} ${o.metadata.name}`);
    });
    try {
      await cache.start();
      for (const name of ['wc-1', 'wc-2', 'wc-3']) {
        expect(f.sandbox.faults.closeWatches()).toBeGreaterThan(0);
        await f.sandbox.client.create(CONFIGMAPS, configMap(name));
        await eventually(() => cache.get('default', name), 20_000);
      }
      await f.sandbox.client.delete(CONFIGMAPS, 'default', 'wc-2');
      f.sandbox.faults.closeWatches();
      await eventually(() => !cache.get('default', 'wc-2'), 20_000);
      expect(seen).toEqual(['ADDED wc-1', 'ADDED wc-2', 'ADDED wc-3', 'DELETED wc-2']);
    } finally {
      cache.stop();
    }
  });

  it('controllers: a Deployment created right after closeWatches() gets its ReplicaSet', async () => {
    f.sandbox.faults.closeWatches();
    await f.sandbox.client.create(DEPLOYMENTS, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'after-close', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'after-close' } },
        template: {
          metadata: { labels: { app: 'after-close' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    });
    const rs = await eventually(async () => {
      const { items } = await f.sandbox.client.list(REPLICASETS, { namespace: 'default' });
      return items.find((r) => r.metadata?.ownerReferences?.[0]?.name === 'after-close');
    }, 20_000);
    const podsOf = async (n: number) => {
      const { items } = await f.sandbox.client.list(
        { group: '', version: 'v1', resource: 'pods' },
        { namespace: 'default', labelSelector: 'app=after-close' },
      );
      return items.length === n ? items : undefined;
    };
    await eventually(() => podsOf(1), 20_000);
    // both controllers' watches end again; scaling must still reach the pods
    f.sandbox.faults.closeWatches();
    await f.sandbox.client.patch(DEPLOYMENTS, 'default', 'after-close', 'merge', {
      spec: { replicas: 2 },
    });
    const pods = await eventually(() => podsOf(2), 20_000);
    expect(pods.map((p) => p.metadata?.ownerReferences?.[0]?.name)).toEqual([
      rs.metadata?.name,
      rs.metadata?.name,
    ]);
  });
});
