// CustomResourceDefinitions: conditions and names, serving (discovery, REST, Table columns,
// OpenAPI), structural validation, defaulting, pruning, CEL with oldSelf, status and scale
// subresources, strategic merge 415, multiple versions with conversion None, deletion.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, raw, startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
let crdApi: k8s.ApiextensionsV1Api;
let custom: k8s.CustomObjectsApi;

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['color'],
      properties: {
        color: { type: 'string', enum: ['red', 'blue'] },
        size: { type: 'integer', minimum: 1, default: 3 },
        replicas: { type: 'integer' },
        immutableName: {
          type: 'string',
          'x-kubernetes-validations': [
            { rule: 'self == oldSelf', message: 'immutableName is immutable' },
          ],
        },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
      'x-kubernetes-validations': [{ rule: 'self.size <= 10', message: 'size must be at most 10' }],
    },
    status: {
      type: 'object',
      properties: { replicas: { type: 'integer' }, phase: { type: 'string' } },
    },
  },
};

const crd: k8s.V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.test.io' },
  spec: {
    group: 'test.io',
    scope: 'Namespaced',
    names: {
      plural: 'gadgets',
      singular: 'gadget',
      kind: 'Gadget',
      shortNames: ['gd'],
      categories: ['all'],
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: schema },
        subresources: {
          status: {},
          scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
        },
        additionalPrinterColumns: [
          { name: 'Color', type: 'string', jsonPath: '.spec.color' },
          { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
        ],
      },
      {
        name: 'v1beta1',
        served: true,
        storage: false,
        schema: { openAPIV3Schema: schema },
      },
    ],
  },
};

beforeAll(async () => {
  f = await startFixture();
  crdApi = f.kc.makeApiClient(k8s.ApiextensionsV1Api);
  custom = f.kc.makeApiClient(k8s.CustomObjectsApi);
  // Raw JSON: client-node's typed serializer would drop `default` and x-kubernetes-* keys written
  // in their wire form.
  const res = await raw(
    f,
    'POST',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    JSON.stringify(crd),
  );
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await f?.stop();
});

const gadget = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'test.io/v1',
  kind: 'Gadget',
  metadata: { name },
  spec,
});
const post = (obj: unknown, query = ''): ReturnType<typeof raw> =>
  raw(f, 'POST', `/apis/test.io/v1/namespaces/default/gadgets${query}`, JSON.stringify(obj));

describe('CRDs', () => {
  it('is Established with accepted names and stored versions', async () => {
    const got = await crdApi.readCustomResourceDefinition({ name: 'gadgets.test.io' });
    const conds = Object.fromEntries((got.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conds).toMatchObject({ Established: 'True', NamesAccepted: 'True' });
    expect(got.status?.acceptedNames).toMatchObject({
      plural: 'gadgets',
      kind: 'Gadget',
      listKind: 'GadgetList',
      shortNames: ['gd'],
    });
    expect(got.status?.storedVersions).toEqual(['v1']);
  });

  it('serves discovery and OpenAPI for the new resource', async () => {
    const group = (await raw(f, 'GET', '/apis/test.io')).json();
    expect(group.preferredVersion.version).toBe('v1');
    const list = (await raw(f, 'GET', '/apis/test.io/v1')).json();
    const names = list.resources.map((r: { name: string }) => r.name);
    expect(names).toEqual(expect.arrayContaining(['gadgets', 'gadgets/status', 'gadgets/scale']));
    expect(list.resources.find((r: { name: string }) => r.name === 'gadgets')).toMatchObject({
      kind: 'Gadget',
      shortNames: ['gd'],
      categories: ['all'],
    });
    const v3 = (await raw(f, 'GET', '/openapi/v3')).json();
    expect(Object.keys(v3.paths)).toContain('apis/test.io/v1');
  });

  it('defaults, prunes unknown fields (or rejects them when Strict) and keeps preserved ones', async () => {
    const res = await post(gadget('g1', { color: 'red', extra: 1, free: { anything: true } }));
    expect(res.status).toBe(201);
    const obj = res.json();
    expect(obj.spec).toEqual({ color: 'red', size: 3, free: { anything: true } });
    expect(obj.metadata.generation).toBe(1);
    expect(res.headers.warning).toContain('unknown field \\"spec.extra\\"');
    const strict = await post(gadget('g2', { color: 'red', extra: 1 }), '?fieldValidation=Strict');
    expect(strict.status).toBe(400);
    expect(strict.json().message).toContain('unknown field "spec.extra"');
  });

  it('validates the schema and CEL rules with 422 causes', async () => {
    const res = await post(gadget('bad', { color: 'green', size: 20 }));
    expect(res.status).toBe(422);
    const fields = res.json().details.causes.map((c: { field: string }) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['spec.color', 'spec']));
    expect(res.json().message).toContain('size must be at most 10');
    const missing = await post(gadget('bad2', {}));
    expect(missing.status).toBe(422);
    expect(missing.json().message).toContain('spec.color: Required value');
  });

  it('evaluates transition rules with oldSelf', async () => {
    await post(gadget('imm', { color: 'blue', immutableName: 'a' }));
    const res = await raw(
      f,
      'PATCH',
      '/apis/test.io/v1/namespaces/default/gadgets/imm',
      JSON.stringify({ spec: { immutableName: 'b' } }),
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(res.status).toBe(422);
    expect(res.json().message).toContain('immutableName is immutable');
  });

  it('answers 415 for strategic merge patch on custom resources', async () => {
    const res = await raw(
      f,
      'PATCH',
      '/apis/test.io/v1/namespaces/default/gadgets/g1',
      JSON.stringify({ spec: { size: 4 } }),
      {
        'content-type': 'application/strategic-merge-patch+json',
      },
    );
    expect(res.status).toBe(415);
    expect(res.json().reason).toBe('UnsupportedMediaType');
  });

  it('separates status writes and serves scale', async () => {
    const live = (await raw(f, 'GET', '/apis/test.io/v1/namespaces/default/gadgets/g1')).json();
    const status = await custom.replaceNamespacedCustomObjectStatus({
      group: 'test.io',
      version: 'v1',
      namespace: 'default',
      plural: 'gadgets',
      name: 'g1',
      body: { ...live, spec: { ...live.spec, size: 9 }, status: { replicas: 2, phase: 'Ready' } },
    });
    expect(status.status).toEqual({ replicas: 2, phase: 'Ready' });
    expect(status.spec.size).toBe(3);
    expect(status.metadata.generation).toBe(1);
    const scale = (
      await raw(f, 'GET', '/apis/test.io/v1/namespaces/default/gadgets/g1/scale')
    ).json();
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 0 },
      status: { replicas: 2 },
    });
    const scaled = await raw(
      f,
      'PATCH',
      '/apis/test.io/v1/namespaces/default/gadgets/g1/scale',
      JSON.stringify({ spec: { replicas: 4 } }),
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(scaled.json().spec.replicas).toBe(4);
    const after = (await raw(f, 'GET', '/apis/test.io/v1/namespaces/default/gadgets/g1')).json();
    expect(after.spec.replicas).toBe(4);
    expect(after.metadata.generation).toBe(2);
  });

  it('renders additionalPrinterColumns in Tables', async () => {
    const table = (
      await raw(f, 'GET', '/apis/test.io/v1/namespaces/default/gadgets', undefined, {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      })
    ).json();
    expect(table.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
      'Name',
      'Color',
      'Size',
    ]);
    expect(table.rows.find((r: { cells: unknown[] }) => r.cells[0] === 'g1').cells).toEqual([
      'g1',
      'red',
      3,
    ]);
  });

  it('serves other versions with conversion None (apiVersion rewritten)', async () => {
    const viaBeta = (
      await raw(f, 'GET', '/apis/test.io/v1beta1/namespaces/default/gadgets/g1')
    ).json();
    expect(viaBeta.apiVersion).toBe('test.io/v1beta1');
    expect(viaBeta.spec.color).toBe('red');
    const created = await raw(
      f,
      'POST',
      '/apis/test.io/v1beta1/namespaces/default/gadgets',
      JSON.stringify({
        apiVersion: 'test.io/v1beta1',
        kind: 'Gadget',
        metadata: { name: 'beta' },
        spec: { color: 'blue' },
      }),
    );
    expect(created.status).toBe(201);
    expect(
      (await raw(f, 'GET', '/apis/test.io/v1/namespaces/default/gadgets/beta')).json().apiVersion,
    ).toBe('test.io/v1');
  });

  it('keeps a terminating CRD until its objects finalizers are removed', async () => {
    const held = await post({
      ...gadget('held', { color: 'red' }),
      metadata: { name: 'held', finalizers: ['test.io/hold'] },
    });
    expect(held.status).toBe(201);
    expect(
      (
        await raw(
          f,
          'GET',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.test.io',
        )
      ).json().metadata.finalizers,
    ).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
    await raw(
      f,
      'DELETE',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.test.io',
    );
    await eventually(
      async () =>
        (await raw(f, 'GET', '/apis/test.io/v1/namespaces/default/gadgets/g1')).status === 404,
    );
    const blocked = await post(gadget('late', { color: 'red' }));
    expect(blocked.status).toBe(405);
    expect(blocked.json().message).toBe(
      'create not allowed while custom resource definition is terminating',
    );
    expect(
      (
        await raw(
          f,
          'GET',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.test.io',
        )
      ).json().metadata.deletionTimestamp,
    ).toBeDefined();
    await raw(
      f,
      'PATCH',
      '/apis/test.io/v1/namespaces/default/gadgets/held',
      JSON.stringify({ metadata: { finalizers: null } }),
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    await eventually(
      async () =>
        (
          await raw(
            f,
            'GET',
            '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.test.io',
          )
        ).status === 404,
    );
    expect((await raw(f, 'GET', '/apis/test.io/v1/namespaces/default/gadgets')).status).toBe(404);
    expect(
      (
        await raw(
          f,
          'POST',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
          JSON.stringify(crd),
        )
      ).status,
    ).toBe(201);
    for (const name of ['g1', 'beta']) {
      await post(
        name === 'g1' ? gadget('g1', { color: 'red' }) : gadget('beta', { color: 'blue' }),
      );
    }
  });

  it('warns that conversion webhooks are not called', async () => {
    const webhookCrd = {
      ...crd,
      metadata: { name: 'hooks.test.io' },
      spec: {
        ...crd.spec,
        group: 'test.io',
        names: { plural: 'hooks', singular: 'hook', kind: 'Hook' },
        conversion: {
          strategy: 'Webhook',
          webhook: {
            conversionReviewVersions: ['v1'],
            clientConfig: { url: 'https://example.invalid/convert' },
          },
        },
      },
    };
    const res = await raw(
      f,
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      JSON.stringify(webhookCrd),
    );
    expect(res.status).toBe(201);
    expect(res.headers.warning).toContain('kube-sandbox does not call conversion webhooks');
  });

  it('rejects an invalid CRD with 422', async () => {
    const res = await raw(
      f,
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      JSON.stringify({ ...crd, metadata: { name: 'wrong.test.io' } }),
    );
    expect(res.status).toBe(422);
  });

  it('stops serving and deletes the objects when the CRD is deleted', async () => {
    await crdApi.deleteCustomResourceDefinition({ name: 'gadgets.test.io' });
    await eventually(
      async () =>
        (await raw(f, 'GET', '/apis/test.io/v1/namespaces/default/gadgets')).status === 404,
    );
    expect(
      (
        await raw(
          f,
          'GET',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.test.io',
        )
      ).status,
    ).toBe(404);
    expect(f.sandbox.core.store.count('test.io/gadgets')).toBe(0);
    // Recreating starts empty.
    expect(
      (
        await raw(
          f,
          'POST',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
          JSON.stringify(crd),
        )
      ).status,
    ).toBe(201);
    const list = (await raw(f, 'GET', '/apis/test.io/v1/namespaces/default/gadgets')).json();
    expect(list.items).toEqual([]);
  });
});
