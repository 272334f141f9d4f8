import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderApiReference } from './docs.ts';
import * as k from './dsl.ts';
import { bundlesExportedBy, renderBundles, syncGeneratedFiles } from './generate.ts';
import { defineCustomResource, type CustomObject } from './resource.ts';
import { toStructural } from './structural.ts';

// A sample resource with two versions: v1alpha1 had a flat `size`, v1 (hub, storage) has `replicas`.
const Storage = k.object(
  {
    size: k.quantity({ description: 'Volume size.', default: '1Gi' }),
    className: k.optional(k.string({ description: 'StorageClass name.' })),
  },
  { title: 'StorageSpec', description: 'Persistent storage.' },
);
const SpecV1 = k.object(
  {
    replicas: k.integer({ minimum: 1, maximum: 9, default: 3, description: 'Members.' }),
    version: k.string({ pattern: '^\\d+\\.\\d+\\.\\d+$', description: 'Version to run.' }),
    mode: k.enumOf(['fast', 'safe'] as const, { default: 'safe' }),
    storage: k.optional(Storage),
    backupStorage: k.optional(Storage),
    labels: k.optional(k.map(k.string())),
    ports: k.optional(
      k.array(k.object({ name: k.string(), port: k.integer() }), {
        listType: 'map',
        listMapKeys: ['name'],
      }),
    ),
    extra: k.optional(k.freeform()),
  },
  { validations: [{ rule: 'self.replicas % 2 == 1', message: 'replicas must be odd' }] },
);
const Status = k.object({
  readyReplicas: k.optional(k.integer()),
  conditions: k.optional(k.conditions()),
});
const SpecV1alpha1 = k.object({ size: k.integer({ default: 1 }), version: k.string() });

type SpecV1T = k.Static<typeof SpecV1>;
type Sample = CustomObject<SpecV1T, k.Static<typeof Status>>;

const sample = defineCustomResource({
  group: 'test.opsmith.io',
  kind: 'Sample',
  plural: 'samples',
  shortNames: ['smp'],
  categories: ['opsmith'],
  description: 'A sample resource.',
  storageVersion: 'v1',
  versions: [
    {
      name: 'v1',
      spec: SpecV1,
      status: Status,
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.readyReplicas' },
      printerColumns: [
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        {
          name: 'Ready',
          type: 'string',
          jsonPath: ".status.conditions[?(@.type=='Ready')].status",
        },
      ],
    },
    { name: 'v1alpha1', spec: SpecV1alpha1, deprecated: true },
  ],
  conversions: {
    v1alpha1: {
      toHub: (o) => {
        const { size, ...rest } = o.spec as { size: number; version: string };
        const { 'test.opsmith.io/v1-spec': saved, ...annotations } = o.metadata.annotations ?? {};
        const metadata: CustomObject['metadata'] = { ...o.metadata, annotations };
        if (!Object.keys(annotations).length) delete metadata.annotations;
        return {
          ...o,
          metadata,
          spec: { ...(saved ? JSON.parse(saved) : {}), ...rest, replicas: size },
        };
      },
      fromHub: (o) => {
        const { replicas, version } = o.spec as SpecV1T;
        // fields without a place in the spoke survive in an annotation, so round trips are lossless
        const { replicas: _r, version: _v, ...lost } = o.spec as SpecV1T;
        return {
          ...o,
          metadata: {
            ...o.metadata,
            annotations: {
              ...o.metadata.annotations,
              'test.opsmith.io/v1-spec': JSON.stringify(lost),
            },
          },
          spec: { size: replicas, version },
        };
      },
    },
  },
});

describe('CRD generation', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking generated JSON
  const crd = sample.crd() as any;
  it('emits a structural v1 CRD with names, versions, subresources and columns', () => {
    expect(crd.metadata.name).toBe('samples.test.opsmith.io');
    expect(crd.spec.names).toEqual({
      kind: 'Sample',
      listKind: 'SampleList',
      plural: 'samples',
      singular: 'sample',
      shortNames: ['smp'],
      categories: ['opsmith'],
    });
    const [v1, v1a1] = crd.spec.versions;
    expect(v1.storage).toBe(true);
    expect(v1a1.storage).toBe(false);
    expect(v1a1.deprecated).toBe(true);
    expect(v1.subresources).toEqual({
      status: {},
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.readyReplicas' },
    });
    expect(v1a1.subresources).toBeUndefined();
    expect(v1.additionalPrinterColumns[1].jsonPath).toBe(
      ".status.conditions[?(@.type=='Ready')].status",
    );
    const spec = v1.schema.openAPIV3Schema.properties.spec;
    expect(spec.properties.mode).toEqual({
      type: 'string',
      enum: ['fast', 'safe'],
      default: 'safe',
    });
    expect(spec.properties.labels).toEqual({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    expect(spec.properties.storage.properties.size['x-kubernetes-int-or-string']).toBe(true);
    expect(spec['x-kubernetes-validations']).toEqual([
      { rule: 'self.replicas % 2 == 1', message: 'replicas must be odd' },
    ]);
    expect(spec.required).toEqual(['version']); // defaulted fields are optional for clients
    expect(spec.properties.ports['x-kubernetes-list-map-keys']).toEqual(['name']);
    const conds = v1.schema.openAPIV3Schema.properties.status.properties.conditions;
    expect(conds['x-kubernetes-list-type']).toBe('map');
    expect(conds.items.required).toEqual([
      'type',
      'status',
      'reason',
      'message',
      'lastTransitionTime',
    ]);
  });

  it('round-trips through YAML without anchors even though sub-schemas are shared', () => {
    const text = sample.crdYaml();
    expect(text).not.toMatch(/[&*]a\d/);
    expect(parse(text)).toEqual(JSON.parse(JSON.stringify(crd)));
  });

  it('rejects non-structural constructs with the field path', () => {
    expect(() =>
      toStructural({
        type: 'object',
        properties: { x: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
      }),
    ).toThrow(/\.x: anyOf/);
  });

  it('a deeply reused sub-schema is converted once (no exponential blow-up)', () => {
    let s = k.object({ leaf: k.string() });
    for (let i = 0; i < 40; i++) s = k.object({ a: k.optional(s), b: k.optional(s) }) as never;
    const memo = new WeakMap();
    const started = Date.now();
    const out = toStructural(s, memo);
    const [a, b] = [out.properties!.a, out.properties!.b];
    expect(a.properties!.a === b.properties!.a).toBe(true); // shared, not copied
    expect(Date.now() - started).toBeLessThan(5000); // 2^40 nodes if it were copied
  });
});

describe('validation with defaulting and pruning', () => {
  it('applies defaults (nested too) and prunes unknown fields like the API server', () => {
    const r = sample.validate<Sample>({
      apiVersion: 'test.opsmith.io/v1',
      kind: 'Sample',
      metadata: { name: 'a', whatever: 1 },
      spec: {
        version: '3.5.0',
        unknown: true,
        storage: {},
        extra: { keep: { me: 1 } },
        ports: [{ name: 'c', port: 1, x: 2 }],
      },
      junk: 1,
    });
    expect(r.errors).toEqual([]);
    expect(r.value).toEqual({
      apiVersion: 'test.opsmith.io/v1',
      kind: 'Sample',
      metadata: { name: 'a', whatever: 1 },
      spec: {
        version: '3.5.0',
        replicas: 3,
        mode: 'safe',
        storage: { size: '1Gi' },
        extra: { keep: { me: 1 } },
        ports: [{ name: 'c', port: 1 }],
      },
    });
  });

  it('reports every invalid field with its path', () => {
    const r = sample.validate({
      apiVersion: 'test.opsmith.io/v1',
      kind: 'Sample',
      metadata: { name: 'a' },
      spec: {
        replicas: 10,
        version: 'latest',
        mode: 'wild',
        labels: { a: 1 },
        ports: [
          { name: 'a', port: 1 },
          { name: 'a', port: 2 },
        ],
      },
    });
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.field).sort()).toEqual(
      ['spec.labels.a', 'spec.mode', 'spec.ports[1]', 'spec.replicas', 'spec.version'].sort(),
    );
    expect(() =>
      sample.parse({ apiVersion: 'test.opsmith.io/v1', kind: 'Sample', metadata: {} }),
    ).toThrow(/spec: Required value/);
  });

  it('drops null in a defaulted field, then defaults it', () => {
    const r = sample.validate({
      apiVersion: 'test.opsmith.io/v1',
      kind: 'Sample',
      metadata: {},
      spec: { version: '1.0.0', replicas: null },
    });
    expect(r.errors).toEqual([]);
    expect((r.value as Sample).spec.replicas).toBe(3);
  });
});

describe('conversion (hub and spokes)', () => {
  const v1: Sample = {
    apiVersion: 'test.opsmith.io/v1',
    kind: 'Sample',
    metadata: { name: 'a' },
    spec: { replicas: 5, version: '3.5.0', mode: 'fast' },
  };
  it('converts spoke -> hub -> spoke and round-trips', () => {
    const old = sample.convert(v1, 'v1alpha1');
    expect(old.apiVersion).toBe('test.opsmith.io/v1alpha1');
    expect(old.spec).toEqual({ size: 5, version: '3.5.0' });
    expect(sample.validate(old).errors).toEqual([]);
    const back = sample.convert<Sample>(old, 'v1');
    expect(back).toEqual(v1);
    expect(back.apiVersion).toBe('test.opsmith.io/v1');
    const again = sample.convert(back, 'v1alpha1');
    expect(again).toEqual(old);
  });
  it('refuses defaults the API server would refuse (nested defaults are not applied to them)', () => {
    const spec = k.object({
      nested: k.object({ name: k.string(), flag: k.boolean({ default: true }) }, { default: {} }),
    });
    expect(() =>
      defineCustomResource({
        group: 'x.io',
        kind: 'X',
        plural: 'xs',
        versions: [{ name: 'v1', spec }],
      }),
    ).toThrow(/default of spec.nested is invalid: name: Required value/);
  });

  it('refuses a multi-version definition without conversions', () => {
    expect(() =>
      defineCustomResource({
        group: 'x.io',
        kind: 'X',
        plural: 'xs',
        versions: [
          { name: 'v1', spec: SpecV1 },
          { name: 'v2', spec: SpecV1 },
        ],
      }),
    ).toThrow(/needs a conversion/);
  });
});

describe('API reference and generator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crd-gen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders every field with types, defaults, rules and shared sections once', () => {
    const md = renderApiReference(sample);
    expect(md).toContain('# Sample');
    expect(md).toMatch(/\| `replicas` +\| integer +\| +\| `3` +\| Members\. +\|/);
    expect(md).toContain('| `mode` | enum: `fast`, `safe` |  | `"safe"` |');
    expect(md).toContain('| `version` | string | yes |  | Version to run. |');
    expect(md).toContain('[StorageSpec](#storagespec)');
    expect(md.match(/### StorageSpec/g)).toHaveLength(1); // used twice, documented once
    expect(md).toContain('Rule: `self.replicas % 2 == 1`');
  });

  it('writes charts/<app>/crds and docs/api, and check reports stale files without writing', () => {
    const files = renderBundles([{ app: 'demo', resources: [sample] }]);
    expect(files.map((f) => f.path)).toEqual([
      'charts/demo/crds/samples.test.opsmith.io.yaml',
      'docs/api/samples.test.opsmith.io.md',
    ]);
    expect(syncGeneratedFiles(dir, files, true)).toHaveLength(2);
    expect(syncGeneratedFiles(dir, files, false)).toHaveLength(2);
    expect(syncGeneratedFiles(dir, files, true)).toEqual([]);
    expect(readFileSync(join(dir, files[0].path), 'utf8')).toBe(sample.crdYaml());
  });

  it('finds the bundles among the exports of a module and ignores everything else', () => {
    const bundle = { app: 'demo', resources: [sample] };
    expect(
      bundlesExportedBy({
        bundle,
        sample,
        name: 'demo',
        notResources: { app: 'x', resources: [{ name: 'y' }] },
        nothing: null,
      }),
    ).toEqual([bundle]);
  });
});
