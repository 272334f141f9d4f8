import { describe, expect, it } from 'vitest';
import { objectKey, parseObjectKey } from './object-key.ts';

describe('objectKey', () => {
  it('joins namespace and name, and round-trips through parseObjectKey', () => {
    expect(objectKey({ namespace: 'ns', name: 'a' })).toBe('ns/a');
    expect(objectKey({ name: 'node1' })).toBe('node1');
    expect(parseObjectKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(parseObjectKey('node1')).toEqual({ name: 'node1' });
  });
  it('rejects malformed keys', () => {
    expect(() => parseObjectKey('a/b/c')).toThrow(/malformed/);
    expect(() => parseObjectKey('/a')).toThrow(/malformed/);
    expect(() => objectKey({ namespace: 'ns' })).toThrow(/name is required/);
  });
});
