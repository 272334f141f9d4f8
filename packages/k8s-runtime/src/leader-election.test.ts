import { describe, expect, it } from 'vitest';
import type { KubeClient } from './client.ts';
import { NotFoundError } from './errors.ts';
import { LeaderElector, leaseHeldByOther, microTime } from './leader-election.ts';
import type { KubeObject } from './types.ts';

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

describe('LeaderElector renewals', () => {
  it('gives up leadership within renewDeadline even when the API server hangs', async () => {
    let hang = false;
    // Until `hang`, the lease does not exist and is created; then every call hangs until aborted.
    const hangUntilAborted = (signal?: AbortSignal) =>
      new Promise<never>((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    const client = {
      get: (_t: unknown, _n: string, _ns: string, opts: { signal?: AbortSignal } = {}) =>
        hang ? hangUntilAborted(opts.signal) : Promise.reject(new NotFoundError(404, {})),
      create: (obj: KubeObject) => Promise.resolve({ ...obj, metadata: { ...obj.metadata } }),
      update: (_o: KubeObject, opts: { signal?: AbortSignal } = {}) =>
        hangUntilAborted(opts.signal),
    } as unknown as KubeClient;
    const elector = new LeaderElector(client, {
      namespace: 'ns',
      name: 'lock',
      leaseDurationMs: 600,
      renewDeadlineMs: 300,
      retryPeriodMs: 50,
    });
    const stop = new AbortController();
    try {
      expect(await elector.acquire(stop.signal)).toBe(true);
      hang = true;
      // Without a bound on each attempt this would wait for the hung call forever.
      expect(await elector.renewLoop(stop.signal)).toBe('lost');
      expect(elector.isLeader()).toBe(false);
    } finally {
      stop.abort();
    }
  });
});
