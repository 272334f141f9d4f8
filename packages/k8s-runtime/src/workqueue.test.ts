import { describe, expect, it } from 'vitest';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from './rate-limiter.ts';
import { WorkQueue } from './workqueue.ts';

describe('WorkQueue', () => {
  it('de-duplicates keys that are queued and not yet processed', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('collapses adds during processing into exactly one more round after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const a = await q.get();
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0); // not handed to a second worker while processing
    q.done(a!);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('wakes a waiting getter and hands out undefined after shutdown', async () => {
    const q = new WorkQueue();
    const pending = q.get();
    q.add('x');
    expect(await pending).toBe('x');
    const afterShutdown = q.get();
    q.shutDown();
    expect(await afterShutdown).toBeUndefined();
    q.add('y');
    expect(q.len()).toBe(0);
  });

  it('adds after a delay, keeping the earliest deadline', async () => {
    const q = new WorkQueue();
    q.addAfter('k', 60_000);
    q.addAfter('k', 10);
    expect(q.len()).toBe(0);
    expect(await q.get()).toBe('k');
    q.shutDown();
  });

  it('drains in-flight work on shutDownWithDrain', async () => {
    const q = new WorkQueue();
    q.add('a');
    const item = await q.get();
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(drained).toBe(false);
    q.done(item!);
    await drain;
    expect(drained).toBe(true);
  });

  it('counts requeues per item and forgets them', () => {
    const q = new WorkQueue({ rateLimiter: new ItemExponentialRateLimiter(5, 1000) });
    q.addRateLimited('a');
    q.addRateLimited('a');
    expect(q.numRequeues('a')).toBe(2);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    q.shutDown();
  });
});

describe('rate limiters', () => {
  it('backs off exponentially per item from 5 ms to the cap', () => {
    const l = new ItemExponentialRateLimiter(5, 1_000_000);
    const delays = Array.from({ length: 5 }, () => l.when('a'));
    expect(delays).toEqual([5, 10, 20, 40, 80]);
    expect(l.when('b')).toBe(5);
    for (let i = 0; i < 40; i++) l.when('a');
    expect(l.when('a')).toBe(1_000_000);
    l.forget('a');
    expect(l.when('a')).toBe(5);
  });

  it('token bucket allows the burst, then paces at qps', () => {
    let now = 0;
    const l = new BucketRateLimiter(10, 100, () => now);
    for (let i = 0; i < 100; i++) expect(l.when(`k${i}`)).toBe(0);
    expect(l.when('x')).toBe(100);
    expect(l.when('y')).toBe(200);
    now = 10_000; // refilled
    expect(l.when('z')).toBe(0);
  });

  it('combines limiters by the longest delay', () => {
    let now = 0;
    const l = new MaxOfRateLimiter(
      new ItemExponentialRateLimiter(5, 1000),
      new BucketRateLimiter(1, 1, () => now),
    );
    expect(l.when('a')).toBe(5);
    expect(l.when('a')).toBe(1000);
    now = 5000;
    expect(l.when('a')).toBe(20);
    expect(l.numRequeues('a')).toBe(3);
  });
});
