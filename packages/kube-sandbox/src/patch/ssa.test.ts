import { describe, expect, it } from 'vitest';
import type { TypeInfo } from '../core/contracts.ts';
import { StatusError } from '../core/errors.ts';
import type { KubeObject, ManagedFieldsEntry, ObjectMeta } from '../core/types.ts';
import { createPatchEngine } from './index.ts';

const engine = createPatchEngine();
const DEPLOYMENT: TypeInfo = {
  source: 'builtin',
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
};
const CONFIGMAP: TypeInfo = { source: 'builtin', group: '', version: 'v1', kind: 'ConfigMap' };
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

function deployment(
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...extra },
    spec,
  };
}

const template = (containers: unknown[]) => ({
  selector: { matchLabels: { app: 'web' } },
  template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
});

/** engine.apply with this suite's usual arguments: a Deployment created at T0, not forced. */
function applyAs(
  args: Partial<Parameters<typeof engine.apply>[0]> & { applied: KubeObject; manager: string },
) {
  return engine.apply({ live: undefined, force: false, type: DEPLOYMENT, now: T0, ...args });
}

/** metadata of a test object (they all have one). */
function meta(obj: KubeObject): ObjectMeta {
  obj.metadata ??= {};
  return obj.metadata;
}

const managers = (obj: KubeObject) => (meta(obj).managedFields ?? []).map((e) => e.manager);

function entry(obj: KubeObject, manager: string, operation = 'Apply'): ManagedFieldsEntry {
  const found = obj.metadata?.managedFields?.find(
    (e) => e.manager === manager && e.operation === operation,
  );
  if (!found) throw new Error(`no ${operation} entry for ${manager}`);
  return found;
}

/** The StatusError `fn` throws (a conflict, or any other rejection). */
function conflict(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a conflict');
}

describe('server-side apply: ownership', () => {
  it('creates an object and records the applied fields in FieldsV1', () => {
    const out = applyAs({
      applied: deployment(
        {
          replicas: 2,
          ...template([{ name: 'app', image: 'app:1', ports: [{ containerPort: 80 }] }]),
        },
        { labels: { app: 'web' } },
      ),
      manager: 'kubectl',
    });
    expect(out.spec).toMatchObject({ replicas: 2 });
    const mf = entry(out, 'kubectl');
    expect(mf).toMatchObject({
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T0,
      fieldsType: 'FieldsV1',
    });
    expect(mf.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"app"}': {
                '.': {},
                'f:name': {},
                'f:image': {},
                'f:ports': {
                  'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
                },
              },
            },
          },
        },
      },
    });
  });

  it('strips managedFields from the applied object and never nests them', () => {
    const applied = deployment({ replicas: 1 });
    meta(applied).managedFields = [
      { manager: 'evil', operation: 'Apply', fieldsV1: { 'f:spec': {} } },
    ];
    const out = applyAs({
      applied,
      manager: 'a',
    });
    expect(managers(out)).toEqual(['a']);
    expect(JSON.stringify(meta(out).managedFields)).not.toContain('managedFields');
  });

  it('removes fields the manager applied before and omits now', () => {
    const first = applyAs({
      applied: deployment({
        replicas: 1,
        paused: true,
        ...template([
          { name: 'app', image: 'a' },
          { name: 'side', image: 's' },
        ]),
      }),
      manager: 'mgr',
    });
    const second = applyAs({
      live: first,
      applied: deployment({ replicas: 1, ...template([{ name: 'app', image: 'a' }]) }),
      manager: 'mgr',
      now: T1,
    });
    const spec = second.spec as {
      paused?: boolean;
      template: { spec: { containers: { name: string }[] } };
    };
    expect(spec.paused).toBeUndefined();
    expect(spec.template.spec.containers.map((c) => c.name)).toEqual(['app']);
  });

  it('keeps an omitted field another manager also owns', () => {
    const cm = (data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data,
    });
    let live = applyAs({
      applied: cm({ a: '1', b: '2' }),
      manager: 'one',
      type: CONFIGMAP,
    });
    live = applyAs({
      live,
      applied: cm({ b: '2' }),
      manager: 'two',
      type: CONFIGMAP,
    });
    live = applyAs({
      live,
      applied: cm({ a: '1' }),
      manager: 'one',
      type: CONFIGMAP,
      now: T1,
    });
    expect(live.data).toEqual({ a: '1', b: '2' });
    const { data: _omitted, ...withoutData } = cm({});
    live = applyAs({
      live,
      applied: withoutData,
      manager: 'two',
      type: CONFIGMAP,
      now: T1,
    });
    expect(live.data).toEqual({ a: '1' });
    expect(managers(live)).toEqual(['one']);
  });

  it('shares ownership without conflict when the values agree', () => {
    const a = applyAs({
      applied: deployment({ replicas: 3 }),
      manager: 'a',
    });
    const b = applyAs({
      live: a,
      applied: deployment({ replicas: 3 }),
      manager: 'b',
      now: T1,
    });
    expect(entry(b, 'a').fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(entry(b, 'b').fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });

  it('merges list-map items owned by different managers', () => {
    const a = applyAs({
      applied: deployment(template([{ name: 'app', image: 'a' }])),
      manager: 'a',
    });
    const b = applyAs({
      live: a,
      applied: deployment({ template: { spec: { containers: [{ name: 'side', image: 's' }] } } }),
      manager: 'b',
      now: T1,
    });
    const containers = (b.spec as { template: { spec: { containers: { name: string }[] } } })
      .template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['app', 'side']);
  });
});

describe('server-side apply: conflicts', () => {
  it('conflicts with an Update manager that set the field to another value', () => {
    const created = deployment({ replicas: 1, ...template([{ name: 'app', image: 'a' }]) });
    meta(created).managedFields = engine.recordUpdate({
      old: undefined,
      updated: created,
      manager: 'kubectl-client-side-apply',
      type: DEPLOYMENT,
      now: T0,
    });
    const err = conflict(() =>
      applyAs({
        live: created,
        applied: deployment({ replicas: 3 }),
        manager: 'kubectl',
        now: T1,
      }),
    );
    expect(err.code).toBe(409);
    expect(err.reason).toBe('Conflict');
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    expect(err.details?.causes).toEqual([
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl-client-side-apply" using apps/v1',
        field: '.spec.replicas',
      },
    ]);
  });

  it('lists every conflict, grouped by manager', () => {
    const a = applyAs({
      applied: deployment({
        replicas: 1,
        paused: false,
        ...template([{ name: 'app', image: 'a' }]),
      }),
      manager: 'a',
    });
    const err = conflict(() =>
      applyAs({
        live: a,
        applied: deployment({
          replicas: 2,
          paused: true,
          template: { spec: { containers: [{ name: 'app', image: 'b' }] } },
        }),
        manager: 'b',
        now: T1,
      }),
    );
    expect(err.message).toBe(
      'Apply failed with 3 conflicts: conflicts with "a":\n- .spec.paused\n- .spec.replicas\n- .spec.template.spec.containers[name="app"].image',
    );
    expect(err.details?.causes?.map((c) => c.field)).toEqual([
      '.spec.paused',
      '.spec.replicas',
      '.spec.template.spec.containers[name="app"].image',
    ]);
  });

  it('force takes ownership from the other manager', () => {
    const a = applyAs({
      applied: deployment({ replicas: 1, paused: false }),
      manager: 'a',
    });
    const b = applyAs({
      live: a,
      applied: deployment({ replicas: 5 }),
      manager: 'b',
      force: true,
      now: T1,
    });
    expect(b.spec).toEqual({ replicas: 5, paused: false });
    expect(entry(b, 'a').fieldsV1).toEqual({ 'f:spec': { 'f:paused': {} } });
    expect(entry(b, 'b').fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    // a may now drop replicas without removing b's value.
    const c = applyAs({
      live: b,
      applied: deployment({ paused: false }),
      manager: 'a',
      now: T1,
    });
    expect(c.spec).toEqual({ replicas: 5, paused: false });
  });

  it('an object nobody tracked belongs to before-first-apply', () => {
    const live = deployment({ replicas: 1 });
    const err = conflict(() =>
      applyAs({
        live,
        applied: deployment({ replicas: 2 }),
        manager: 'x',
      }),
    );
    expect(err.message).toContain(
      'conflict with "before-first-apply" using apps/v1: .spec.replicas',
    );
  });
});

describe('server-side apply: invalid configurations', () => {
  it('rejects list-map items without their key like the API server', () => {
    const err = conflict(() =>
      applyAs({
        applied: deployment(template([{ image: 'x' }])),
        manager: 'm',
      }),
    );
    expect(err.code).toBe(500);
    expect(err.message).toBe(
      'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
    );
  });

  it('rejects duplicate list-map keys', () => {
    const err = conflict(() =>
      applyAs({
        applied: deployment(template([{ name: 'a' }, { name: 'a' }])),
        manager: 'm',
      }),
    );
    expect(err.message).toContain(
      '.spec.template.spec.containers: duplicate entries for key [name="a"]',
    );
  });
});

describe('recordUpdate', () => {
  it('gives changed fields to the writer and takes them from others', () => {
    const applied = applyAs({
      applied: deployment({ replicas: 1, paused: false }),
      manager: 'kubectl',
    });
    const updated = { ...applied, spec: { replicas: 4, paused: false } };
    const mf = engine.recordUpdate({
      old: applied,
      updated,
      manager: 'hpa',
      type: DEPLOYMENT,
      now: T1,
    });
    expect(mf.map((e) => [e.manager, e.operation, e.fieldsV1])).toEqual([
      ['kubectl', 'Apply', { 'f:spec': { 'f:paused': {} } }],
      ['hpa', 'Update', { 'f:spec': { 'f:replicas': {} } }],
    ]);
    expect(mf[1].time).toBe(T1);
  });

  it('records nothing for a write that changes nothing', () => {
    const created = deployment({ replicas: 1 });
    meta(created).managedFields = engine.recordUpdate({
      old: undefined,
      updated: created,
      manager: 'a',
      type: DEPLOYMENT,
      now: T0,
    });
    const again = engine.recordUpdate({
      old: created,
      updated: structuredClone(created),
      manager: 'b',
      type: DEPLOYMENT,
      now: T1,
    });
    expect(again).toEqual(meta(created).managedFields);
  });

  it('drops removed fields from every manager', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: '1', b: '2' },
    };
    meta(cm).managedFields = engine.recordUpdate({
      old: undefined,
      updated: cm,
      manager: 'a',
      type: CONFIGMAP,
      now: T0,
    });
    expect((meta(cm).managedFields ?? [])[0].fieldsV1).toEqual({
      'f:data': { '.': {}, 'f:a': {}, 'f:b': {} },
    });
    const next = { ...cm, data: { a: '1' } };
    const mf = engine.recordUpdate({
      old: cm,
      updated: next,
      manager: 'b',
      type: CONFIGMAP,
      now: T1,
    });
    expect(mf).toHaveLength(1);
    expect(mf[0].fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:a': {} } });
  });

  it('status writes own status only, under the subresource', () => {
    const created = deployment({ replicas: 1 });
    meta(created).managedFields = engine.recordUpdate({
      old: undefined,
      updated: created,
      manager: 'kubectl',
      type: DEPLOYMENT,
      now: T0,
    });
    const withStatus = {
      ...created,
      status: { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] },
    };
    const mf = engine.recordUpdate({
      old: created,
      updated: withStatus,
      manager: 'controller',
      type: DEPLOYMENT,
      subresource: 'status',
      now: T1,
    });
    const status = mf.find((e) => e.manager === 'controller');
    expect(status?.subresource).toBe('status');
    expect(status?.fieldsV1).toEqual({
      'f:status': {
        'f:replicas': {},
        'f:conditions': {
          '.': {},
          'k:{"type":"Available"}': { '.': {}, 'f:type': {}, 'f:status': {} },
        },
      },
    });
  });

  it('keeps at most 10 Update entries, folding the oldest into ancient-changes', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: {},
    };
    meta(cm).managedFields = engine.recordUpdate({
      old: undefined,
      updated: cm,
      manager: 'creator',
      type: CONFIGMAP,
      now: '2026-01-01T00:00:00Z',
    });
    let live = cm;
    for (let i = 0; i < 12; i++) {
      const next = { ...live, data: { ...(live.data as object), [`k${i}`]: 'v' } };
      meta(next).managedFields = engine.recordUpdate({
        old: live,
        updated: next,
        manager: `writer-${String(i).padStart(2, '0')}`,
        type: CONFIGMAP,
        now: `2026-01-01T00:${String(i + 1).padStart(2, '0')}:00Z`,
      });
      live = next;
    }
    const names = managers(live);
    expect(names).toHaveLength(10);
    expect(names[0]).toBe('ancient-changes');
    expect(names.slice(1)).toEqual(
      [3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => `writer-${String(i).padStart(2, '0')}`),
    );
    const ancient = (meta(live).managedFields ?? [])[0];
    expect(ancient.fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:k0': {}, 'f:k1': {}, 'f:k2': {} } });
    expect(ancient.time).toBe('2026-01-01T00:03:00Z');
  });

  it('an existing object without managedFields stays untracked on update', () => {
    const live = deployment({ replicas: 1 });
    expect(
      engine.recordUpdate({
        old: live,
        updated: deployment({ replicas: 2 }),
        manager: 'a',
        type: DEPLOYMENT,
        now: T0,
      }),
    ).toEqual([]);
  });
});

describe('server-side apply on custom resources', () => {
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          size: { type: 'integer' },
          members: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['zone', 'name'],
            items: {
              type: 'object',
              properties: {
                zone: { type: 'string', default: 'a' },
                name: { type: 'string' },
                weight: { type: 'integer' },
              },
            },
          },
          tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
          args: { type: 'array', items: { type: 'string' } },
          config: { type: 'object', additionalProperties: { type: 'string' } },
          selector: {
            type: 'object',
            'x-kubernetes-map-type': 'atomic',
            properties: { app: { type: 'string' } },
          },
        },
      },
    },
  };
  const CR: TypeInfo = {
    source: 'crd',
    group: 'example.com',
    version: 'v1',
    kind: 'Widget',
    schema,
  };
  const widget = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec,
  });

  it('keys list-map items by x-kubernetes-list-map-keys (with defaults) and sets by value', () => {
    const out = applyAs({
      applied: widget({
        members: [{ zone: 'b', name: 'x', weight: 1 }, { name: 'y' }],
        tags: ['t1'],
        args: ['--v'],
        config: { k: 'v' },
        selector: { app: 'w' },
      }),
      manager: 'op',
      type: CR,
    });
    expect(entry(out, 'op').fieldsV1).toEqual({
      'f:spec': {
        'f:members': {
          'k:{"name":"x","zone":"b"}': { '.': {}, 'f:zone': {}, 'f:name': {}, 'f:weight': {} },
          'k:{"name":"y","zone":"a"}': { '.': {}, 'f:name': {} },
        },
        'f:tags': { 'v:"t1"': {} },
        'f:args': {},
        'f:config': { 'f:k': {} },
        'f:selector': {},
      },
    });
  });

  it('merges list-map items from two managers and conflicts per item field', () => {
    const a = applyAs({
      applied: widget({ members: [{ zone: 'a', name: 'x', weight: 1 }], tags: ['t1'] }),
      manager: 'a',
      type: CR,
    });
    const b = applyAs({
      live: a,
      applied: widget({ members: [{ zone: 'b', name: 'x', weight: 2 }], tags: ['t2'] }),
      manager: 'b',
      type: CR,
      now: T1,
    });
    expect((b.spec as { members: unknown[] }).members).toEqual([
      { zone: 'a', name: 'x', weight: 1 },
      { zone: 'b', name: 'x', weight: 2 },
    ]);
    expect((b.spec as { tags: string[] }).tags).toEqual(['t1', 't2']);
    const err = conflict(() =>
      applyAs({
        live: b,
        applied: widget({ members: [{ zone: 'a', name: 'x', weight: 9 }] }),
        manager: 'b',
        type: CR,
        now: T1,
      }),
    );
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "a": .spec.members[name="x",zone="a"].weight',
    );
  });

  it('treats schemaless (preserve-unknown-fields) parts as maps and embedded resources as objects', () => {
    const TYPE: TypeInfo = {
      source: 'crd',
      group: 'example.com',
      version: 'v1',
      kind: 'Box',
      schema: {
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            properties: {
              port: { 'x-kubernetes-int-or-string': true },
              extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: {} },
            },
          },
        },
      },
    };
    const out = applyAs({
      applied: {
        apiVersion: 'example.com/v1',
        kind: 'Box',
        metadata: { name: 'b' },
        spec: {
          port: 'http',
          extra: { nested: { deep: 1 }, list: [1, 2] },
          template: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { a: 'b' } } },
        },
      },
      manager: 'm',
      type: TYPE,
    });
    expect(entry(out, 'm').fieldsV1).toEqual({
      'f:spec': {
        'f:port': {},
        'f:extra': { 'f:nested': { '.': {}, 'f:deep': {} }, 'f:list': {} },
        'f:template': {
          'f:apiVersion': {},
          'f:kind': {},
          'f:metadata': { 'f:labels': { 'f:a': {} } },
        },
      },
    });
  });

  it('replaces atomic lists and tracks CR creates with "." on new maps', () => {
    const created = widget({ size: 1, args: ['a', 'b'] });
    const mf = engine.recordUpdate({
      old: undefined,
      updated: created,
      manager: 'ctl',
      type: CR,
      now: T0,
    });
    expect(mf[0].fieldsV1).toEqual({ 'f:spec': { '.': {}, 'f:size': {}, 'f:args': {} } });
    meta(created).managedFields = mf;
    const out = applyAs({
      live: created,
      applied: widget({ args: ['c'] }),
      manager: 'op',
      force: true,
      type: CR,
      now: T1,
    });
    expect(out.spec).toEqual({ size: 1, args: ['c'] });
  });
});

describe('server-side apply by kubectl', () => {
  const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
  /** What `kubectl apply` (client-side) leaves behind: the annotation and its Update entry. */
  function clientSideApplied(replicas: number): KubeObject {
    const config = deployment({ replicas });
    const live = deployment(
      { replicas },
      { annotations: { [LAST_APPLIED]: JSON.stringify(config) } },
    );
    meta(live).managedFields = engine.recordUpdate({
      old: undefined,
      updated: live,
      manager: 'kubectl-client-side-apply',
      type: DEPLOYMENT,
      now: T0,
    });
    return live;
  }

  it('takes over fields its last client-side apply set (the upgrade path)', () => {
    const out = applyAs({
      live: clientSideApplied(1),
      applied: deployment({ replicas: 3 }),
      manager: 'kubectl',
      now: T1,
    });
    expect(out.spec).toEqual({ replicas: 3 });
    expect(entry(out, 'kubectl').fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });

  it('still conflicts when the live value no longer matches last-applied, or for other managers', () => {
    const live = clientSideApplied(1);
    const scaled = { ...live, spec: { replicas: 5 } };
    meta(scaled).managedFields = engine.recordUpdate({
      old: live,
      updated: scaled,
      manager: 'hpa',
      type: DEPLOYMENT,
      now: T1,
    });
    const err = conflict(() =>
      applyAs({
        live: scaled,
        applied: deployment({ replicas: 3 }),
        manager: 'kubectl',
        now: T1,
      }),
    );
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "hpa" using apps/v1: .spec.replicas',
    );
    expect(
      conflict(() =>
        applyAs({
          live,
          applied: deployment({ replicas: 3 }),
          manager: 'my-tool',
          now: T1,
        }),
      ).code,
    ).toBe(409);
  });

  it('keeps an existing last-applied-configuration annotation in step', () => {
    const LAST = 'kubectl.kubernetes.io/last-applied-configuration';
    const live = deployment({ replicas: 1 }, { annotations: { [LAST]: '{"old":true}' } });
    meta(live).managedFields = engine.recordUpdate({
      old: undefined,
      updated: live,
      manager: 'kubectl-client-side-apply',
      type: DEPLOYMENT,
      now: T0,
    });
    const out = applyAs({
      live,
      applied: deployment({ replicas: 1 }),
      manager: 'kubectl',
      now: T1,
    });
    const annotation = meta(out).annotations?.[LAST];
    expect(JSON.parse(annotation ?? 'null')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 1 },
    });
  });
});
