import { describe, expect, it } from 'vitest';
import type { JSONSchemaProps } from '../core/contracts.ts';
import type { KubeObject } from '../core/types.ts';
import { compileSchema } from './compile.ts';

const obj = (spec: unknown, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'x.io/v1',
  kind: 'X',
  metadata: { name: 'a', labels: { keep: 'me' } },
  spec,
  ...extra,
});

describe('pruning', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          size: { type: 'integer' },
          members: {
            type: 'array',
            items: { type: 'object', properties: { name: { type: 'string' } } },
          },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          partly: {
            type: 'object',
            'x-kubernetes-preserve-unknown-fields': true,
            properties: { inner: { type: 'object', properties: { a: { type: 'string' } } } },
          },
          template: {
            type: 'object',
            'x-kubernetes-embedded-resource': true,
            properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } },
          },
          any: { type: 'object', additionalProperties: true },
        },
      },
      status: { type: 'object', properties: { ready: { type: 'boolean' } } },
    },
  };
  const compiled = compileSchema(schema);

  it('drops unknown fields at every depth and reports their paths', () => {
    const o = obj(
      { size: 1, foo: 1, members: [{ name: 'a', bar: 2 }], labels: { a: 'b' } },
      { extra: true },
    );
    const { object, unknownFields } = compiled.prune(o);
    expect(unknownFields.sort()).toEqual(['extra', 'spec.foo', 'spec.members[0].bar']);
    expect(object).toEqual(obj({ size: 1, members: [{ name: 'a' }], labels: { a: 'b' } }));
  });

  it('keeps apiVersion, kind and all of metadata at the root', () => {
    const o = obj({});
    (o.metadata as Record<string, unknown>)['whatever'] = 1;
    expect(compiled.prune(o).unknownFields).toEqual([]);
    expect(o.metadata).toEqual({ name: 'a', labels: { keep: 'me' }, whatever: 1 });
  });

  it('keeps everything under x-kubernetes-preserve-unknown-fields but prunes declared children', () => {
    const o = obj({
      free: { a: { b: [1, { c: 2 }] } },
      partly: { other: 1, inner: { a: 'x', b: 'gone' } },
      any: { x: { y: 1 } },
    });
    const { unknownFields } = compiled.prune(o);
    expect(unknownFields).toEqual(['spec.partly.inner.b']);
    expect(o['spec']).toEqual({
      free: { a: { b: [1, { c: 2 }] } },
      partly: { other: 1, inner: { a: 'x' } },
      any: { x: { y: 1 } },
    });
  });

  it('keeps apiVersion/kind/metadata of embedded resources, metadata pruned to ObjectMeta', () => {
    const o = obj({
      template: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', labels: { a: 'b' }, nonsense: true },
        spec: { x: 'y', z: 1 },
        bogus: 1,
      },
    });
    const { unknownFields } = compiled.prune(o);
    expect(unknownFields.sort()).toEqual([
      'spec.template.bogus',
      'spec.template.metadata.nonsense',
      'spec.template.spec.z',
    ]);
    expect((o['spec'] as Record<string, unknown>)['template']).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: 'b' } },
      spec: { x: 'y' },
    });
  });

  it('drops every field of an object schema without properties', () => {
    const c = compileSchema({ type: 'object', properties: { spec: { type: 'object' } } });
    const o = obj({ a: 1 });
    expect(c.prune(o).unknownFields).toEqual(['spec.a']);
    expect(o['spec']).toEqual({});
  });
});

describe('defaulting', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        default: {},
        properties: {
          size: { type: 'integer', default: 3 },
          mode: { type: 'string', default: 'fast' },
          nullable: { type: 'string', nullable: true, default: 'd' },
          plain: { type: 'string' },
          storage: {
            type: 'object',
            default: { class: 'standard' },
            properties: { class: { type: 'string' }, size: { type: 'string', default: '1Gi' } },
          },
          members: {
            type: 'array',
            items: {
              type: 'object',
              properties: { name: { type: 'string' }, weight: { type: 'integer', default: 1 } },
            },
          },
          pools: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              properties: { replicas: { type: 'integer', default: 2 } },
            },
          },
          absent: { type: 'object', properties: { x: { type: 'integer', default: 5 } } },
        },
      },
    },
  };
  const compiled = compileSchema(schema);

  it('applies defaults at every depth, including defaults of defaulted objects', () => {
    const o = compiled.applyDefaults(obj(undefined));
    expect(o['spec']).toEqual({
      size: 3,
      mode: 'fast',
      nullable: 'd',
      storage: { class: 'standard', size: '1Gi' },
    });
  });

  it('applies defaults inside array items and additionalProperties values', () => {
    const o = compiled.applyDefaults(
      obj({
        members: [{ name: 'a' }, { name: 'b', weight: 5 }],
        pools: { x: {}, y: { replicas: 7 } },
      }),
    );
    const spec = o['spec'] as Record<string, unknown>;
    expect(spec['members']).toEqual([
      { name: 'a', weight: 1 },
      { name: 'b', weight: 5 },
    ]);
    expect(spec['pools']).toEqual({ x: { replicas: 2 }, y: { replicas: 7 } });
    expect(spec['absent']).toBeUndefined();
  });

  it('keeps explicit values and nulls of nullable fields; replaces or drops other nulls', () => {
    const o = compiled.applyDefaults(obj({ size: 5, mode: null, nullable: null, plain: null }));
    const spec = o['spec'] as Record<string, unknown>;
    expect(spec['size']).toBe(5);
    expect(spec['mode']).toBe('fast');
    expect(spec['nullable']).toBeNull();
    expect('plain' in spec).toBe(false);
  });

  it('copies defaults so objects never share them', () => {
    const a = compiled.applyDefaults(obj(undefined));
    const b = compiled.applyDefaults(obj(undefined));
    ((a['spec'] as Record<string, Record<string, unknown>>)['storage'] ?? {})['class'] = 'changed';
    expect((b['spec'] as Record<string, Record<string, unknown>>)['storage']?.['class']).toBe(
      'standard',
    );
  });

  it('prune then default: pruned fields do not come back, defaults fill what is missing', () => {
    const o = obj({ size: 1, junk: true });
    const { object, unknownFields } = compiled.prune(o);
    compiled.applyDefaults(object);
    expect(unknownFields).toEqual(['spec.junk']);
    expect(object['spec']).toEqual({
      size: 1,
      mode: 'fast',
      nullable: 'd',
      storage: { class: 'standard', size: '1Gi' },
    });
  });
});
