// Object semantics through @kubernetes/client-node and raw requests: metadata, generateName,
// resourceVersion and optimistic concurrency, generation, status subresource, all patch types,
// dryRun, fieldValidation, selectors, pagination and list resourceVersion semantics.
/* eslint-disable @typescript-eslint/no-explicit-any -- API responses are untyped JSON */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMap, raw, startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
beforeAll(async () => {
  f = await startFixture({ historySize: 50 });
  core = f.kc.makeApiClient(k8s.CoreV1Api);
  apps = f.kc.makeApiClient(k8s.AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: 'objs' } } });
});
afterAll(async () => {
  await f?.stop();
});

function deployment(name: string, replicas = 1): k8s.V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'main', image: 'busybox', env: [{ name: 'A', value: '1' }] }],
        },
      },
    },
  };
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof k8s.ApiException)
      return { code: err.code, body: JSON.parse(String(err.body)) };
    throw err;
  }
  throw new Error('expected the request to fail');
}

describe('metadata', () => {
  it('sets uid, creationTimestamp and increasing resourceVersions', async () => {
    const a = await core.createNamespacedConfigMap({
      namespace: 'objs',
      body: configMap('meta-a', 'objs'),
    });
    const b = await core.createNamespacedConfigMap({
      namespace: 'objs',
      body: configMap('meta-b', 'objs'),
    });
    expect(a.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(Number(b.metadata?.resourceVersion)).toBeGreaterThan(
      Number(a.metadata?.resourceVersion),
    );
    expect(a.metadata?.generation).toBeUndefined();
  });

  it('generates names with a 5-character suffix', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: 'objs',
      body: { metadata: { generateName: 'gen-' } },
    });
    expect(cm.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('answers AlreadyExists and NotFound like the real server', async () => {
    const dup = await apiError(
      core.createNamespacedConfigMap({ namespace: 'objs', body: configMap('meta-a', 'objs') }),
    );
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({
      reason: 'AlreadyExists',
      message: 'configmaps "meta-a" already exists',
      details: { name: 'meta-a', kind: 'configmaps' },
    });
    const missing = await apiError(
      apps.readNamespacedDeployment({ namespace: 'objs', name: 'nope' }),
    );
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({
      reason: 'NotFound',
      message: 'deployments.apps "nope" not found',
      details: { group: 'apps', kind: 'deployments' },
    });
  });

  it('rejects a stale resourceVersion with 409 Conflict', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: 'objs',
      body: configMap('occ', 'objs', { v: '1' }),
    });
    const first = await core.replaceNamespacedConfigMap({
      namespace: 'objs',
      name: 'occ',
      body: { ...cm, data: { v: '2' } },
    });
    expect(first.data).toEqual({ v: '2' });
    const stale = await apiError(
      core.replaceNamespacedConfigMap({
        namespace: 'objs',
        name: 'occ',
        body: { ...cm, data: { v: '3' } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body.message).toBe(
      'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('does not bump the resourceVersion for a no-op update', async () => {
    const cm = await core.readNamespacedConfigMap({ namespace: 'objs', name: 'occ' });
    const same = await core.replaceNamespacedConfigMap({
      namespace: 'objs',
      name: 'occ',
      body: cm,
    });
    expect(same.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  });
});

describe('generation and status', () => {
  it('bumps generation only on spec changes and keeps status writes apart', async () => {
    const d = await apps.createNamespacedDeployment({ namespace: 'objs', body: deployment('gen') });
    expect(d.metadata?.generation).toBe(1);
    const labelled = await apps.patchNamespacedDeployment(
      { namespace: 'objs', name: 'gen', body: { metadata: { labels: { x: 'y' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(labelled.metadata?.generation).toBe(1);
    const scaled = await apps.patchNamespacedDeployment(
      { namespace: 'objs', name: 'gen', body: { spec: { replicas: 3 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(scaled.metadata?.generation).toBe(2);
    // A status write changes only status, never generation.
    const status = await apps.replaceNamespacedDeploymentStatus({
      namespace: 'objs',
      name: 'gen',
      body: {
        ...scaled,
        spec: { ...scaled.spec!, replicas: 9 },
        status: { replicas: 3, observedGeneration: 2 },
      },
    });
    expect(status.status?.replicas).toBe(3);
    expect(status.spec?.replicas).toBe(3);
    expect(status.metadata?.generation).toBe(2);
    // A main-resource write ignores status.
    const main = await apps.replaceNamespacedDeployment({
      namespace: 'objs',
      name: 'gen',
      body: { ...status, status: { replicas: 99 } },
    });
    expect(main.status?.replicas).toBe(3);
  });

  it('resets status on create for kinds with a status subresource', async () => {
    const d = await apps.createNamespacedDeployment({
      namespace: 'objs',
      body: { ...deployment('nostatus'), status: { replicas: 5 } },
    });
    expect(d.status?.replicas).toBeUndefined();
  });
});

describe('patches', () => {
  it('applies JSON patch (with test), merge patch and strategic merge patch', async () => {
    await apps.createNamespacedDeployment({ namespace: 'objs', body: deployment('patchy') });
    const json = await apps.patchNamespacedDeployment(
      {
        namespace: 'objs',
        name: 'patchy',
        body: [
          { op: 'test', path: '/spec/replicas', value: 1 },
          { op: 'replace', path: '/spec/replicas', value: 2 },
        ],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(json.spec?.replicas).toBe(2);
    const failed = await apiError(
      apps.patchNamespacedDeployment(
        {
          namespace: 'objs',
          name: 'patchy',
          body: [{ op: 'test', path: '/spec/replicas', value: 7 }],
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
      ),
    );
    expect(failed.code).toBe(422);
    const strategic = await apps.patchNamespacedDeployment(
      {
        namespace: 'objs',
        name: 'patchy',
        body: {
          spec: {
            template: {
              spec: { containers: [{ name: 'main', env: [{ name: 'B', value: '2' }] }] },
            },
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(strategic.spec?.template.spec?.containers[0]?.env?.map((e) => e.name)).toEqual([
      'B',
      'A',
    ]);
    expect(strategic.spec?.template.spec?.containers[0]?.image).toBe('busybox');
    const merge = await apps.patchNamespacedDeployment(
      {
        namespace: 'objs',
        name: 'patchy',
        body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'alpine' }] } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    // Merge patch replaces lists whole.
    expect(merge.spec?.template.spec?.containers[0]?.env).toBeUndefined();
  });

  it('server-side applies with managedFields and reports conflicts between managers', async () => {
    const body = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa', namespace: 'objs' },
      data: { a: '1' },
    });
    const applyHeaders = { 'content-type': 'application/apply-patch+yaml' };
    const created = await raw(
      f,
      'PATCH',
      '/api/v1/namespaces/objs/configmaps/ssa?fieldManager=one',
      body,
      applyHeaders,
    );
    expect(created.status).toBe(201);
    expect(created.json().metadata.managedFields[0]).toMatchObject({
      manager: 'one',
      operation: 'Apply',
    });
    const conflict = await raw(
      f,
      'PATCH',
      '/api/v1/namespaces/objs/configmaps/ssa?fieldManager=two',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'ssa' },
        data: { a: '2' },
      }),
      applyHeaders,
    );
    expect(conflict.status).toBe(409);
    expect(conflict.json().details.causes[0]).toMatchObject({
      reason: 'FieldManagerConflict',
      field: '.data.a',
    });
    const forced = await raw(
      f,
      'PATCH',
      '/api/v1/namespaces/objs/configmaps/ssa?fieldManager=two&force=true',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'ssa' },
        data: { a: '2' },
      }),
      applyHeaders,
    );
    expect(forced.status).toBe(200);
    expect(forced.json().data.a).toBe('2');
    const noManager = await raw(f, 'PATCH', '/api/v1/namespaces/objs/configmaps/ssa', body, {
      ...applyHeaders,
      'user-agent': '',
    });
    expect(noManager.status).toBe(400);
  });
});

describe('dryRun and fieldValidation', () => {
  it('validates fully but stores nothing with dryRun=All', async () => {
    const res = await raw(
      f,
      'POST',
      '/api/v1/namespaces/objs/configmaps?dryRun=All',
      JSON.stringify(configMap('dry', 'objs')),
    );
    expect(res.status).toBe(201);
    expect(res.json().metadata.uid).toBeDefined();
    expect((await raw(f, 'GET', '/api/v1/namespaces/objs/configmaps/dry')).status).toBe(404);
    const bad = await raw(
      f,
      'POST',
      '/api/v1/namespaces/objs/configmaps?dryRun=All',
      JSON.stringify(configMap('Bad_Name', 'objs')),
    );
    expect(bad.status).toBe(422);
    await raw(
      f,
      'POST',
      '/api/v1/namespaces/objs/configmaps',
      JSON.stringify(configMap('dry-del', 'objs')),
    );
    expect(
      (await raw(f, 'DELETE', '/api/v1/namespaces/objs/configmaps/dry-del?dryRun=All')).status,
    ).toBe(200);
    expect((await raw(f, 'GET', '/api/v1/namespaces/objs/configmaps/dry-del')).status).toBe(200);
  });

  it('drops unknown top-level and metadata fields of built-in kinds, or rejects them when Strict', async () => {
    const body = JSON.stringify({
      ...configMap('unknowns', 'objs', { a: '1' }),
      datta: { b: '2' },
      metadata: { name: 'unknowns', lables: { x: 'y' } },
    });
    const strict = await raw(
      f,
      'POST',
      '/api/v1/namespaces/objs/configmaps?fieldValidation=Strict',
      body,
    );
    expect(strict.status).toBe(400);
    expect(strict.json().message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "datta", unknown field "metadata.lables"',
    );
    const warn = await raw(f, 'POST', '/api/v1/namespaces/objs/configmaps', body);
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toContain('unknown field \\"datta\\"');
    expect(warn.json().datta).toBeUndefined();
    expect(warn.json().metadata.lables).toBeUndefined();
  });

  it('rejects duplicate fields under Strict and warns under Warn', async () => {
    const text =
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dups","namespace":"objs"},"data":{"a":"1","a":"2"}}';
    const strict = await raw(
      f,
      'POST',
      '/api/v1/namespaces/objs/configmaps?fieldValidation=Strict',
      text,
    );
    expect(strict.status).toBe(400);
    expect(strict.json().message).toContain('duplicate field "data.a"');
    const warn = await raw(
      f,
      'POST',
      '/api/v1/namespaces/objs/configmaps?fieldValidation=Warn',
      text,
    );
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toBe('299 - "duplicate field \\"data.a\\""');
    const bad = await raw(
      f,
      'POST',
      '/api/v1/namespaces/objs/configmaps?fieldValidation=Loud',
      text,
    );
    expect(bad.status).toBe(400);
  });
});

describe('reads', () => {
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) {
      await core.createNamespacedConfigMap({
        namespace: 'objs',
        body: configMap(
          `sel-${i}`,
          'objs',
          {},
          { tier: i % 2 ? 'odd' : 'even', n: String(i), ...(i === 0 ? { special: 'yes' } : {}) },
        ),
      });
    }
  });

  const names = (list: { items: Array<{ metadata?: { name?: string } }> }): string[] =>
    list.items.map((i) => i.metadata!.name!);

  it('filters by label selectors of every operator', async () => {
    const sel = async (labelSelector: string): Promise<string[]> =>
      names(await core.listNamespacedConfigMap({ namespace: 'objs', labelSelector }));
    expect(await sel('tier=odd')).toEqual(['sel-1', 'sel-3', 'sel-5']);
    expect(await sel('tier==even,n!=0')).toEqual(['sel-2', 'sel-4', 'sel-6']);
    expect(await sel('n in (1, 2)')).toEqual(['sel-1', 'sel-2']);
    expect(await sel('tier,n notin (0,1,2,3,4,5)')).toEqual(['sel-6']);
    expect(await sel('special')).toEqual(['sel-0']);
    expect((await sel('!special,tier')).length).toBe(6);
    const bad = await raw(
      f,
      'GET',
      '/api/v1/namespaces/objs/configmaps?labelSelector=' + encodeURIComponent('a in b'),
    );
    expect(bad.status).toBe(400);
  });

  it('filters by field selectors and rejects unsupported fields', async () => {
    const list = await core.listNamespacedConfigMap({
      namespace: 'objs',
      fieldSelector: 'metadata.name=sel-3',
    });
    expect(names(list)).toEqual(['sel-3']);
    const all = await core.listConfigMapForAllNamespaces({
      fieldSelector: 'metadata.namespace!=objs',
    });
    expect(all.items.every((i) => i.metadata?.namespace !== 'objs')).toBe(true);
    const bad = await raw(f, 'GET', '/api/v1/namespaces/objs/configmaps?fieldSelector=data.a%3D1');
    expect(bad.status).toBe(400);
    expect(bad.json().message).toContain('field label not supported: data.a');
  });

  it('paginates with limit/continue at one resourceVersion', async () => {
    const first = await core.listNamespacedConfigMap({
      namespace: 'objs',
      labelSelector: 'tier',
      limit: 3,
    });
    expect(names(first)).toEqual(['sel-0', 'sel-1', 'sel-2']);
    expect(first.metadata?.remainingItemCount).toBe(4);
    // Changes after the first page are not seen by the continuation.
    await core.createNamespacedConfigMap({
      namespace: 'objs',
      body: configMap('sel-9', 'objs', {}, { tier: 'odd' }),
    });
    const second = await core.listNamespacedConfigMap({
      namespace: 'objs',
      labelSelector: 'tier',
      limit: 3,
      _continue: first.metadata!._continue!,
    });
    expect(names(second)).toEqual(['sel-3', 'sel-4', 'sel-5']);
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    const third = await core.listNamespacedConfigMap({
      namespace: 'objs',
      labelSelector: 'tier',
      limit: 3,
      _continue: second.metadata!._continue!,
    });
    expect(names(third)).toEqual(['sel-6']);
    expect(third.metadata?._continue).toBeFalsy();
  });

  it('answers 410 for a continue token older than the history', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: 'objs', limit: 1 });
    for (let i = 0; i < 60; i++)
      await core.createNamespacedConfigMap({
        namespace: 'objs',
        body: { metadata: { generateName: 'churn-' } },
      });
    const expired = await raw(
      f,
      'GET',
      `/api/v1/namespaces/objs/configmaps?limit=1&continue=${encodeURIComponent(first.metadata!._continue!)}`,
    );
    expect(expired.status).toBe(410);
    expect(expired.json()).toMatchObject({ reason: 'Expired' });
    expect(expired.json().message).toContain('The provided continue parameter is too old');
    const garbage = await raw(f, 'GET', '/api/v1/namespaces/objs/configmaps?limit=1&continue=zzz');
    expect(garbage.status).toBe(400);
  });

  it('honours list resourceVersion semantics', async () => {
    const before = await core.listNamespacedConfigMap({ namespace: 'objs' });
    const rv = before.metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({
      namespace: 'objs',
      body: configMap('after-rv', 'objs'),
    });
    const exact = (
      await raw(
        f,
        'GET',
        `/api/v1/namespaces/objs/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`,
      )
    ).json();
    expect(exact.items.map((i: any) => i.metadata.name)).not.toContain('after-rv');
    expect(exact.metadata.resourceVersion).toBe(rv);
    const notOlder = (
      await raw(
        f,
        'GET',
        `/api/v1/namespaces/objs/configmaps?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`,
      )
    ).json();
    expect(notOlder.items.map((i: any) => i.metadata.name)).toContain('after-rv');
    const any = (
      await raw(f, 'GET', '/api/v1/namespaces/objs/configmaps?resourceVersion=0')
    ).json();
    expect(any.items.map((i: any) => i.metadata.name)).toContain('after-rv');
    const tooOld = await raw(
      f,
      'GET',
      '/api/v1/namespaces/objs/configmaps?resourceVersion=2&resourceVersionMatch=Exact',
    );
    expect(tooOld.status).toBe(410);
    const future = await raw(
      f,
      'GET',
      '/api/v1/namespaces/objs/configmaps?resourceVersion=99999999',
    );
    expect(future.status).toBe(504);
  });
});

describe('deletion', () => {
  it('checks uid and resourceVersion preconditions', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: 'objs',
      body: configMap('pre', 'objs'),
    });
    const wrongUid = await raw(
      f,
      'DELETE',
      '/api/v1/namespaces/objs/configmaps/pre',
      JSON.stringify({ preconditions: { uid: 'x' } }),
    );
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.json().message).toContain('Precondition failed: UID in precondition: x');
    const wrongRv = await raw(
      f,
      'DELETE',
      '/api/v1/namespaces/objs/configmaps/pre',
      JSON.stringify({ preconditions: { resourceVersion: '1' } }),
    );
    expect(wrongRv.status).toBe(409);
    const ok = await raw(
      f,
      'DELETE',
      '/api/v1/namespaces/objs/configmaps/pre',
      JSON.stringify({ preconditions: { uid: cm.metadata!.uid } }),
    );
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'pre', uid: cm.metadata!.uid },
    });
  });

  it('only marks objects with finalizers, and deletes them when the last finalizer goes', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'objs',
      body: {
        ...configMap('fin', 'objs'),
        metadata: { name: 'fin', finalizers: ['example.com/keep'] },
      },
    });
    const marked = await raw(f, 'DELETE', '/api/v1/namespaces/objs/configmaps/fin');
    expect(marked.status).toBe(200);
    expect(marked.json().metadata.deletionTimestamp).toBeDefined();
    const live = await core.readNamespacedConfigMap({ namespace: 'objs', name: 'fin' });
    expect(live.metadata?.deletionTimestamp).toBeDefined();
    const adding = await raw(
      f,
      'PATCH',
      '/api/v1/namespaces/objs/configmaps/fin',
      JSON.stringify({ metadata: { finalizers: ['example.com/keep', 'example.com/more'] } }),
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(adding.status).toBe(422);
    await core.patchNamespacedConfigMap(
      { namespace: 'objs', name: 'fin', body: [{ op: 'remove', path: '/metadata/finalizers' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect((await raw(f, 'GET', '/api/v1/namespaces/objs/configmaps/fin')).status).toBe(404);
  });

  it('deletes collections by selector', async () => {
    const res = await raw(
      f,
      'DELETE',
      '/api/v1/namespaces/objs/configmaps?labelSelector=tier%3Dodd',
    );
    expect(res.status).toBe(200);
    expect(res.json().kind).toBe('ConfigMapList');
    const left = await core.listNamespacedConfigMap({
      namespace: 'objs',
      labelSelector: 'tier=odd',
    });
    expect(left.items).toEqual([]);
  });
});
