// Subresources: pods/binding, pods/eviction against PodDisruptionBudgets, pods/log without a node,
// pods/status, deployments/scale, and the in-process client's subresource paths.
/* eslint-disable @typescript-eslint/no-explicit-any -- API responses are untyped JSON */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
  await raw(
    f,
    'POST',
    '/api/v1/namespaces',
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sub' } }),
  );
});
afterAll(async () => {
  await f?.stop();
});

const pod = (name: string, labels: Record<string, string> = {}): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: {
    containers: [
      { name: 'main', image: 'busybox' },
      { name: 'side', image: 'busybox' },
    ],
  },
});

async function post(path: string, obj: unknown): Promise<any> {
  const res = await raw(f, 'POST', path, JSON.stringify(obj));
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${res.body}`);
  return res.json();
}

describe('pods', () => {
  it('binds a pod to a node once', async () => {
    await post('/api/v1/namespaces/sub/pods', pod('bindme'));
    const bind = await raw(
      f,
      'POST',
      '/api/v1/namespaces/sub/pods/bindme/binding',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'bindme' },
        target: { kind: 'Node', name: 'node-1' },
      }),
    );
    expect(bind.status).toBe(201);
    const live = (await raw(f, 'GET', '/api/v1/namespaces/sub/pods/bindme')).json();
    expect(live.spec.nodeName).toBe('node-1');
    expect(
      live.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled').status,
    ).toBe('True');
    const again = await raw(
      f,
      'POST',
      '/api/v1/namespaces/sub/pods/bindme/binding',
      JSON.stringify({ target: { name: 'node-2' } }),
    );
    expect(again.status).toBe(409);
    expect(again.json().message).toContain('is already assigned to node "node-1"');
  });

  it('writes pod status through the status subresource only', async () => {
    const live = (await raw(f, 'GET', '/api/v1/namespaces/sub/pods/bindme')).json();
    const res = await raw(
      f,
      'PUT',
      '/api/v1/namespaces/sub/pods/bindme/status',
      JSON.stringify({ ...live, status: { ...live.status, phase: 'Running' } }),
    );
    expect(res.status).toBe(200);
    expect(res.json().status.phase).toBe('Running');
    const patched = await raw(
      f,
      'PATCH',
      '/api/v1/namespaces/sub/pods/bindme/status',
      JSON.stringify({ status: { podIP: '10.244.0.9' } }),
      {
        'content-type': 'application/strategic-merge-patch+json',
      },
    );
    expect(patched.json().status).toMatchObject({ phase: 'Running', podIP: '10.244.0.9' });
  });

  it('explains that logs need a node when none runs', async () => {
    const many = await raw(f, 'GET', '/api/v1/namespaces/sub/pods/bindme/log');
    expect(many.status).toBe(400);
    expect(many.json().message).toBe(
      'a container name must be specified for pod bindme, choose one of: [main side]',
    );
    const res = await raw(f, 'GET', '/api/v1/namespaces/sub/pods/bindme/log?container=main');
    expect(res.status).toBe(400);
    expect(res.json().message).toContain('container "main" in pod "bindme" is not available');
  });

  it('evicts pods while the PodDisruptionBudget allows it, then answers 429', async () => {
    await post('/api/v1/namespaces/sub/pods', pod('ev-1', { app: 'ev' }));
    await post('/api/v1/namespaces/sub/pods', pod('ev-2', { app: 'ev' }));
    const pdb = await post('/apis/policy/v1/namespaces/sub/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'ev' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'ev' } } },
    });
    // PDB status is the disruption controller's job; set it as that controller would.
    await raw(
      f,
      'PUT',
      '/apis/policy/v1/namespaces/sub/poddisruptionbudgets/ev/status',
      JSON.stringify({
        ...pdb,
        status: {
          observedGeneration: 1,
          disruptionsAllowed: 1,
          currentHealthy: 2,
          desiredHealthy: 1,
          expectedPods: 2,
        },
      }),
    );
    const eviction = (name: string): unknown => ({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace: 'sub' },
    });
    const first = await raw(
      f,
      'POST',
      '/api/v1/namespaces/sub/pods/ev-1/eviction',
      JSON.stringify(eviction('ev-1')),
    );
    expect(first.status).toBe(201);
    expect((await raw(f, 'GET', '/api/v1/namespaces/sub/pods/ev-1')).status).toBe(404);
    const after = (
      await raw(f, 'GET', '/apis/policy/v1/namespaces/sub/poddisruptionbudgets/ev')
    ).json();
    expect(after.status.disruptionsAllowed).toBe(0);
    expect(Object.keys(after.status.disruptedPods)).toEqual(['ev-1']);
    const second = await raw(
      f,
      'POST',
      '/api/v1/namespaces/sub/pods/ev-2/eviction',
      JSON.stringify(eviction('ev-2')),
    );
    expect(second.status).toBe(429);
    expect(second.json().message).toBe(
      "Cannot evict pod as it would violate the pod's disruption budget.",
    );
    expect(second.json().details.causes[0]).toMatchObject({
      reason: 'DisruptionBudget',
      message: 'The disruption budget ev needs 1 healthy pods and has 2 currently',
    });
  });
});

describe('scale', () => {
  it('reads and writes deployments/scale', async () => {
    await post('/apis/apps/v1/namespaces/sub/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sc' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'sc' } },
        template: {
          metadata: { labels: { app: 'sc' } },
          spec: { containers: [{ name: 'c', image: 'x' }] },
        },
      },
    });
    const scale = (await raw(f, 'GET', '/apis/apps/v1/namespaces/sub/deployments/sc/scale')).json();
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 1 },
      status: { selector: 'app=sc' },
    });
    const put = await raw(
      f,
      'PUT',
      '/apis/apps/v1/namespaces/sub/deployments/sc/scale',
      JSON.stringify({ ...scale, spec: { replicas: 5 } }),
    );
    expect(put.json().spec.replicas).toBe(5);
    const stale = await raw(
      f,
      'PUT',
      '/apis/apps/v1/namespaces/sub/deployments/sc/scale',
      JSON.stringify({ ...scale, spec: { replicas: 6 } }),
    );
    expect(stale.status).toBe(409);
    const negative = await raw(
      f,
      'PATCH',
      '/apis/apps/v1/namespaces/sub/deployments/sc/scale',
      JSON.stringify({ spec: { replicas: -1 } }),
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(negative.status).toBe(422);
  });
});

describe('in-process client', () => {
  const pods = { group: '', version: 'v1', resource: 'pods' };
  it('creates, patches, binds, watches and deletes with HTTP semantics', async () => {
    const client = f.sandbox.client;
    const seen: string[] = [];
    const handle = client.watch(pods, { namespace: 'sub', labelSelector: 'via=client' }, (ev) =>
      seen.push(`${ev.type} ${ev.object.metadata?.name}`),
    );
    const created = await client.create(pods, {
      ...(pod('inproc', { via: 'client' }) as object),
      metadata: { name: 'inproc', namespace: 'sub', labels: { via: 'client' } },
    });
    expect(created.metadata?.uid).toBeDefined();
    const patched = await client.patch(pods, 'sub', 'inproc', 'merge', {
      metadata: { annotations: { a: 'b' } },
    });
    expect(patched.metadata?.annotations).toEqual({ a: 'b' });
    await client.create(
      pods,
      { metadata: { name: 'inproc', namespace: 'sub' }, target: { name: 'n1' } },
      { subresource: 'binding' },
    );
    expect((await client.get(pods, 'sub', 'inproc'))?.spec).toMatchObject({ nodeName: 'n1' });
    await expect(client.update(pods, { ...created })).rejects.toMatchObject({ code: 409 });
    await client.delete(pods, 'sub', 'inproc');
    expect(await client.get(pods, 'sub', 'inproc')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 10));
    handle.stop();
    expect(seen).toEqual(['ADDED inproc', 'MODIFIED inproc', 'MODIFIED inproc', 'DELETED inproc']);
  });
});

describe('streams kube-sandbox does not implement', () => {
  it('answers 405 for attach, port-forward, proxy and exec without a WebSocket upgrade', async () => {
    await post('/api/v1/namespaces/sub/pods', pod('streams'));
    for (const sub of ['attach', 'portforward', 'proxy']) {
      const res = await raw(f, 'POST', `/api/v1/namespaces/sub/pods/streams/${sub}`, '{}');
      expect(res.status, sub).toBe(405);
      expect(res.json().message).toBe(
        `pods/${sub} is not implemented by kube-sandbox (no attach, port-forward or proxy streams)`,
      );
    }
    const exec = await raw(f, 'POST', '/api/v1/namespaces/sub/pods/streams/exec?command=ls', '{}');
    expect(exec.status).toBe(405);
    expect(exec.json().message).toContain('pods/exec needs a WebSocket upgrade');
  });

  it('refuses a TTY and answers exec without a node with a clear error', async () => {
    const { request } = await import('node:https');
    const upgrade = (query: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const req = request(
          new URL(`/api/v1/namespaces/sub/pods/streams/exec?${query}`, f.sandbox.server),
          {
            ca: f.sandbox.caPem,
            headers: {
              authorization: `Bearer ${f.sandbox.token}`,
              connection: 'Upgrade',
              upgrade: 'websocket',
              'sec-websocket-version': '13',
              'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
              'sec-websocket-protocol': 'v5.channel.k8s.io',
            },
          },
        );
        req.on('response', (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, body: '' });
        });
        req.on('error', reject);
        req.end();
      });
    const tty = await upgrade('command=sh&tty=true&stdout=true');
    expect(tty.status).toBe(400);
    expect(JSON.parse(tty.body).message).toContain('does not support a TTY');
    const noNode = await upgrade('command=ls&stdout=true');
    expect(noNode.status).toBe(400);
    expect(JSON.parse(noNode.body).message).toContain('this sandbox runs no node');
  });
});
