import { describe, expect, it, vi } from 'vitest';
import { sleep } from './sleep.ts';

describe('sleep', () => {
  it('resolves after the delay and leaves no timer', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const p = sleep(1000).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await p;
      expect(done).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends early on abort, clearing its timer and its listener', async () => {
    vi.useFakeTimers();
    try {
      const ac = new AbortController();
      const p = sleep(60_000, ac.signal);
      expect(vi.getTimerCount()).toBe(1);
      ac.abort();
      await p;
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not wait at all when the signal has already aborted', async () => {
    vi.useFakeTimers();
    try {
      const ac = new AbortController();
      ac.abort();
      await sleep(60_000, ac.signal);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
