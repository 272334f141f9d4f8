import { describe, expect, it } from 'vitest';
import { addFinalizerPatch, removeFinalizerPatch } from './finalizers.ts';
import type { KubeObject } from './types.ts';
import { isControlledBy, setControllerReference, setOwnerReference } from './owner-refs.ts';

describe('finalizer patches', () => {
  it('adds with a resourceVersion test, creating the list when absent', () => {
    expect(addFinalizerPatch({ metadata: { resourceVersion: '7' } }, 'x.io/f')).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '7' },
      { op: 'add', path: '/metadata/finalizers', value: ['x.io/f'] },
    ]);
    expect(
      addFinalizerPatch({ metadata: { resourceVersion: '8', finalizers: ['a'] } }, 'x.io/f'),
    ).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '8' },
      { op: 'add', path: '/metadata/finalizers/-', value: 'x.io/f' },
    ]);
    expect(addFinalizerPatch({ metadata: { finalizers: ['x.io/f'] } }, 'x.io/f')).toBeUndefined();
  });
  it('removes by index guarded by a test of the value at that index', () => {
    expect(removeFinalizerPatch({ metadata: { finalizers: ['a', 'x.io/f'] } }, 'x.io/f')).toEqual([
      { op: 'test', path: '/metadata/finalizers/1', value: 'x.io/f' },
      { op: 'remove', path: '/metadata/finalizers/1' },
    ]);
    expect(removeFinalizerPatch({ metadata: {} }, 'x.io/f')).toBeUndefined();
  });
});

describe('owner references', () => {
  const owner = {
    apiVersion: 'x.io/v1',
    kind: 'Foo',
    metadata: { name: 'o', namespace: 'n', uid: 'u1' },
  };
  it('sets one controller reference idempotently and refuses a second controller', () => {
    const child: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'n' },
    };
    setControllerReference(owner, child);
    setControllerReference(owner, child);
    expect(child.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'x.io/v1',
        kind: 'Foo',
        name: 'o',
        uid: 'u1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(isControlledBy(child, owner)).toBe(true);
    const other = { ...owner, metadata: { ...owner.metadata, uid: 'u2', name: 'p' } };
    expect(() => setControllerReference(other, child)).toThrow(/already controlled/);
    setOwnerReference(other, child);
    expect(child.metadata?.ownerReferences).toHaveLength(2);
  });
});
