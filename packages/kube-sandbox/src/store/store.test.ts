import { describe, expect, it } from 'vitest';
import { StatusError } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import { ObjectStore } from './store.ts';

const cm = (name: string, v = '1', namespace = 'ns'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { v },
});

describe('ObjectStore', () => {
  it('assigns increasing resourceVersions from one sequence across resources', () => {
    const s = new ObjectStore();
    const a = s.put('/configmaps', cm('a'));
    const b = s.put('/secrets', cm('b'));
    expect(Number(b.metadata!.resourceVersion)).toBe(Number(a.metadata!.resourceVersion) + 1);
    const gone = s.remove('/configmaps', 'ns', 'a')!;
    expect(Number(gone.metadata!.resourceVersion)).toBe(Number(b.metadata!.resourceVersion) + 1);
  });

  it('rebuilds the state at an older resourceVersion from history', () => {
    const s = new ObjectStore();
    s.put('/configmaps', cm('a', '1'));
    const rv = s.currentRv();
    s.put('/configmaps', cm('a', '2'));
    s.put('/configmaps', cm('b'));
    s.remove('/configmaps', 'ns', 'a');
    const then = s.listAt('/configmaps', 'ns', rv);
    expect([...then.keys()]).toEqual(['ns/a']);
    expect(then.get('ns/a')!.data).toEqual({ v: '1' });
    expect(s.list('/configmaps').map((o) => o.metadata!.name)).toEqual(['b']);
  });

  it('answers 410 once history no longer reaches a resourceVersion', () => {
    const s = new ObjectStore({ historySize: 3 });
    const start = s.currentRv();
    for (let i = 0; i < 5; i++) s.put('/configmaps', cm(`c${i}`));
    expect(() => s.eventsSince('/configmaps', start)).toThrow(StatusError);
    try {
      s.eventsSince('/configmaps', start);
    } catch (err) {
      expect((err as StatusError).code).toBe(410);
      expect((err as StatusError).message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    }
    const recent = s.eventsSince('/configmaps', s.currentRv() - 2);
    expect(recent.map((e) => e.object.metadata!.name)).toEqual(['c3', 'c4']);
  });

  it('keeps notifying when one subscriber throws', () => {
    const s = new ObjectStore();
    const seen: string[] = [];
    s.subscribe('/configmaps', () => {
      throw new Error('broken watcher');
    });
    s.subscribe('*', (ev) => seen.push(ev.type));
    s.put('/configmaps', cm('a'));
    expect(seen).toEqual(['ADDED']);
  });
});
