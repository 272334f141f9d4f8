import { describe, expect, it } from 'vitest';
import { FakeClient } from '../testing/fake-client.ts';
import { GVR } from '../gvr.ts';
import { FakeClock, realClock } from './clock.ts';
import { Informer } from './informer.ts';
import { silentLogger } from './log.ts';
import { WorkQueue } from './queue.ts';

describe('WorkQueue', () => {
  it('de-duplicates keys, never runs one key twice at once, and re-runs keys added meanwhile', async () => {
    const runs: string[] = [];
    let inFlight = 0;
    let maxInFlightA = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queue = new WorkQueue({
      name: 't',
      clock: realClock,
      log: silentLogger,
      workers: 3,
      reconcile: async (key) => {
        runs.push(key);
        if (key === 'a') {
          inFlight++;
          maxInFlightA = Math.max(maxInFlightA, inFlight);
          await gate;
          inFlight--;
        }
      },
    });
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.start();
    await new Promise((r) => setTimeout(r, 10));
    queue.add('a'); // while a runs: dirty, runs once more afterwards
    queue.add('a');
    release();
    await queue.idle();
    await queue.stop();
    expect(runs.filter((k) => k === 'a')).toHaveLength(2);
    expect(runs.filter((k) => k === 'b')).toHaveLength(1);
    expect(maxInFlightA).toBe(1);
  });

  it('retries failures with backoff and requeues after the clock says so', async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const queue = new WorkQueue({
      name: 't',
      clock,
      log: silentLogger,
      baseBackoffMs: 1,
      reconcile: () => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('boom'));
        if (calls === 2) return Promise.resolve({ requeueAfterMs: 60000 });
        return Promise.resolve();
      },
    });
    queue.start();
    queue.add('k');
    while (calls < 2) await new Promise((r) => setTimeout(r, 5));
    await queue.idle();
    expect(calls).toBe(2);
    clock.advance(59999);
    await queue.idle();
    expect(calls).toBe(2);
    clock.advance(1);
    while (calls < 3) await new Promise((r) => setTimeout(r, 5));
    await queue.stop();
  });
});

describe('Informer', () => {
  it('re-lists after a 410 and reports what changed while it was not watching', async () => {
    const client = new FakeClient();
    await client.create(GVR.configMaps, { metadata: { name: 'a', namespace: 'ns' } });
    await client.create(GVR.configMaps, { metadata: { name: 'b', namespace: 'ns' } });
    const informer = new Informer(client, GVR.configMaps, silentLogger, 60000);
    const events: string[] = [];
    informer.onEvent((type, obj) => events.push(`${type} ${obj.metadata?.name}`));
    await informer.start();
    expect(events.sort()).toEqual(['ADDED a', 'ADDED b']);
    client.expireWatches();
    await client.delete(GVR.configMaps, 'ns', 'a');
    await client.create(GVR.configMaps, { metadata: { name: 'c', namespace: 'ns' } });
    const seen = await informer.waitFor(
      () => informer.list('ns').length === 2 && !!informer.get('ns', 'c'),
    );
    expect(seen).toBe(true);
    expect(events).toContain('DELETED a');
    expect(events).toContain('ADDED c');
    informer.stop();
  });

  it('waits for its own writes to arrive', async () => {
    const client = new FakeClient();
    const informer = new Informer(client, GVR.configMaps, silentLogger, 60000);
    await informer.start();
    const created = await client.create(GVR.configMaps, {
      metadata: { name: 'x', namespace: 'ns' },
    });
    expect(await informer.waitForWrite(created)).toBe(true);
    await client.delete(GVR.configMaps, 'ns', 'x');
    expect(await informer.waitForDeletion(created)).toBe(true);
    informer.stop();
  });
});

describe('Informer start', () => {
  it('survives a failing first list and fills the cache once listing works', async () => {
    const client = new FakeClient();
    await client.create(GVR.configMaps, { metadata: { name: 'a', namespace: 'ns' } });
    let failures = 1;
    const flaky = Object.create(client) as FakeClient;
    flaky.list = (gvr, opts) =>
      failures-- > 0 ? Promise.reject(new Error('not served yet')) : client.list(gvr, opts);
    flaky.watch = (gvr, opts, onEvent) => client.watch(gvr, opts, onEvent);
    const errors: string[] = [];
    const informer = new Informer(
      flaky,
      GVR.configMaps,
      { info: () => undefined, error: (m) => errors.push(m) },
      60000,
    );
    await informer.start();
    expect(errors).toEqual(['informer configmaps: relist failed']);
    expect(await informer.waitFor(() => informer.get('ns', 'a') !== undefined, 5000)).toBe(true);
    informer.stop();
  });
});
