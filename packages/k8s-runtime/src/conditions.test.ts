import { describe, expect, it } from 'vitest';
import {
  conditionsChanged,
  getCondition,
  initConditions,
  isConditionTrue,
  setCondition,
} from './conditions.ts';

const t1 = new Date('2024-01-01T00:00:00.123Z');
const t2 = new Date('2024-01-01T00:05:00Z');

describe('conditions', () => {
  it('sets lastTransitionTime on first set and keeps it while status is unchanged', () => {
    let c = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'Starting', message: 'a' },
      t1,
    );
    expect(c[0].lastTransitionTime).toBe('2024-01-01T00:00:00Z');
    c = setCondition(
      c,
      {
        type: 'Ready',
        status: 'False',
        reason: 'StillStarting',
        message: 'b',
        observedGeneration: 2,
      },
      t2,
    );
    expect(c[0]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'StillStarting',
      message: 'b',
      lastTransitionTime: '2024-01-01T00:00:00Z',
      observedGeneration: 2,
    });
    c = setCondition(c, { type: 'Ready', status: 'True', reason: 'Ready' }, t2);
    expect(c[0].lastTransitionTime).toBe('2024-01-01T00:05:00Z');
    expect(isConditionTrue(c, 'Ready')).toBe(true);
  });
  it('reports expected conditions as Unknown on first sight without touching known ones', () => {
    const known = setCondition([], { type: 'Ready', status: 'True', reason: 'Ok' }, t1);
    const c = initConditions(known, ['Ready', 'Degraded'], 3, t2);
    expect(getCondition(c, 'Ready')?.status).toBe('True');
    expect(getCondition(c, 'Degraded')).toMatchObject({ status: 'Unknown', observedGeneration: 3 });
  });
  it('rejects reasons that are not CamelCase words', () => {
    expect(() => setCondition([], { type: 'Ready', status: 'True', reason: 'not ok' })).toThrow(
      /CamelCase/,
    );
    expect(() => setCondition([], { type: 'Ready', status: 'True', reason: '' })).toThrow();
  });
  it('detects changes other than timestamps', () => {
    const a = setCondition([], { type: 'Ready', status: 'True', reason: 'Ok' }, t1);
    const b = setCondition([], { type: 'Ready', status: 'True', reason: 'Ok' }, t2);
    expect(conditionsChanged(a, b)).toBe(false);
    expect(
      conditionsChanged(a, setCondition(a, { type: 'Ready', status: 'False', reason: 'Down' })),
    ).toBe(true);
  });
});
