import { describe, expect, it } from 'vitest';
import {
  and,
  annotationsChanged,
  generationChanged,
  hasLabels,
  labelsChanged,
  not,
  or,
  passes,
  resourceVersionChanged,
} from './predicates.ts';
import type { KubeObject } from './types.ts';

const obj = (m: Record<string, unknown>): KubeObject => ({ metadata: { name: 'a', ...m } });

describe('predicates', () => {
  it('generationChanged ignores status-only updates but passes creates and deletes', () => {
    const a = obj({ generation: 1, resourceVersion: '1' });
    const statusOnly = obj({ generation: 1, resourceVersion: '2' });
    const spec = obj({ generation: 2, resourceVersion: '3' });
    expect(passes([generationChanged], 'update', statusOnly, a)).toBe(false);
    expect(passes([generationChanged], 'update', spec, a)).toBe(true);
    expect(passes([generationChanged], 'create', a)).toBe(true);
    expect(passes([generationChanged], 'delete', a)).toBe(true);
  });
  it('resourceVersionChanged drops resyncs', () => {
    const a = obj({ resourceVersion: '1' });
    expect(passes([resourceVersionChanged], 'update', a, a)).toBe(false);
    expect(passes([resourceVersionChanged], 'update', obj({ resourceVersion: '2' }), a)).toBe(true);
  });
  it('labels and annotations changed compare maps', () => {
    const a = obj({ labels: { x: '1' }, annotations: { n: 'a' } });
    const b = obj({ labels: { x: '1' }, annotations: { n: 'b' } });
    const c = obj({ labels: { x: '1', y: '2' }, annotations: { n: 'a' } });
    expect(passes([labelsChanged], 'update', b, a)).toBe(false);
    expect(passes([annotationsChanged], 'update', b, a)).toBe(true);
    expect(passes([labelsChanged], 'update', c, a)).toBe(true);
    expect(passes([labelsChanged], 'update', obj({}), obj({ labels: {} }))).toBe(false);
  });
  it('composes with and/or/not and hasLabels', () => {
    const app = hasLabels({ app: 'x' });
    const yes = obj({ labels: { app: 'x' }, generation: 1 });
    const no = obj({ labels: { app: 'y' }, generation: 2 });
    expect(passes([app], 'create', yes)).toBe(true);
    expect(passes([app], 'create', no)).toBe(false);
    expect(passes([and(app, generationChanged)], 'update', yes, yes)).toBe(false);
    expect(passes([or(app, generationChanged)], 'update', yes, yes)).toBe(true);
    expect(passes([not(app)], 'delete', no)).toBe(true);
  });
});
