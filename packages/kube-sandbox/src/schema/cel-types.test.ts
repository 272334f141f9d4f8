import { describe, expect, it } from 'vitest';
import type { JSONSchemaProps } from '../core/contracts.ts';
import type { KubeObject } from '../core/types.ts';
import { celFieldName } from './cel-types.ts';
import { compileSchema } from './compile.ts';

const spec: JSONSchemaProps = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    size: { type: 'integer' },
    ratio: { type: 'number' },
    enabled: { type: 'boolean' },
    started: { type: 'string', format: 'date-time' },
    timeout: { type: 'string', format: 'duration' },
    port: { 'x-kubernetes-int-or-string': true },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    tags: { type: 'array', items: { type: 'string' } },
    conditions: {
      type: 'array',
      items: {
        type: 'object',
        properties: { type: { type: 'string' }, status: { type: 'string' } },
      },
    },
    storage: {
      type: 'object',
      properties: { size: { type: 'string' }, class: { type: 'string' } },
    },
    'max-surge': { type: 'integer' },
    namespace: { type: 'string' },
  },
};

function compileErrors(rule: Record<string, unknown>): string[] {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: { spec: { ...spec, 'x-kubernetes-validations': [rule] } },
  };
  return compileSchema(schema).celErrors.map((e) => `${e.field}: ${e.message}`);
}

describe('rules are type-checked against the schema', () => {
  it('accepts rules typical of operator CRDs', () => {
    for (const rule of [
      'self.size >= 0 && self.size <= 10 && self.ratio > 0.5 && self.enabled',
      "!has(self.name) || self.name.matches('^[a-z]+$')",
      'self == oldSelf',
      '!has(oldSelf.storage) || self.storage == oldSelf.storage',
      "self.labels.all(k, k.startsWith('app') && self.labels[k] != '')",
      "self.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
      'self.tags.all(t, t.size() < 10) && self.tags.isSorted()',
      "self.started < timestamp('2100-01-01T00:00:00Z') && self.timeout > duration('1s')",
      "type(self.port) == int ? self.port > 0 : self.port.endsWith('%')",
      'self.max__dash__surge >= 0 && self.__namespace__ != ""',
    ]) {
      expect(compileErrors({ rule }), rule).toEqual([]);
    }
  });

  it('rejects type errors, like the server does when the CRD is written', () => {
    expect(compileErrors({ rule: 'self.name > 1' })).toEqual([
      'rule: no such overload: string > int',
    ]);
    expect(compileErrors({ rule: "self.size.startsWith('a')" })[0]).toMatch(
      /^rule: found no matching overload/,
    );
    expect(compileErrors({ rule: 'self.tags.exists(t, t == 1)' })).toEqual([
      'rule: no such overload: string == int',
    ]);
  });

  it('requires rules to be bool and message expressions to be strings', () => {
    expect(compileErrors({ rule: 'self.size' })).toEqual([
      'rule: cel expression must evaluate to a bool',
    ]);
    expect(compileErrors({ rule: 'true', messageExpression: 'self.size' })).toEqual([
      'messageExpression: messageExpression must evaluate to a string',
    ]);
  });
});

describe('escaped property names', () => {
  it('follow the k8s rules', () => {
    expect(celFieldName('size')).toBe('size');
    expect(celFieldName('namespace')).toBe('__namespace__');
    expect(celFieldName('max-surge')).toBe('max__dash__surge');
    expect(celFieldName('a.b/c')).toBe('a__dot__b__slash__c');
    expect(celFieldName('a__b')).toBe('a__underscores__b');
    expect(celFieldName('1abc')).toBeUndefined();
  });

  it('are visible to rules at run time', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        spec: {
          ...spec,
          'x-kubernetes-validations': [
            { rule: 'self.max__dash__surge < 3', message: 'surge below 3' },
          ],
        },
      },
    };
    const obj = (surge: number): KubeObject => ({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: { 'max-surge': surge },
    });
    const c = compileSchema(schema);
    expect(c.celErrors).toEqual([]);
    expect(c.validate(obj(1))).toEqual([]);
    expect(c.validate(obj(5)).map((e) => e.message)).toEqual([
      'Invalid value: "object": surge below 3',
    ]);
  });
});
