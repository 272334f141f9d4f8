import { describe, expect, it } from 'vitest';
import { StatusError } from '../core/errors.ts';
import {
  baseFieldGetters,
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.ts';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'example.com/team': 'a' };
  const matches = (sel: string): boolean => matchLabels(parseLabelSelector(sel), labels);

  it('supports =, ==, !=, in, notin, exists and !key', () => {
    expect(matches('app=web')).toBe(true);
    expect(matches('app==web,tier!=back')).toBe(true);
    expect(matches('tier in (front, back)')).toBe(true);
    expect(matches('tier notin (front)')).toBe(false);
    expect(matches('example.com/team')).toBe(true);
    expect(matches('!missing,app')).toBe(true);
    expect(matches('!app')).toBe(false);
    expect(matches('')).toBe(true);
  });

  it('rejects malformed selectors with 400', () => {
    for (const bad of ['a in b', 'x y', '=v', 'a!!=b']) {
      expect(() => parseLabelSelector(bad), bad).toThrow(StatusError);
    }
  });
});

describe('field selectors', () => {
  it('matches supported fields and rejects others', () => {
    const getters = baseFieldGetters();
    const obj = { metadata: { name: 'a', namespace: 'ns' } };
    expect(matchFields(parseFieldSelector('metadata.name=a', getters), obj, getters)).toBe(true);
    expect(matchFields(parseFieldSelector('metadata.namespace!=ns', getters), obj, getters)).toBe(
      false,
    );
    expect(() => parseFieldSelector('spec.x=1', getters)).toThrow(
      'field label not supported: spec.x',
    );
  });
});
