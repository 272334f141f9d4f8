import { describe, expect, it } from 'vitest';
import { decodeBody, findDuplicateKeys } from './body.ts';

describe('findDuplicateKeys', () => {
  it('names duplicate keys with their path', () => {
    expect(findDuplicateKeys('{"a":1,"b":{"c":1,"c":2},"l":[{"x":1,"x":2}],"a":3}')).toEqual([
      'b.c',
      'l[0].x',
      'a',
    ]);
    expect(findDuplicateKeys('{"a":"\\"a\\"","b":["a","a"]}')).toEqual([]);
  });
});

describe('decodeBody', () => {
  it('decodes JSON and YAML, and reports duplicate YAML keys', () => {
    expect(decodeBody(Buffer.from('{"a":1}'), 'application/json', '').value).toEqual({ a: 1 });
    const yaml = decodeBody(Buffer.from('a: 1\nb:\n  c: x\na: 2\n'), 'application/yaml', '');
    expect(yaml.duplicateFields).toEqual(['a']);
  });

  it('answers 400 for malformed input and 415 for unknown media types', () => {
    expect(() => decodeBody(Buffer.from('{'), 'application/json', '')).toThrow(
      expect.objectContaining({ code: 400 }),
    );
    expect(() => decodeBody(Buffer.from('a: [1'), 'application/yaml', '')).toThrow(
      expect.objectContaining({ code: 400 }),
    );
    expect(() => decodeBody(Buffer.from('x'), 'text/html', '')).toThrow(
      expect.objectContaining({ code: 415 }),
    );
  });
});
