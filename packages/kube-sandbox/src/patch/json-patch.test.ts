import { describe, expect, it } from 'vitest';
import { StatusError } from '../core/errors.ts';
import { applyJsonPatch } from './json-patch.ts';

function failure(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

describe('JSON patch (RFC 6902 appendix A)', () => {
  const cases: [string, unknown, unknown[], unknown][] = [
    [
      'A.1 add an object member',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux' }],
      { baz: 'qux', foo: 'bar' },
    ],
    [
      'A.2 add an array element',
      { foo: ['bar', 'baz'] },
      [{ op: 'add', path: '/foo/1', value: 'qux' }],
      { foo: ['bar', 'qux', 'baz'] },
    ],
    [
      'A.3 remove an object member',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'remove', path: '/baz' }],
      { foo: 'bar' },
    ],
    [
      'A.4 remove an array element',
      { foo: ['bar', 'qux', 'baz'] },
      [{ op: 'remove', path: '/foo/1' }],
      { foo: ['bar', 'baz'] },
    ],
    [
      'A.5 replace a value',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'replace', path: '/baz', value: 'boo' }],
      { baz: 'boo', foo: 'bar' },
    ],
    [
      'A.6 move a value',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [
      'A.7 move an array element',
      { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] },
    ],
    [
      'A.8 test a value (success)',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    [
      'A.10 add a nested member object',
      { foo: 'bar' },
      [{ op: 'add', path: '/child', value: { grandchild: {} } }],
      { foo: 'bar', child: { grandchild: {} } },
    ],
    [
      'A.12 add to a nonexistent target... parent exists',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: null }],
      { foo: 'bar', baz: null },
    ],
    [
      'A.14 ~ escape ordering',
      { '/': 9, '~1': 10 },
      [{ op: 'test', path: '/~01', value: 10 }],
      { '/': 9, '~1': 10 },
    ],
    [
      'A.16 add an array value',
      { foo: ['bar'] },
      [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
      { foo: ['bar', ['abc', 'def']] },
    ],
    [
      'copy',
      { a: { b: 1 } },
      [{ op: 'copy', from: '/a', path: '/c' }],
      { a: { b: 1 }, c: { b: 1 } },
    ],
    [
      '~1 in a key',
      { metadata: { labels: {} } },
      [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'x' }],
      { metadata: { labels: { 'app.kubernetes.io/name': 'x' } } },
    ],
  ];
  for (const [name, doc, ops, expected] of cases) {
    it(name, () => expect(applyJsonPatch(doc, ops)).toEqual(expected));
  }

  it('does not mutate its input, even for copies it later changes', () => {
    const doc = { a: { b: [1] } };
    const out = applyJsonPatch(doc, [
      { op: 'copy', from: '/a', path: '/c' },
      { op: 'add', path: '/c/b/-', value: 2 },
    ]);
    expect(doc).toEqual({ a: { b: [1] } });
    expect(out).toEqual({ a: { b: [1] }, c: { b: [1, 2] } });
  });
});

describe('JSON patch errors, as the API server reports them', () => {
  it('a failed test is 422 Invalid naming the path', () => {
    const err = failure(() =>
      applyJsonPatch({ spec: { replicas: 1 } }, [{ op: 'test', path: '/spec/replicas', value: 2 }]),
    );
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe('the server rejected our request due to an error in our request');
    expect(err.details?.causes?.[0].message).toBe(
      'testing value /spec/replicas failed: test failed',
    );
  });

  it('A.9 a failed test of an existing member', () => {
    const err = failure(() =>
      applyJsonPatch({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]),
    );
    expect(err.code).toBe(422);
  });

  it('removing a missing path is 422 with the library message', () => {
    const err = failure(() => applyJsonPatch({ a: {} }, [{ op: 'remove', path: '/x/y' }]));
    expect(err.code).toBe(422);
    expect(err.details?.causes?.[0].message).toBe(
      'remove operation does not apply: doc is missing path: "/x/y": missing value',
    );
  });

  it('A.12 adding under a nonexistent parent is 422', () => {
    const err = failure(() =>
      applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]),
    );
    expect(err.code).toBe(422);
    expect(err.details?.causes?.[0].message).toContain('doc is missing path: "/baz/bat"');
  });

  it('replacing a missing key is 422', () => {
    const err = failure(() => applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]));
    expect(err.details?.causes?.[0].message).toBe(
      'replace operation does not apply: doc is missing key: /b: missing value',
    );
  });

  it('an out-of-range index is 422', () => {
    expect(
      failure(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/5', value: 2 }])).code,
    ).toBe(422);
  });

  it('an unknown op is 422 (the library rejects it while applying)', () => {
    const err = failure(() => applyJsonPatch({}, [{ op: 'frobnicate', path: '/a' }]));
    expect(err.code).toBe(422);
    expect(err.details?.causes?.[0].message).toBe('Unexpected kind: frobnicate');
  });

  it('a body that is not a list of operations is 400', () => {
    const err = failure(() => applyJsonPatch({}, { op: 'add' }));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    expect(failure(() => applyJsonPatch({}, ['add'])).code).toBe(400);
  });

  it('more than 10000 operations is 413', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '', value: {} }));
    expect(failure(() => applyJsonPatch({}, ops)).code).toBe(413);
  });

  it('only replace and test address the whole document; a pointer needs a "/"', () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }])).toEqual({
      b: 2,
    });
    expect(applyJsonPatch({ a: 1 }, [{ op: 'test', path: '', value: { a: 1 } }])).toEqual({ a: 1 });
    expect(failure(() => applyJsonPatch({ a: 1 }, [{ op: 'add', path: '', value: {} }])).code).toBe(
      422,
    );
    expect(failure(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: 'a' }])).code).toBe(422);
  });

  it('copying from a missing member is 422', () => {
    const err = failure(() =>
      applyJsonPatch({ a: {} }, [{ op: 'copy', from: '/a/x', path: '/b' }]),
    );
    expect(err.details?.causes?.[0].message).toBe(
      "error in copy for from: '/a/x': unable to get nonexistent key: x: missing value",
    );
  });

  it('a failing operation leaves the input untouched', () => {
    const doc = { a: 1 };
    failure(() =>
      applyJsonPatch(doc, [
        { op: 'add', path: '/b', value: 2 },
        { op: 'test', path: '/a', value: 3 },
      ]),
    );
    expect(doc).toEqual({ a: 1 });
  });
});
