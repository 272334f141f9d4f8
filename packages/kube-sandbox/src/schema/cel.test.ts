import { describe, expect, it } from 'vitest';
import type { JSONSchemaProps } from '../core/contracts.ts';
import type { KubeObject } from '../core/types.ts';
import { fieldPathSuffix } from './cel.ts';
import { compileSchema } from './compile.ts';

const obj = (spec: unknown): KubeObject => ({
  apiVersion: 'x.io/v1',
  kind: 'X',
  metadata: { name: 'a' },
  spec,
});

function specSchema(spec: JSONSchemaProps): JSONSchemaProps {
  return { type: 'object', properties: { spec } };
}

function messages(schema: JSONSchemaProps, spec: unknown, oldSpec?: unknown): string[] {
  return compileSchema(schema)
    .validate(obj(spec), oldSpec === undefined ? undefined : obj(oldSpec))
    .map((c) => `${c.reason} ${c.field}: ${c.message}`);
}

describe('CEL rules with self', () => {
  const schema = specSchema({
    type: 'object',
    properties: {
      replicas: { type: 'integer' },
      minReplicas: { type: 'integer' },
      name: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
    },
    'x-kubernetes-validations': [
      {
        rule: 'self.minReplicas <= self.replicas',
        message: 'minReplicas must not exceed replicas',
      },
      { rule: "!has(self.name) || self.name.startsWith('db-')" },
      {
        rule: 'self.tags.all(t, t.matches("^[a-z]+$"))',
        messageExpression: '"tags must be lowercase, got " + string(size(self.tags)) + " tags"',
      },
    ],
  });

  it('passes valid objects', () => {
    expect(messages(schema, { replicas: 3, minReplicas: 1, name: 'db-a', tags: ['a'] })).toEqual(
      [],
    );
  });

  it('reports failed rules as Invalid value "object" with message, default message, messageExpression', () => {
    expect(messages(schema, { replicas: 1, minReplicas: 2, name: 'x', tags: ['A', 'b'] })).toEqual([
      'FieldValueInvalid spec: Invalid value: "object": minReplicas must not exceed replicas',
      'FieldValueInvalid spec: Invalid value: "object": failed rule: !has(self.name) || self.name.startsWith(\'db-\')',
      'FieldValueInvalid spec: Invalid value: "object": tags must be lowercase, got 2 tags',
    ]);
  });

  it('evaluates integers as CEL int and numbers as double', () => {
    const s = specSchema({
      type: 'object',
      properties: { n: { type: 'integer' }, d: { type: 'number' } },
      'x-kubernetes-validations': [
        { rule: 'self.n + 1 == 4 && self.d > 1.0 && type(self.n) == int' },
      ],
    });
    expect(messages(s, { n: 3, d: 2 })).toEqual([]);
  });

  it('runs rules at nested nodes, list items and map values with their paths', () => {
    const s = specSchema({
      type: 'object',
      properties: {
        members: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: {
                type: 'string',
                'x-kubernetes-validations': [{ rule: 'self.size() <= 3', message: 'short names' }],
              },
            },
          },
        },
        pools: {
          type: 'object',
          additionalProperties: {
            type: 'integer',
            'x-kubernetes-validations': [{ rule: 'self > 0', message: 'positive' }],
          },
        },
      },
    });
    expect(
      messages(s, { members: [{ name: 'abc' }, { name: 'abcd' }], pools: { a: 1, b: 0 } }),
    ).toEqual([
      'FieldValueInvalid spec.members[1].name: Invalid value: "string": short names',
      'FieldValueInvalid spec.pools[b]: Invalid value: "integer": positive',
    ]);
  });

  it('honours reason and fieldPath', () => {
    const s = specSchema({
      type: 'object',
      properties: {
        a: { type: 'string' },
        m: { type: 'object', properties: { x: { type: 'string' } } },
      },
      'x-kubernetes-validations': [
        {
          rule: 'has(self.a)',
          message: 'a is needed',
          reason: 'FieldValueRequired',
          fieldPath: '.a',
        },
        {
          rule: 'self.m.x != "no"',
          message: 'no is forbidden',
          reason: 'FieldValueForbidden',
          fieldPath: '.m.x',
        },
        { rule: 'false', reason: 'FieldValueDuplicate' },
      ],
    });
    expect(messages(s, { m: { x: 'no' } })).toEqual([
      'FieldValueRequired spec.a: Required value: a is needed',
      'FieldValueForbidden spec.m.x: Forbidden: no is forbidden',
      'FieldValueDuplicate spec: Duplicate value: "object"',
    ]);
  });

  it('reports runtime errors as rule evaluation errors', () => {
    const s = specSchema({
      type: 'object',
      properties: { a: { type: 'string' } },
      'x-kubernetes-validations': [{ rule: 'self.a == "x"' }],
    });
    const [m] = messages(s, {});
    expect(m).toMatch(
      /^FieldValueInvalid spec: Invalid value: "object": no such key: a evaluating rule: failed rule: self.a == "x"$/i,
    );
  });

  it('uses the k8s library functions', () => {
    const s = specSchema({
      type: 'object',
      properties: {
        l: { type: 'array', items: { type: 'integer' } },
        mem: { type: 'string' },
        ttl: { type: 'string', format: 'duration' },
        at: { type: 'string', format: 'date-time' },
      },
      'x-kubernetes-validations': [
        {
          rule: 'self.l.isSorted() && self.l.sum() == 6 && self.l.min() == 1 && self.l.max() == 3 && self.l.indexOf(2) == 1',
        },
        { rule: "quantity(self.mem).isGreaterThan(quantity('512Mi')) && isQuantity(self.mem)" },
        { rule: "self.ttl > duration('1m') && self.at < timestamp('2030-01-01T00:00:00Z')" },
        {
          rule: 'self.l.exists_one(x, x == 2) && self.l.map(x, x * 2).filter(x, x > 2).size() == 2',
        },
        {
          rule: "'abc'.replace('b', 'x') == 'axc' && 'a1b22'.findAll('[0-9]+') == ['1', '22'] && sets.contains([1, 2], [2])",
        },
      ],
    });
    expect(
      messages(s, { l: [1, 2, 3], mem: '1Gi', ttl: '1h', at: '2026-01-01T00:00:00Z' }),
    ).toEqual([]);
  });

  it('uses the k8s url, ip and cidr libraries', () => {
    const s = specSchema({
      type: 'object',
      properties: {
        endpoint: { type: 'string' },
        podCidr: { type: 'string' },
        nodeIp: { type: 'string' },
      },
      'x-kubernetes-validations': [
        {
          rule: "isURL(self.endpoint) && url(self.endpoint).getScheme() == 'https' && url(self.endpoint).getPort() == '8443'",
          message: 'https endpoint',
        },
        {
          rule: 'isCIDR(self.podCidr) && cidr(self.podCidr).containsIP(self.nodeIp) && ip(self.nodeIp).family() == 4',
          message: 'node in pod range',
        },
      ],
    });
    expect(
      messages(s, {
        endpoint: 'https://api.example.com:8443/x',
        podCidr: '10.0.0.0/16',
        nodeIp: '10.0.3.4',
      }),
    ).toEqual([]);
    expect(
      messages(s, {
        endpoint: 'http://api.example.com/x',
        podCidr: '10.0.0.0/16',
        nodeIp: '10.1.3.4',
      }),
    ).toEqual([
      'FieldValueInvalid spec: Invalid value: "object": https endpoint',
      'FieldValueInvalid spec: Invalid value: "object": node in pod range',
    ]);
  });

  it('does not run CEL when a type is wrong, and says so', () => {
    const s = specSchema({
      type: 'object',
      properties: { n: { type: 'integer' } },
      'x-kubernetes-validations': [{ rule: 'self.n > 0' }],
    });
    expect(messages(s, { n: 'x' })).toEqual([
      'FieldValueTypeInvalid spec.n: Invalid value: "string": spec.n in body must be of type integer: "string"',
      'FieldValueInvalid <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });

  it('still runs CEL next to other structural errors', () => {
    const s = specSchema({
      type: 'object',
      properties: { n: { type: 'integer', maximum: 5 } },
      'x-kubernetes-validations': [{ rule: 'self.n < 3', message: 'n below 3' }],
    });
    expect(messages(s, { n: 7 })).toEqual([
      'FieldValueInvalid spec.n: Invalid value: 7: spec.n in body should be less than or equal to 5',
      'FieldValueInvalid spec: Invalid value: "object": n below 3',
    ]);
  });
});

describe('CEL transition rules with oldSelf', () => {
  const schema = specSchema({
    type: 'object',
    properties: {
      storage: {
        type: 'string',
        'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'storage is immutable' }],
      },
      replicas: { type: 'integer' },
      members: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, size: { type: 'integer' } },
          'x-kubernetes-validations': [
            { rule: 'self.size >= oldSelf.size', message: 'members never shrink' },
          ],
        },
      },
    },
    'x-kubernetes-validations': [
      {
        rule: 'self.replicas >= oldSelf.replicas',
        messageExpression: "'cannot scale down from ' + string(oldSelf.replicas)",
      },
      {
        rule: 'oldSelf.hasValue() || self.replicas < 10',
        optionalOldSelf: true,
        message: 'new clusters start below 10',
      },
    ],
  });

  it('skips transition rules on create, except optionalOldSelf ones', () => {
    expect(messages(schema, { storage: 'a', replicas: 12 })).toEqual([
      'FieldValueInvalid spec: Invalid value: "object": new clusters start below 10',
    ]);
  });

  it('evaluates transition rules on update against the old value', () => {
    expect(messages(schema, { storage: 'b', replicas: 2 }, { storage: 'a', replicas: 3 })).toEqual([
      'FieldValueInvalid spec: Invalid value: "object": cannot scale down from 3',
      'FieldValueInvalid spec.storage: Invalid value: "string": storage is immutable',
    ]);
    expect(
      messages(schema, { storage: 'a', replicas: 12 }, { storage: 'a', replicas: 11 }),
    ).toEqual([]);
  });

  it('skips transition rules of fields absent from the old object', () => {
    expect(messages(schema, { storage: 'b', replicas: 3 }, { replicas: 3 })).toEqual([]);
  });

  it('correlates list-type map items by key', () => {
    const old = {
      replicas: 1,
      members: [
        { name: 'a', size: 5 },
        { name: 'b', size: 5 },
      ],
    };
    expect(
      messages(
        schema,
        {
          replicas: 1,
          members: [
            { name: 'b', size: 4 },
            { name: 'a', size: 6 },
            { name: 'c', size: 1 },
          ],
        },
        old,
      ),
    ).toEqual(['FieldValueInvalid spec.members[0]: Invalid value: "object": members never shrink']);
  });
});

describe('fieldPath', () => {
  it('turns JSON paths into field paths', () => {
    expect(fieldPathSuffix('.spec.x')).toBe('.spec.x');
    expect(fieldPathSuffix(".m['a.b']")).toBe('.m.a.b');
    expect(fieldPathSuffix('.l[1]')).toBeUndefined();
    expect(fieldPathSuffix('spec')).toBeUndefined();
  });
});

describe('rule compilation', () => {
  it('collects rules that do not compile', () => {
    const c = compileSchema(
      specSchema({
        type: 'object',
        'x-kubernetes-validations': [
          { rule: 'self.a +' },
          { rule: 'nosuchfn(self)' },
          { rule: 'true', messageExpression: '"x" +' },
        ],
      }),
    );
    expect(c.celErrors.map((e) => `${e.schemaPath} ${e.field}`)).toEqual([
      'properties[spec].x-kubernetes-validations[0] rule',
      'properties[spec].x-kubernetes-validations[1] rule',
      'properties[spec].x-kubernetes-validations[2] messageExpression',
    ]);
  });
});

describe('field references', () => {
  const schema = (rule: string): JSONSchemaProps => ({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          size: { type: 'integer' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: {} },
        },
        'x-kubernetes-validations': [{ rule }],
      },
    },
  });
  const errorsOf = (rule: string) => compileSchema(schema(rule)).celErrors.map((e) => e.message);

  it('rejects rules selecting fields the schema does not declare', () => {
    expect(errorsOf('self.sise > 1')).toEqual(["undefined field 'sise'"]);
    expect(errorsOf('has(self.size) && oldSelf.nope == 1')).toEqual(["undefined field 'nope'"]);
  });

  it('accepts declared fields, map keys, preserved data, methods and string contents', () => {
    expect(
      errorsOf(
        "self.size > 1 && self.labels.app == 'x' && self.raw.anything.goes && self.template.metadata.name != '' && self.labels.size() > 0 && 'self.nope' != ''",
      ),
    ).toEqual([]);
  });
});

describe('root rules', () => {
  it('see only name and generateName of metadata', () => {
    const c = compileSchema({
      type: 'object',
      'x-kubernetes-validations': [
        {
          rule: "self.metadata.name.startsWith('a') && !has(self.metadata.labels)",
          message: 'metadata view',
        },
      ],
    });
    const o: KubeObject = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'abc', labels: { a: 'b' } },
    };
    expect(c.validate(o)).toEqual([]);
    expect(o.metadata?.labels).toEqual({ a: 'b' });
  });
});

describe('validation ratcheting on update', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        required: ['owner'],
        properties: {
          owner: { type: 'string' },
          size: { type: 'integer', maximum: 5 },
          name: { type: 'string', pattern: '^[a-z]+$' },
          tags: {
            type: 'array',
            'x-kubernetes-list-type': 'set',
            items: { type: 'string', maxLength: 3 },
          },
          members: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
            items: {
              type: 'object',
              properties: { name: { type: 'string' }, weight: { type: 'integer', minimum: 1 } },
            },
          },
          limits: {
            type: 'object',
            properties: { cpu: { type: 'integer' } },
            'x-kubernetes-validations': [{ rule: 'self.cpu < 4', message: 'cpu below 4' }],
          },
        },
      },
    },
  };

  it('ignores errors of values the update left unchanged', () => {
    const old = {
      size: 9,
      name: 'Bad',
      tags: ['long-tag'],
      members: [{ name: 'a', weight: 0 }],
      limits: { cpu: 8 },
    };
    const updated = {
      ...old,
      members: [
        { name: 'b', weight: 2 },
        { name: 'a', weight: 0 },
      ],
      owner: 'me',
    };
    expect(messages(schema, updated, old)).toEqual([]);
  });

  it('still reports errors of changed values, and everything on create', () => {
    const old = { owner: 'me', size: 9, tags: ['long-tag'] };
    expect(messages(schema, { owner: 'me', size: 10, tags: ['long-tag', 'other'] }, old)).toEqual([
      'FieldValueInvalid spec.size: Invalid value: 10: spec.size in body should be less than or equal to 5',
      'FieldValueTooLong spec.tags[1]: Too long: may not be more than 3 bytes',
    ]);
    expect(messages(schema, { owner: 'me', size: 9 })).toEqual([
      'FieldValueInvalid spec.size: Invalid value: 9: spec.size in body should be less than or equal to 5',
    ]);
  });
});
