import { describe, expect, it } from 'vitest';
import {
  ControllerBuilder,
  TerminalError,
  controllerOwnerKey,
  type Reconciler,
} from './controller.ts';
import type { EventHandler } from './informer.ts';
import type { SharedInformer } from './informer-factory.ts';
import { RuntimeMetrics } from './metrics.ts';
import { generationChanged } from './predicates.ts';
import { ItemExponentialRateLimiter } from './rate-limiter.ts';
import type { KubeObject, TypeRef } from './types.ts';

/** An in-memory SharedInformer the test drives by hand. */
class FakeInformer implements SharedInformer {
  readonly handlers: EventHandler[] = [];
  readonly type: TypeRef;
  constructor(type: TypeRef) {
    this.type = type;
  }
  addEventHandler(h: EventHandler) {
    this.handlers.push(h);
    return () => undefined;
  }
  get() {
    return undefined;
  }
  getByName() {
    return undefined;
  }
  list() {
    return [];
  }
  hasSynced() {
    return true;
  }
  waitForSync() {
    return Promise.resolve(true);
  }
  stats() {
    return { lists: 1, watches: 1, lastError: undefined };
  }
  async add(o: KubeObject) {
    for (const h of this.handlers) await h.onAdd?.(o);
  }
  async update(a: KubeObject, b: KubeObject) {
    for (const h of this.handlers) await h.onUpdate?.(a, b);
  }
}

const FOO = { apiVersion: 'x.io/v1', kind: 'Foo' };
const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
const obj = (name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  metadata: { name, namespace: 'ns', ...extra },
});

function setup(reconciler: Reconciler, opts = {}) {
  const informers = new Map<string, FakeInformer>();
  const metrics = new RuntimeMetrics({ processMetrics: false });
  const deps = {
    metrics,
    informers: {
      informerFor: <T extends KubeObject>(type: TypeRef) => {
        const k = type.kind;
        if (!informers.has(k)) informers.set(k, new FakeInformer(type));
        return informers.get(k) as unknown as SharedInformer<T>;
      },
    },
  };
  const c = new ControllerBuilder('test', deps)
    .for(FOO, { predicates: [generationChanged] })
    .owns(CM)
    .watches(CM, (o) =>
      o.metadata?.labels?.watch ? [{ namespace: 'ns', name: o.metadata.labels.watch }] : [],
    )
    .withOptions({ rateLimiter: new ItemExponentialRateLimiter(1, 10), ...opts })
    .complete(reconciler);
  return { c, foo: informers.get('Foo')!, cm: informers.get('ConfigMap')!, metrics };
}

const until = async (f: () => boolean) => {
  for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(f()).toBe(true);
};

describe('Controller', () => {
  it('routes For, Owns and Watches events to keys and applies predicates', async () => {
    const keys: string[] = [];
    const { c, foo, cm } = setup((req) => void keys.push(req.key));
    await c.start();
    await foo.add(obj('a', { generation: 1 }));
    await until(() => keys.length === 1);
    await foo.update(
      obj('a', { generation: 1, resourceVersion: '1' }),
      obj('a', { generation: 1, resourceVersion: '2' }),
    );
    const owned = obj('child', {
      ownerReferences: [
        { apiVersion: 'x.io/v2', kind: 'Foo', name: 'b', uid: 'u', controller: true },
      ],
    });
    await cm.add(owned);
    await cm.add(obj('other', { labels: { watch: 'c' } }));
    await cm.add(obj('unrelated'));
    await until(() => keys.length === 3);
    expect(keys.sort()).toEqual(['ns/a', 'ns/b', 'ns/c']); // the status-only update was filtered
    await c.stop();
  });

  it('retries errors with backoff, forgets on success, never retries a TerminalError', async () => {
    const calls = new Map<string, number>();
    const { c, foo, metrics } = setup((req) => {
      const n = (calls.get(req.name) ?? 0) + 1;
      calls.set(req.name, n);
      if (req.name === 'flaky' && n < 3) throw new Error('transient');
      if (req.name === 'bad') throw new TerminalError('invalid spec');
      if (req.name === 'rejects') return Promise.reject(new Error('async failure'));
      return {};
    });
    await c.start();
    await foo.add(obj('flaky'));
    await foo.add(obj('bad'));
    await until(() => calls.get('flaky') === 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.get('bad')).toBe(1);
    expect(c.queue.numRequeues('flaky')).toBe(0);
    await foo.add(obj('rejects'));
    await until(() => (calls.get('rejects') ?? 0) >= 2); // a rejection is retried, not fatal
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /controller_runtime_reconcile_total\{controller="test",result="error"\} \d+/,
    );
    expect(text).toMatch(
      /controller_runtime_terminal_reconcile_errors_total\{controller="test"\} 1/,
    );
    await c.stop();
  });

  it('requeues after the requested delay', async () => {
    const times: number[] = [];
    const { c, foo } = setup(() => {
      times.push(Date.now());
      return times.length < 2 ? { requeueAfter: 50 } : {};
    });
    await c.start();
    await foo.add(obj('a'));
    await until(() => times.length === 2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(45);
    await c.stop();
  });

  it('aborts a reconcile that exceeds its timeout and retries it', async () => {
    let calls = 0;
    let aborted = false;
    const { c, foo } = setup(
      (_req, ctx) => {
        calls++;
        if (calls > 1) return {};
        ctx.signal.addEventListener('abort', () => (aborted = true));
        return new Promise(() => undefined); // hangs forever
      },
      { reconcileTimeoutMs: 30 },
    );
    await c.start();
    await foo.add(obj('slow'));
    await until(() => calls === 2);
    expect(aborted).toBe(true);
    await c.stop();
  });

  it('never reconciles the same key concurrently, even with several workers', async () => {
    let running = 0;
    let overlap = false;
    let done = 0;
    const { c, foo } = setup(
      async () => {
        running++;
        if (running > 1) overlap = true;
        await new Promise((r) => setTimeout(r, 10));
        running--;
        done++;
      },
      { maxConcurrentReconciles: 4 },
    );
    await c.start();
    for (let i = 0; i < 5; i++) await foo.add(obj('same', { resourceVersion: String(i) }));
    await until(() => done >= 1 && c.queue.len() === 0 && running === 0);
    expect(overlap).toBe(false);
    expect(done).toBeLessThanOrEqual(2); // five events collapse into at most two reconciles
    await c.stop();
  });
});

describe('controllerOwnerKey', () => {
  it('matches the owner kind in any version of its group', () => {
    const o = obj('c', {
      ownerReferences: [
        { apiVersion: 'x.io/v1beta1', kind: 'Foo', name: 'p', uid: 'u', controller: true },
      ],
    });
    expect(controllerOwnerKey(o, FOO)).toBe('ns/p');
    expect(controllerOwnerKey(o, { apiVersion: 'y.io/v1', kind: 'Foo' })).toBeUndefined();
  });
});
