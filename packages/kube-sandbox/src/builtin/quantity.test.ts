import { describe, expect, it } from 'vitest';
import { canonicalQuantity, parseQuantity } from './quantity.ts';

describe('quantities', () => {
  it('parses values', () => {
    expect(parseQuantity('1Gi')).toBe(1024 ** 3);
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity(2)).toBe(2);
    expect(parseQuantity('12 apples')).toBeUndefined();
  });

  it.each([
    ['0.5', '500m'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['0.1', '100m'],
    ['2048Mi', '2Gi'],
    ['1000Mi', '1000Mi'],
    ['1.5Gi', '1536Mi'],
    ['512Ki', '512Ki'],
    ['1Ki', '1Ki'],
    ['100M', '100M'],
    ['1500000', '1500k'],
    ['1e3', '1e3'],
    ['12e6', '12e6'],
    ['0', '0'],
    ['0Gi', '0'],
    [2, '2'],
    ['-1', '-1'],
    ['1.0000000001', '1000000001n'],
  ])('%s -> %s', (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
  });

  it('leaves invalid values for validation to report', () => {
    expect(canonicalQuantity('lots')).toBe('lots');
  });
});
