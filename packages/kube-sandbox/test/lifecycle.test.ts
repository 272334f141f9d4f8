// Garbage collection (background, foreground, orphan), namespace deletion, per-namespace defaults,
// Service ClusterIP allocation, through the HTTP API.
/* eslint-disable @typescript-eslint/no-explicit-any -- API responses are untyped JSON */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMap, eventually, raw, startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
  await raw(
    f,
    'POST',
    '/api/v1/namespaces',
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'life' } }),
  );
});
afterAll(async () => {
  await f?.stop();
});

async function create(path: string, obj: unknown): Promise<any> {
  const res = await raw(f, 'POST', path, JSON.stringify(obj));
  if (res.status !== 201) throw new Error(`${res.status} ${res.body}`);
  return res.json();
}

function ownerRef(owner: any, block = false): unknown {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    ...(block ? { blockOwnerDeletion: true } : {}),
  };
}

async function family(prefix: string, block = false): Promise<{ owner: any; deps: any[] }> {
  const owner = await create(
    '/api/v1/namespaces/life/configmaps',
    configMap(`${prefix}-owner`, 'life'),
  );
  const deps: any[] = [];
  for (const i of [1, 2]) {
    deps.push(
      await create('/api/v1/namespaces/life/secrets', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${prefix}-dep-${i}`, ownerReferences: [ownerRef(owner, block)] },
      }),
    );
  }
  return { owner, deps };
}

const exists = async (path: string): Promise<boolean> => (await raw(f, 'GET', path)).status === 200;

describe('garbage collection', () => {
  it('deletes dependents in the background', async () => {
    await family('bg');
    await raw(
      f,
      'DELETE',
      '/api/v1/namespaces/life/configmaps/bg-owner?propagationPolicy=Background',
    );
    await eventually(
      async () =>
        !(await exists('/api/v1/namespaces/life/secrets/bg-dep-1')) &&
        !(await exists('/api/v1/namespaces/life/secrets/bg-dep-2')),
    );
  });

  it('deletes foreground: the owner waits with the foregroundDeletion finalizer until blocking dependents are gone', async () => {
    await family('fg', true);
    // A finalizer on one dependent keeps the owner waiting.
    await raw(
      f,
      'PATCH',
      '/api/v1/namespaces/life/secrets/fg-dep-1',
      JSON.stringify({ metadata: { finalizers: ['test/hold'] } }),
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    const res = await raw(
      f,
      'DELETE',
      '/api/v1/namespaces/life/configmaps/fg-owner',
      JSON.stringify({ propagationPolicy: 'Foreground' }),
    );
    expect(res.json().metadata.finalizers).toContain('foregroundDeletion');
    await eventually(async () => !(await exists('/api/v1/namespaces/life/secrets/fg-dep-2')));
    const owner = (await raw(f, 'GET', '/api/v1/namespaces/life/configmaps/fg-owner')).json();
    expect(owner.metadata.deletionTimestamp).toBeDefined();
    expect(owner.metadata.finalizers).toEqual(['foregroundDeletion']);
    await raw(
      f,
      'PATCH',
      '/api/v1/namespaces/life/secrets/fg-dep-1',
      JSON.stringify({ metadata: { finalizers: null } }),
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    await eventually(async () => !(await exists('/api/v1/namespaces/life/configmaps/fg-owner')));
  });

  it('orphans dependents: their ownerReferences are removed and they stay', async () => {
    await family('or');
    await raw(f, 'DELETE', '/api/v1/namespaces/life/configmaps/or-owner?propagationPolicy=Orphan');
    await eventually(async () => !(await exists('/api/v1/namespaces/life/configmaps/or-owner')));
    const dep = (await raw(f, 'GET', '/api/v1/namespaces/life/secrets/or-dep-1')).json();
    expect(dep.metadata.ownerReferences).toBeUndefined();
  });

  it('keeps a dependent that still has a live owner, dropping the dangling reference', async () => {
    const a = await create('/api/v1/namespaces/life/configmaps', configMap('two-a', 'life'));
    const b = await create('/api/v1/namespaces/life/configmaps', configMap('two-b', 'life'));
    await create('/api/v1/namespaces/life/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'two-dep', ownerReferences: [ownerRef(a), ownerRef(b)] },
    });
    await raw(f, 'DELETE', '/api/v1/namespaces/life/configmaps/two-a');
    await eventually(
      async () =>
        (await raw(f, 'GET', '/api/v1/namespaces/life/secrets/two-dep')).json().metadata
          .ownerReferences?.length === 1,
    );
  });

  it('collects dependents created with an owner that does not exist', async () => {
    await create('/api/v1/namespaces/life/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'dangling',
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: 'ghost',
            uid: '00000000-0000-0000-0000-000000000000',
          },
        ],
      },
    });
    await eventually(async () => !(await exists('/api/v1/namespaces/life/secrets/dangling')));
  });
});

describe('namespaces', () => {
  it('creates the default ServiceAccount and kube-root-ca.crt in new namespaces', async () => {
    await create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'fresh' },
    });
    await eventually(() => exists('/api/v1/namespaces/fresh/serviceaccounts/default'));
    const cm = await eventually(async () => {
      const r = await raw(f, 'GET', '/api/v1/namespaces/fresh/configmaps/kube-root-ca.crt');
      return r.status === 200 ? r.json() : undefined;
    });
    expect(cm.data['ca.crt']).toBe(f.sandbox.caPem);
  });

  it('terminates: Terminating phase, no new content (403), contents removed, then gone', async () => {
    await create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'doomed' },
    });
    await create('/api/v1/namespaces/doomed/configmaps', {
      ...configMap('held', 'doomed'),
      metadata: { name: 'held', finalizers: ['test/hold'] },
    });
    await create('/api/v1/namespaces/doomed/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
    });
    const del = await raw(f, 'DELETE', '/api/v1/namespaces/doomed');
    expect(del.status).toBe(200);
    expect(del.json().status.phase).toBe('Terminating');
    expect(del.json().spec.finalizers).toEqual(['kubernetes']);
    const refused = await raw(
      f,
      'POST',
      '/api/v1/namespaces/doomed/configmaps',
      JSON.stringify(configMap('late', 'doomed')),
    );
    expect(refused.status).toBe(403);
    expect(refused.json().message).toBe(
      'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    );
    await eventually(async () => !(await exists('/api/v1/namespaces/doomed/secrets/s')));
    expect(await exists('/api/v1/namespaces/doomed')).toBe(true);
    await raw(
      f,
      'PATCH',
      '/api/v1/namespaces/doomed/configmaps/held',
      JSON.stringify({ metadata: { finalizers: null } }),
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    await eventually(async () => !(await exists('/api/v1/namespaces/doomed')));
  });

  it('answers 404 for content in a missing namespace', async () => {
    const res = await raw(
      f,
      'POST',
      '/api/v1/namespaces/nowhere/configmaps',
      JSON.stringify(configMap('x', 'nowhere')),
    );
    expect(res.status).toBe(404);
    expect(res.json().message).toBe('namespaces "nowhere" not found');
  });
});

describe('services', () => {
  const svc = (name: string, spec: Record<string, unknown> = {}): unknown => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { ports: [{ port: 80 }], selector: { app: name }, ...spec },
  });

  it('allocates ClusterIPs from 10.96.0.0/16, honours requests, refuses taken IPs, releases on delete', async () => {
    const a = await create('/api/v1/namespaces/life/services', svc('a'));
    expect(a.spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(a.spec.clusterIPs).toEqual([a.spec.clusterIP]);
    const fixed = await create(
      '/api/v1/namespaces/life/services',
      svc('fixed', { clusterIP: '10.96.7.7' }),
    );
    expect(fixed.spec.clusterIP).toBe('10.96.7.7');
    const taken = await raw(
      f,
      'POST',
      '/api/v1/namespaces/life/services',
      JSON.stringify(svc('taken', { clusterIP: '10.96.7.7' })),
    );
    expect(taken.status).toBe(422);
    expect(taken.json().message).toContain('provided IP is already allocated');
    const outside = await raw(
      f,
      'POST',
      '/api/v1/namespaces/life/services',
      JSON.stringify(svc('outside', { clusterIP: '192.168.0.1' })),
    );
    expect(outside.status).toBe(422);
    const headless = await create(
      '/api/v1/namespaces/life/services',
      svc('headless', { clusterIP: 'None' }),
    );
    expect(headless.spec.clusterIP).toBe('None');
    await raw(f, 'DELETE', '/api/v1/namespaces/life/services/fixed');
    const again = await create(
      '/api/v1/namespaces/life/services',
      svc('again', { clusterIP: '10.96.7.7' }),
    );
    expect(again.spec.clusterIP).toBe('10.96.7.7');
  });
});

describe('events', () => {
  it('shares storage between events.k8s.io/v1 and core/v1 Events', async () => {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, '.000000Z');
    const created = await create('/apis/events.k8s.io/v1/namespaces/life/events', {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'ev1' },
      eventTime: now,
      reportingController: 'example.com/ctrl',
      reportingInstance: 'ctrl-1',
      action: 'Reconcile',
      reason: 'Synced',
      note: 'all good',
      type: 'Normal',
      regarding: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', namespace: 'life' },
    });
    expect(created.note).toBe('all good');
    const core = (await raw(f, 'GET', '/api/v1/namespaces/life/events/ev1')).json();
    expect(core).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      message: 'all good',
      reason: 'Synced',
      involvedObject: { kind: 'ConfigMap', name: 'x' },
      reportingComponent: 'example.com/ctrl',
    });
    const byObject = (
      await raw(f, 'GET', '/api/v1/namespaces/life/events?fieldSelector=involvedObject.name%3Dx')
    ).json();
    expect(byObject.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual([
      'ev1',
    ]);
    const patched = await raw(
      f,
      'PATCH',
      '/apis/events.k8s.io/v1/namespaces/life/events/ev1',
      JSON.stringify({ series: { count: 2, lastObservedTime: now } }),
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(patched.status).toBe(200);
    expect((await raw(f, 'GET', '/api/v1/namespaces/life/events/ev1')).json().series.count).toBe(2);
    const list = (await raw(f, 'GET', '/apis/events.k8s.io/v1/namespaces/life/events')).json();
    expect(list.items[0]).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      note: 'all good',
      regarding: { name: 'x' },
    });
  });
});
