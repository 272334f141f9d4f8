import { describe, expect, it } from 'vitest';
import { leaseHeldByOther, microTime } from './leader-election.ts';

describe('leader election decisions', () => {
  it('treats a lease as held by another only within leaseDuration of our observation', () => {
    const spec = { holderIdentity: 'b', leaseDurationSeconds: 15 };
    expect(leaseHeldByOther(spec, 'a', 1000, 1000 + 14_999, 15_000)).toBe(true);
    expect(leaseHeldByOther(spec, 'a', 1000, 1000 + 15_000, 15_000)).toBe(false);
  });
  it('an empty holder (released) or our own holder is free to take', () => {
    expect(leaseHeldByOther({ holderIdentity: '' }, 'a', 0, 1, 15_000)).toBe(false);
    expect(leaseHeldByOther({ holderIdentity: 'a' }, 'a', 0, 1, 15_000)).toBe(false);
    expect(leaseHeldByOther(undefined, 'a', 0, 1, 15_000)).toBe(false);
  });
  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678))).toBe('2024-01-02T03:04:05.678000Z');
  });
});
