import { describe, expect, it } from 'vitest';
import { templateHash } from './hash.ts';
import { scaledValue } from './intstr.ts';
import { selectorMatches, semanticNormalize } from './objects.ts';

describe('semanticNormalize and templateHash', () => {
  it('treat null, empty lists and empty objects as absent, but keep emptyDir: {}', () => {
    const typed = {
      metadata: { creationTimestamp: null, labels: { app: 'k' } },
      spec: {
        containers: [{ name: 'c', image: 'x', resources: {}, env: [] }],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
    };
    const plain = {
      metadata: { labels: { app: 'k' } },
      spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'v', emptyDir: {} }] },
    };
    expect(semanticNormalize(typed)).toEqual(plain);
    expect(templateHash(typed)).toBe(templateHash(plain));
    expect(templateHash(plain)).not.toBe(
      templateHash({ ...plain, spec: { ...plain.spec, volumes: [{ name: 'v' }] } }),
    );
  });

  it('changes with collisionCount', () => {
    expect(templateHash({ a: 1 }, 1)).not.toBe(templateHash({ a: 1 }));
  });
});

describe('scaledValue', () => {
  it('scales percentages with the requested rounding', () => {
    expect(scaledValue('33%', 10, true)).toBe(4);
    expect(scaledValue('33%', 10, false)).toBe(3);
    expect(scaledValue(7, 10, false)).toBe(7);
    expect(scaledValue('7', 10, false)).toBe(7);
  });
});

describe('selectorMatches', () => {
  it('implements matchLabels and every matchExpressions operator', () => {
    const labels = { app: 'web', tier: 'front' };
    expect(selectorMatches({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(
      selectorMatches(
        { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] },
        labels,
      ),
    ).toBe(true);
    expect(
      selectorMatches(
        { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] },
        labels,
      ),
    ).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels),
    ).toBe(true);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels),
    ).toBe(false);
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches(undefined, labels)).toBe(false);
  });
});
