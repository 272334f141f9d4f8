import { describe, expect, it } from 'vitest';
import type { JSONSchemaProps } from '../core/contracts.ts';
import type { KubeObject } from '../core/types.ts';
import { compileSchema } from './compile.ts';

function root(spec: JSONSchemaProps, extra: JSONSchemaProps = {}): JSONSchemaProps {
  return { type: 'object', properties: { spec, ...extra } };
}

function errorsOf(schema: JSONSchemaProps, spec: unknown): string[] {
  const obj: KubeObject = { apiVersion: 'x.io/v1', kind: 'X', metadata: { name: 'a' }, spec };
  return compileSchema(schema)
    .validate(obj)
    .map((c) => `${c.field}: ${c.message}`);
}

const specWith = (props: Record<string, JSONSchemaProps>, extra: JSONSchemaProps = {}) =>
  root({ type: 'object', properties: props, ...extra });

describe('structural validation: types', () => {
  it('rejects a string where an integer is declared, naming the actual type', () => {
    const s = specWith({ size: { type: 'integer' } });
    expect(errorsOf(s, { size: 'x' })).toEqual([
      'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
    ]);
  });

  it('distinguishes integer from number', () => {
    const s = specWith({ size: { type: 'integer' }, ratio: { type: 'number' } });
    expect(errorsOf(s, { size: 1.5, ratio: 2 })).toEqual([
      'spec.size: Invalid value: "number": spec.size in body must be of type integer: "number"',
    ]);
  });

  it('checks boolean, array and object types', () => {
    const s = specWith({ on: { type: 'boolean' }, l: { type: 'array' }, o: { type: 'object' } });
    expect(errorsOf(s, { on: 'yes', l: {}, o: [] })).toEqual([
      'spec.on: Invalid value: "string": spec.on in body must be of type boolean: "string"',
      'spec.l: Invalid value: "object": spec.l in body must be of type array: "object"',
      'spec.o: Invalid value: "array": spec.o in body must be of type object: "array"',
    ]);
  });

  it('accepts null only when nullable', () => {
    const s = specWith({ a: { type: 'string', nullable: true }, b: { type: 'string' } });
    expect(errorsOf(s, { a: null, b: null })).toEqual([
      'spec.b: Invalid value: "null": spec.b in body must be of type string: "null"',
    ]);
  });

  it('accepts integers and strings for x-kubernetes-int-or-string only', () => {
    const s = specWith({ port: { 'x-kubernetes-int-or-string': true } });
    expect(errorsOf(s, { port: 80 })).toEqual([]);
    expect(errorsOf(s, { port: 'http' })).toEqual([]);
    expect(errorsOf(s, { port: true })).toEqual([
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    ]);
  });
});

describe('structural validation: keywords', () => {
  it('enum gives Unsupported value with the supported values', () => {
    const s = specWith({ mode: { type: 'string', enum: ['a', 'b'] } });
    expect(errorsOf(s, { mode: 'x' })).toEqual([
      'spec.mode: Unsupported value: "x": supported values: "a", "b"',
    ]);
    expect(errorsOf(s, { mode: 'a' })).toEqual([]);
  });

  it('pattern', () => {
    const s = specWith({ version: { type: 'string', pattern: '^\\d+\\.\\d+$' } });
    expect(errorsOf(s, { version: 'x' })).toEqual([
      `spec.version: Invalid value: "x": spec.version in body should match '^\\d+\\.\\d+$'`,
    ]);
  });

  it('minimum, maximum and their exclusive forms', () => {
    const s = specWith({
      size: { type: 'integer', minimum: 1, maximum: 9 },
      ex: {
        type: 'integer',
        minimum: 1,
        maximum: 9,
        exclusiveMinimum: true,
        exclusiveMaximum: true,
      },
    });
    expect(errorsOf(s, { size: 10, ex: 1 })).toEqual([
      'spec.size: Invalid value: 10: spec.size in body should be less than or equal to 9',
      'spec.ex: Invalid value: 1: spec.ex in body should be greater than 1',
    ]);
    expect(errorsOf(s, { size: 0, ex: 9 })).toEqual([
      'spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1',
      'spec.ex: Invalid value: 9: spec.ex in body should be less than 9',
    ]);
  });

  it('multipleOf', () => {
    const s = specWith({ n: { type: 'number', multipleOf: 0.5 } });
    expect(errorsOf(s, { n: 1.5 })).toEqual([]);
    expect(errorsOf(s, { n: 1.2 })).toEqual([
      'spec.n: Invalid value: 1.2: spec.n in body should be a multiple of 0.5',
    ]);
  });

  it('minLength and maxLength (counted in characters)', () => {
    const s = specWith({ name: { type: 'string', minLength: 2, maxLength: 3 } });
    expect(errorsOf(s, { name: 'a' })).toEqual([
      'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long',
    ]);
    expect(errorsOf(s, { name: 'abcd' })).toEqual([
      'spec.name: Too long: may not be more than 3 bytes',
    ]);
    expect(errorsOf(s, { name: 'äöü' })).toEqual([]);
  });

  it('minItems, maxItems and uniqueItems', () => {
    const s = specWith({
      l: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 3, uniqueItems: true },
    });
    expect(errorsOf(s, { l: [1] })).toEqual([
      'spec.l: Invalid value: [1]: spec.l in body should have at least 2 items',
    ]);
    expect(errorsOf(s, { l: [1, 2, 3, 4] })).toEqual([
      'spec.l: Too many: 4: must have at most 3 items',
    ]);
    expect(errorsOf(s, { l: [1, 1] })).toEqual([
      "spec.l: Invalid value: [1,1]: spec.l in body shouldn't contain duplicates",
    ]);
  });

  it('minProperties and maxProperties', () => {
    const s = specWith({
      m: {
        type: 'object',
        additionalProperties: { type: 'string' },
        minProperties: 1,
        maxProperties: 2,
      },
    });
    expect(errorsOf(s, { m: {} })).toEqual([
      'spec.m: Invalid value: {}: spec.m in body should have at least 1 properties',
    ]);
    expect(errorsOf(s, { m: { a: 'a', b: 'b', c: 'c' } })).toEqual([
      'spec.m: Too many: 3: must have at most 2 items',
    ]);
  });

  it('required names the missing field', () => {
    const s = specWith({ name: { type: 'string' } }, { required: ['name'] });
    expect(errorsOf(s, {})).toEqual(['spec.name: Required value']);
  });

  it('validates nested array items with indexed paths', () => {
    const s = specWith({
      members: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', maxLength: 3 } },
        },
      },
    });
    expect(
      errorsOf(s, { members: [{ name: 'a' }, { name: 'b' }, {}, { name: 'toolong' }] }),
    ).toEqual([
      'spec.members[2].name: Required value',
      'spec.members[3].name: Too long: may not be more than 3 bytes',
    ]);
  });

  it('validates additionalProperties values with keyed paths', () => {
    const s = specWith({ labels: { type: 'object', additionalProperties: { type: 'string' } } });
    expect(errorsOf(s, { labels: { a: 'x', b: 1 } })).toEqual([
      'spec.labels[b]: Invalid value: "integer": spec.labels[b] in body must be of type string: "integer"',
    ]);
  });

  it('x-kubernetes-list-type set rejects duplicates', () => {
    const s = specWith({
      tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
    });
    expect(errorsOf(s, { tags: ['a', 'b', 'a'] })).toEqual(['spec.tags[2]: Duplicate value: "a"']);
  });

  it('x-kubernetes-list-type map rejects duplicate keys', () => {
    const s = specWith({
      ports: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name', 'port'],
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, port: { type: 'integer' } },
        },
      },
    });
    expect(
      errorsOf(s, {
        ports: [
          { name: 'a', port: 1 },
          { name: 'a', port: 2 },
          { name: 'a', port: 1 },
        ],
      }),
    ).toEqual(['spec.ports[2]: Duplicate value: map[string]interface {}{"name":"a", "port":1}']);
  });

  it('x-kubernetes-embedded-resource requires apiVersion and kind', () => {
    const s = specWith({
      template: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        'x-kubernetes-preserve-unknown-fields': true,
      },
    });
    expect(errorsOf(s, { template: { metadata: {} } })).toEqual([
      'spec.template.apiVersion: Required value: must not be empty',
      'spec.template.kind: Required value: must not be empty',
    ]);
    expect(errorsOf(s, { template: { apiVersion: 'v1', kind: 'Pod' } })).toEqual([]);
    expect(
      errorsOf(s, {
        template: {
          apiVersion: 'a/b/c',
          kind: 'Bad_Kind',
          metadata: { labels: { 'bad key!': 'x' } },
        },
      }),
    ).toEqual([
      'spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
      expect.stringMatching(
        /^spec\.template\.kind: Invalid value: "Bad_Kind": may have mixed case, but should otherwise match: a DNS-1035 label/,
      ),
      expect.stringMatching(
        /^spec\.template\.metadata\.labels: Invalid value: "bad key!": name part must consist of/,
      ),
    ]);
  });

  it('allOf, anyOf, oneOf and not', () => {
    const s = specWith({
      a: { type: 'integer', allOf: [{ minimum: 1 }, { maximum: 5 }] },
      b: { type: 'string', anyOf: [{ pattern: '^x' }, { pattern: '^y' }] },
      c: { type: 'integer', oneOf: [{ minimum: 1 }, { maximum: 5 }] },
      d: { type: 'string', not: { enum: ['bad'] } },
    });
    expect(errorsOf(s, { a: 3, b: 'xa', c: 7, d: 'ok' })).toEqual([]);
    expect(errorsOf(s, { a: 6, b: 'za', c: 3, d: 'bad' })).toEqual([
      'spec.a: Invalid value: 6: spec.a in body should be less than or equal to 5',
      'spec.b: Invalid value: "za": spec.b in body must validate at least one schema (anyOf)',
      'spec.c: Invalid value: 3: spec.c in body must validate one and only one schema (oneOf)',
      'spec.d: Invalid value: "bad": spec.d in body must not validate the schema (not)',
    ]);
  });

  it('validates only name and generateName of the root metadata', () => {
    const s: JSONSchemaProps = {
      type: 'object',
      properties: {
        metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 5 } } },
      },
    };
    const errs = compileSchema(s).validate({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'toolong' },
    });
    expect(errs).toEqual([
      {
        reason: 'FieldValueTooLong',
        field: 'metadata.name',
        message: 'Too long: may not be more than 5 bytes',
      },
    ]);
  });
});

describe('structural validation: formats', () => {
  const cases: [string, string, string][] = [
    ['date-time', '2024-01-02T03:04:05Z', 'yesterday'],
    ['date', '2024-01-02', '2024-13-45'],
    ['byte', 'aGVsbG8=', 'not base64!'],
    ['duration', '1h30m', 'soon'],
    ['uri', 'https://example.com/x', 'not a uri'],
    ['hostname', 'db-0.example.com', 'bad_host!'],
    ['ipv4', '10.0.0.1', '10.0.0.256'],
    ['ipv6', 'fe80::1', 'fe80::g'],
    ['cidr', '10.0.0.0/8', '10.0.0.0/33'],
    ['email', 'a@b.c', 'no-at-sign'],
    ['uuid', '123e4567-e89b-12d3-a456-426614174000', '123'],
    ['mac', '00:1a:2b:3c:4d:5e', '00:1a'],
  ];
  for (const [format, good, bad] of cases) {
    it(`format ${format}`, () => {
      const s = specWith({ v: { type: 'string', format } });
      expect(errorsOf(s, { v: good })).toEqual([]);
      expect(errorsOf(s, { v: bad })).toEqual([
        `spec.v: Invalid value: ${JSON.stringify(bad)}: spec.v in body must be of type ${format}: ${JSON.stringify(bad)}`,
      ]);
    });
  }

  it('ignores formats the server does not validate (int32 on integers, unknown names)', () => {
    const s = specWith({
      n: { type: 'integer', format: 'int32' },
      s: { type: 'string', format: 'whatever' },
    });
    expect(errorsOf(s, { n: 5, s: 'x' })).toEqual([]);
  });
});
