import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TargetLock, type LockRedis } from './target-lock.ts';

/** A Redis stand-in answering the lock's scripts by their first word; `renew` decides RENEW. */
function fakeRedis(renew: () => Promise<unknown>): LockRedis & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    eval(script: string) {
      const kind = script.includes('PEXPIRE')
        ? 'renew'
        : script.includes('DEL')
          ? 'release'
          : 'acquire';
      calls.push(kind);
      return kind === 'renew' ? renew() : Promise.resolve(1);
    },
  };
}

describe('TargetLock', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('renews while held and stops renewing once released', async () => {
    const redis = fakeRedis(() => Promise.resolve(1));
    const lost = vi.fn();
    const lock = new TargetLock(redis, 'k', 'job-1', 3000, lost);
    expect(await lock.acquire()).toBe(true);
    await vi.advanceTimersByTimeAsync(3000);
    expect(redis.calls.filter((c) => c === 'renew')).toHaveLength(3);
    await lock.release();
    await vi.advanceTimersByTimeAsync(3000);
    expect(redis.calls.filter((c) => c === 'renew')).toHaveLength(3);
    expect(lost).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports the loss once when the key is no longer ours', async () => {
    const redis = fakeRedis(() => Promise.resolve(0));
    const lost = vi.fn();
    const lock = new TargetLock(redis, 'k', 'job-1', 3000, lost);
    await lock.acquire();
    await vi.advanceTimersByTimeAsync(5000);
    expect(lost).toHaveBeenCalledTimes(1);
    expect(redis.calls.filter((c) => c === 'renew')).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rides out short Redis outages but reports the loss once a whole ttl passed unrenewed', async () => {
    let up = true;
    const redis = fakeRedis(() =>
      up ? Promise.resolve(1) : Promise.reject(new Error('ECONNREFUSED')),
    );
    const lost = vi.fn();
    const lock = new TargetLock(redis, 'k', 'job-1', 3000, lost);
    await lock.acquire();
    up = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(lost).not.toHaveBeenCalled();
    up = true;
    await vi.advanceTimersByTimeAsync(1000); // renewed: the ttl starts again
    up = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(lost).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(lost).toHaveBeenCalledTimes(1);
    await lock.release();
  });
});
