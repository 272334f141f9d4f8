// Watch: ADDED/MODIFIED/DELETED from a resourceVersion, selectors (objects leaving the selection
// are DELETED), BOOKMARK events, sendInitialEvents, ERROR 410 Expired beyond the bounded history,
// timeoutSeconds, and client-node's Watch and informer on top.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMap, eventually, raw, stream } from './helpers.ts';
import { startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture({ historySize: 20, bookmarkIntervalMs: 200 });
  await raw(
    f,
    'POST',
    '/api/v1/namespaces',
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w' } }),
  );
});
afterAll(async () => {
  await f?.stop();
});

const post = (name: string, labels?: Record<string, string>): Promise<unknown> =>
  raw(
    f,
    'POST',
    '/api/v1/namespaces/w/configmaps',
    JSON.stringify(configMap(name, 'w', {}, labels)),
  );
const patch = (name: string, body: unknown): Promise<unknown> =>
  raw(f, 'PATCH', `/api/v1/namespaces/w/configmaps/${name}`, JSON.stringify(body), {
    'content-type': 'application/merge-patch+json',
  });

describe('watch', () => {
  it('streams events after a resourceVersion, in order', async () => {
    const rv = (await raw(f, 'GET', '/api/v1/namespaces/w/configmaps')).json().metadata
      .resourceVersion;
    await post('a');
    await patch('a', { data: { x: '1' } });
    await raw(f, 'DELETE', '/api/v1/namespaces/w/configmaps/a');
    const { events } = await stream(
      f,
      `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}`,
      (ev) => ev.length >= 3,
    );
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED a',
      'MODIFIED a',
      'DELETED a',
    ]);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs[0] < rvs[1] && rvs[1] < rvs[2]).toBe(true);
  });

  it('sends the current state first when no resourceVersion is given, also on the legacy /watch/ path', async () => {
    await post('b');
    const { events } = await stream(f, '/api/v1/watch/namespaces/w/configmaps', (ev) =>
      ev.some((e) => e.object.metadata.name === 'b'),
    );
    expect(events.every((e) => e.type === 'ADDED')).toBe(true);
  });

  it('filters by label selector, reporting objects that leave the selection as DELETED', async () => {
    const rv = (await raw(f, 'GET', '/api/v1/namespaces/w/configmaps')).json().metadata
      .resourceVersion;
    await post('sel', { team: 'x' });
    await post('other', { team: 'y' });
    await patch('sel', { metadata: { labels: { team: 'z' } } });
    const { events } = await stream(
      f,
      `/api/v1/namespaces/w/configmaps?watch=1&labelSelector=team%3Dx&resourceVersion=${rv}`,
      (ev) => ev.length >= 2,
    );
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED sel',
      'DELETED sel',
    ]);
  });

  it('sends bookmarks when allowed, and the initial-events-end bookmark with sendInitialEvents', async () => {
    const { events } = await stream(
      f,
      '/api/v1/namespaces/w/configmaps?watch=1&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
      (ev) => ev.filter((e) => e.type === 'BOOKMARK').length >= 2,
    );
    const firstBookmark = events.findIndex((e) => e.type === 'BOOKMARK');
    expect(events.slice(0, firstBookmark).every((e) => e.type === 'ADDED')).toBe(true);
    expect(events[firstBookmark].object.metadata.annotations).toEqual({
      'k8s.io/initial-events-end': 'true',
    });
    expect(events[firstBookmark].object.kind).toBe('ConfigMap');
    expect(Number(events[firstBookmark].object.metadata.resourceVersion)).toBeGreaterThan(0);
    const periodic = events.filter((e) => e.type === 'BOOKMARK')[1];
    expect(periodic.object.metadata.annotations).toBeUndefined();
  });

  it('answers ERROR 410 Expired for a resourceVersion older than the history', async () => {
    const rv = (await raw(f, 'GET', '/api/v1/namespaces/w/configmaps')).json().metadata
      .resourceVersion;
    for (let i = 0; i < 25; i++) await post(`churn-${i}`);
    const { events, status, ended } = await stream(
      f,
      `/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=${rv}`,
      () => false,
    );
    expect(status).toBe(200);
    expect(ended).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired' },
    });
    expect(events[0].object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('ends the stream after timeoutSeconds', async () => {
    const { ended } = await stream(
      f,
      '/api/v1/namespaces/w/configmaps?watch=1&timeoutSeconds=1&resourceVersion=0',
      () => false,
    );
    expect(ended).toBe(true);
  });

  it('watches a single object by name and across namespaces', async () => {
    const rv = (await raw(f, 'GET', '/api/v1/configmaps')).json().metadata.resourceVersion;
    await post('solo');
    await post('solo-2');
    const single = await stream(
      f,
      `/api/v1/watch/namespaces/w/configmaps/solo?resourceVersion=${rv}`,
      (ev) => ev.length >= 1,
    );
    expect(single.events.map((e) => e.object.metadata.name)).toEqual(['solo']);
    const all = await stream(
      f,
      `/api/v1/configmaps?watch=1&resourceVersion=${rv}`,
      (ev) => ev.length >= 2,
    );
    expect(all.events.map((e) => e.object.metadata.name)).toEqual(['solo', 'solo-2']);
  });

  it('serves Table watch events for kubectl get -w', async () => {
    const rv = (await raw(f, 'GET', '/api/v1/namespaces/w/configmaps')).json().metadata
      .resourceVersion;
    await post('tbl');
    const { events } = await stream(
      f,
      `/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=${rv}`,
      (ev) => ev.length >= 1,
      {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      },
    );
    expect(events[0].object.kind).toBe('Table');
    expect(events[0].object.rows[0].cells[0]).toBe('tbl');
  });

  it('works with client-node Watch and informers', async () => {
    const seen: string[] = [];
    const watch = new k8s.Watch(f.kc);
    const req = await watch.watch(
      '/api/v1/namespaces/w/configmaps',
      { labelSelector: 'kind=informer' },
      (type, obj: k8s.V1ConfigMap) => {
        seen.push(`${type} ${obj.metadata?.name}`);
      },
      () => undefined,
    );
    const core = f.kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(
      f.kc,
      '/api/v1/namespaces/w/configmaps',
      () => core.listNamespacedConfigMap({ namespace: 'w', labelSelector: 'kind=informer' }),
      'kind=informer',
    );
    const added: string[] = [];
    informer.on('add', (obj) => added.push(obj.metadata!.name!));
    await informer.start();
    await post('inf-1', { kind: 'informer' });
    await eventually(() => seen.includes('ADDED inf-1') && added.includes('inf-1'));
    // Closing every watch from the server: informers re-list and continue.
    f.sandbox.faults.closeWatches();
    await post('inf-2', { kind: 'informer' });
    await eventually(() => added.includes('inf-2'), 10_000);
    await informer.stop();
    req.abort();
  });
});
