import { defineCustomResource, k } from '@opsmith/crd-schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ConflictError,
  EventRecorder,
  InvalidError,
  NotFoundError,
  TimeoutError,
  UnsupportedMediaTypeError,
  addFinalizer,
  createOrUpdate,
  removeFinalizer,
  type KubeClient,
  type UnknownObject,
} from '../src/index.ts';
import { CM, type ConfigMap } from './copy-controller.ts';
import { eventually, startTestSandbox, type TestEnv } from './sandbox.ts';

const widget = defineCustomResource({
  group: 'test.opsmith.io',
  kind: 'Widget',
  plural: 'widgets',
  versions: [
    {
      name: 'v1',
      spec: k.object({
        replicas: k.integer({ minimum: 0, maximum: 5, default: 1 }),
        color: k.enumOf(['red', 'blue'] as const),
      }),
      status: k.object({ replicas: k.optional(k.integer()), selector: k.optional(k.string()) }),
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.selector',
      },
    },
  ],
});
const W = widget.typeRef();
type Widget = UnknownObject & {
  spec: { replicas?: number; color: string };
  status?: { replicas?: number };
};

let env: TestEnv;
let client: KubeClient;

describe('client against a real API server', () => {
  beforeAll(async () => {
    env = await startTestSandbox();
    client = env.client({ fieldManager: 'client-test' });
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'c' } });
    await client.create(widget.crd());
    // discovery, not registration: the kind is found once the CRD is served
    await eventually(() => client.list(W, { namespace: 'c' }), 10_000, 'CRD served');
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('maps errors to typed errors', async () => {
    await expect(client.get(CM, 'nope', 'c')).rejects.toBeInstanceOf(NotFoundError);
    const cm = await client.create<ConfigMap>({
      ...CM,
      metadata: { name: 'e', namespace: 'c' },
      data: { a: '1' },
    });
    await expect(
      client.create<ConfigMap>({ ...CM, metadata: { name: 'e', namespace: 'c' } }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    await client.update<ConfigMap>({ ...cm, data: { a: '2' } });
    await expect(client.update<ConfigMap>({ ...cm, data: { a: '3' } })).rejects.toBeInstanceOf(
      ConflictError,
    );
    const invalid = await client
      .create<Widget>({
        ...W,
        metadata: { name: 'bad', namespace: 'c' },
        spec: { replicas: 9, color: 'green' },
      })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidError);
    expect((invalid as InvalidError).causes.map((c) => c.field).sort()).toEqual([
      'spec.color',
      'spec.replicas',
    ]);
    // strategic merge is not supported on custom resources
    await client.create<Widget>({
      ...W,
      metadata: { name: 'w', namespace: 'c' },
      spec: { color: 'red' },
    });
    await expect(
      client.patch(W, 'w', 'c', 'strategic', { spec: { replicas: 2 } }),
    ).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
  });

  it('retries a 429 after the Retry-After the server asked for, and times out a hung request', async () => {
    await client.apply<ConfigMap>({ ...CM, metadata: { name: 'r', namespace: 'c' }, data: {} });
    env.sandbox.faults.add({
      verb: 'get',
      resource: 'configmaps',
      namespace: 'c',
      code: 429,
      retryAfterSeconds: 1,
    });
    const started = Date.now();
    setTimeout(() => env.sandbox.faults.clear(), 300);
    const got = await client.get<ConfigMap>(CM, 'r', 'c');
    expect(got.metadata?.name).toBe('r');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // waited as told, not the 50 ms base
    env.sandbox.faults.add({
      verb: 'get',
      resource: 'configmaps',
      namespace: 'c',
      code: 'timeout',
    });
    try {
      const impatient = env.client({ timeoutMs: 300, maxRetries: 0 });
      await expect(impatient.get(CM, 'r', 'c')).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      env.sandbox.faults.clear();
    }
  });

  it('server-side apply, status and scale subresources', async () => {
    const applied = await client.apply<Widget>({
      ...W,
      metadata: { name: 'w', namespace: 'c' },
      spec: { color: 'blue' },
    });
    expect(applied.spec).toEqual({ color: 'blue', replicas: 1 });
    expect(
      applied.metadata?.managedFields?.some(
        (f) => (f as { manager?: string }).manager === 'client-test',
      ),
    ).toBe(true);
    await client.applyStatus({
      ...W,
      metadata: { name: 'w', namespace: 'c' },
      status: { replicas: 1, selector: 'app=w' },
    });
    const scale = await client.getScale(W, 'w', 'c');
    expect(scale).toMatchObject({
      kind: 'Scale',
      spec: { replicas: 1 },
      status: { replicas: 1, selector: 'app=w' },
    });
    await client.scale(W, 'w', 'c', 3);
    expect((await client.get<Widget>(W, 'w', 'c')).spec.replicas).toBe(3);
    // the status subresource ignores spec changes and the main resource ignores status changes
    const w = await client.get<Widget>(W, 'w', 'c');
    await client.updateStatus<Widget>({
      ...w,
      spec: { ...w.spec, color: 'red' },
      status: { replicas: 2 },
    });
    const after = await client.get<Widget>(W, 'w', 'c');
    expect(after.spec.color).toBe('blue');
    expect(after.status?.replicas).toBe(2);
  });

  it('finalizers are added and removed with JSON patch guards', async () => {
    const cm = await client.create<ConfigMap>({
      ...CM,
      metadata: { name: 'f', namespace: 'c', finalizers: ['other.io/keep'] },
    });
    const stale = { ...cm };
    const withF = await addFinalizer(client, cm, 'test.opsmith.io/f');
    expect(withF.metadata?.finalizers).toEqual(['other.io/keep', 'test.opsmith.io/f']);
    // the stale copy has an old resourceVersion: the test op fails instead of clobbering
    await expect(addFinalizer(client, stale, 'test.opsmith.io/g')).rejects.toBeInstanceOf(
      InvalidError,
    );
    const without = await removeFinalizer(client, withF, 'test.opsmith.io/f');
    expect(without.metadata?.finalizers).toEqual(['other.io/keep']);
  });

  it('createOrUpdate writes only when something changed', async () => {
    const base: ConfigMap = { ...CM, metadata: { name: 'cou', namespace: 'c' } };
    const set = (o: ConfigMap) => void (o.data = { k: 'v' });
    expect((await createOrUpdate(client, base, set)).operation).toBe('created');
    expect((await createOrUpdate(client, base, set)).operation).toBe('unchanged');
    expect((await createOrUpdate(client, base, (o) => void (o.data = { k: 'w' }))).operation).toBe(
      'updated',
    );
  });

  it('records events.k8s.io/v1 events, folding repeats into a series', async () => {
    const cm = await client.get<ConfigMap>(CM, 'e', 'c');
    const rec = new EventRecorder(client, { reportingController: 'test.opsmith.io/tests' });
    for (let i = 0; i < 3; i++) await rec.normal(cm, 'Synced', 'Reconcile', 'all good');
    await rec.warning(cm, 'Failed', 'Reconcile', 'oops');
    const events = await client.list<UnknownObject>(
      { apiVersion: 'events.k8s.io/v1', kind: 'Event' },
      { namespace: 'c' },
    );
    const synced = events.items.filter((e) => e.reason === 'Synced');
    expect(synced).toHaveLength(1);
    expect(synced[0]).toMatchObject({
      series: { count: 3 },
      reportingController: 'test.opsmith.io/tests',
      regarding: { kind: 'ConfigMap', name: 'e' },
    });
    expect(events.items.filter((e) => e.reason === 'Failed')).toHaveLength(1);
  });
});
