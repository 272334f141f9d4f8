import { describe, expect, it } from 'vitest';
import { StatusError } from '../core/errors.ts';
import { applyMergePatch } from './merge-patch.ts';

describe('JSON merge patch (RFC 7386 appendix A)', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [doc, patch, expected] of cases) {
    it(`${JSON.stringify(doc)} + ${JSON.stringify(patch)}`, () => {
      expect(applyMergePatch(doc, patch)).toEqual(expected);
    });
  }

  it('replaces arrays wholesale and merges nested objects of a Deployment', () => {
    const dep = {
      metadata: { labels: { app: 'x', tier: 'web' } },
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } },
    };
    const out = applyMergePatch(dep, {
      metadata: { labels: { tier: null, new: 'y' } },
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'c' }] } } },
    });
    expect(out).toEqual({
      metadata: { labels: { app: 'x', new: 'y' } },
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'c' }] } } },
    });
    expect(dep.metadata.labels).toEqual({ app: 'x', tier: 'web' });
  });

  it('rejects a patch that is not an object with 400', () => {
    expect(() => applyMergePatch({}, [1])).toThrow(StatusError);
    try {
      applyMergePatch({}, null);
    } catch (err) {
      expect((err as StatusError).code).toBe(400);
    }
  });
});
