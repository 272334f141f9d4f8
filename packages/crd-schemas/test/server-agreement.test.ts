import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startSandbox,
  type KubeObject,
  type Sandbox,
  type StatusError,
} from '@opsmith/kube-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineCustomResource, k } from '../src/index.ts';

// The local validator must store what the API server stores: same pruning, same defaults.
const Port = k.object({
  name: k.string(),
  port: k.integer({ default: 80 }),
  protocol: k.enumOf(['TCP', 'UDP'] as const, { default: 'TCP' }),
});
const gadget = defineCustomResource({
  group: 'agree.opsmith.io',
  kind: 'Gadget',
  plural: 'gadgets',
  versions: [
    {
      name: 'v1',
      spec: k.object({
        size: k.integer({ default: 2 }),
        mode: k.enumOf(['a', 'b'] as const, { default: 'a' }),
        nested: k.object(
          { flag: k.optional(k.boolean({ default: true })), note: k.optional(k.string()) },
          { default: {} },
        ),
        ports: k.optional(k.array(Port, { listType: 'map', listMapKeys: ['name'] })),
        labels: k.optional(k.map(k.string())),
        free: k.optional(k.freeform()),
        count: k.optional(k.intOrString()),
      }),
      status: k.object({ phase: k.optional(k.string()) }),
    },
  ],
});
const GVR = { group: 'agree.opsmith.io', version: 'v1', resource: 'gadgets' };

let sb: Sandbox;
let dataDir: string;

describe('crd-schemas agrees with the API server', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'crd-agree-'));
    sb = await startSandbox({ dataDir, port: 0, node: false });
    await sb.client.create(
      { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' },
      gadget.crd(),
    );
    for (let i = 0; ; i++) {
      try {
        await sb.client.list(GVR, { namespace: 'default' });
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  afterAll(async () => {
    await sb?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const inputs: Record<string, unknown>[] = [
    {},
    { size: 5, unknownField: 1, nested: { note: 'x', junk: true } },
    {
      ports: [
        { name: 'http', extra: 1 },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
      labels: { a: 'b' },
    },
    { free: { anything: { goes: [1, 2] } }, count: '50%', mode: 'b' },
    { nested: null, size: null },
  ];

  it.each(inputs.map((spec, i) => [i, spec] as const))(
    'input %i is pruned and defaulted identically',
    async (i, spec) => {
      const obj = {
        apiVersion: 'agree.opsmith.io/v1',
        kind: 'Gadget',
        metadata: { name: `g${i}`, namespace: 'default' },
        spec,
      };
      const local = gadget.validate<{ spec: unknown }>(obj);
      expect(local.errors).toEqual([]);
      const stored = await sb.client.create(GVR, obj);
      expect((stored as { spec?: unknown }).spec).toEqual(local.value.spec);
    },
  );

  it('rejects what the server rejects, naming the same fields', async () => {
    const obj = {
      apiVersion: 'agree.opsmith.io/v1',
      kind: 'Gadget',
      metadata: { name: 'bad', namespace: 'default' },
      spec: { size: 'big', mode: 'c', ports: [{ name: 'x' }, { name: 'x' }] },
    };
    const local = gadget.validate(obj);
    const server = await sb.client.create(GVR, obj as KubeObject).catch((e: unknown) => e);
    const causes = ((server as StatusError).details?.causes ?? []).map((c) => c.field);
    expect(causes.length).toBeGreaterThan(0);
    expect(local.errors.map((e) => e.field).sort()).toEqual([...new Set(causes)].sort());
  });
});
