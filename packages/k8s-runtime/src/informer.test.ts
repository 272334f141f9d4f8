import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubeClient } from './client.ts';
import { Informer } from './informer.ts';

/** A client whose list succeeds and whose every watch ends at once without an event. */
function droppingWatchesClient() {
  const calls = { lists: 0, watches: 0 };
  const client = {
    listAll: async () => {
      calls.lists++;
      return { items: [], metadata: { resourceVersion: '7' } };
    },
    // eslint-disable-next-line require-yield
    watch: async function* () {
      calls.watches++;
    },
  };
  return { calls, client: client as unknown as KubeClient };
}

describe('Informer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('backs off when the server closes every watch at once instead of spinning', async () => {
    const { calls, client } = droppingWatchesClient();
    const inf = new Informer(client, { apiVersion: 'v1', kind: 'ConfigMap' });
    inf.start();
    await vi.advanceTimersByTimeAsync(10_000);
    // 200 ms doubling per failure (with jitter): a handful of watches in 10 s, not thousands.
    expect(calls.watches).toBeGreaterThan(2);
    expect(calls.watches).toBeLessThan(12);
    expect(calls.lists).toBe(1);
    expect(String(inf.lastError)).toMatch(/very short watch/);
    await inf.stop();
  });
});
