// Bad input never crashes the server: malformed JSON and YAML, wrong apiVersion/kind, oversized
// bodies (413), invalid names, unknown resources, and 1,000 random and mutated bodies, after which
// the server still answers and its state is consistent.
/* eslint-disable @typescript-eslint/no-explicit-any -- API responses are untyped JSON */
import { Agent, request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMap, raw, startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f?.stop();
});

describe('bad input', () => {
  it('answers 400 for malformed JSON and YAML', async () => {
    const json = await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      '{"apiVersion": "v1", kind: ',
    );
    expect(json.status).toBe(400);
    expect(json.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    const yaml = await raw(f, 'POST', '/api/v1/namespaces/default/configmaps', 'a: [1, 2\n  b: }', {
      'content-type': 'application/yaml',
    });
    expect(yaml.status).toBe(400);
    expect(yaml.json().message).toContain('error converting YAML to JSON');
    const array = await raw(f, 'POST', '/api/v1/namespaces/default/configmaps', '[1,2,3]');
    expect(array.status).toBe(400);
    const empty = await raw(f, 'POST', '/api/v1/namespaces/default/configmaps', '');
    expect(empty.status).toBe(400);
  });

  it('accepts YAML bodies', async () => {
    const res = await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n',
      {
        'content-type': 'application/yaml',
      },
    );
    expect(res.status).toBe(201);
  });

  it('rejects a wrong apiVersion or kind', async () => {
    const version = await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      JSON.stringify({ ...configMap('x'), apiVersion: 'apps/v1' }),
    );
    expect(version.status).toBe(400);
    expect(version.json().message).toContain('does not match the expected API version');
    const kind = await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      JSON.stringify({ ...configMap('x'), kind: 'Secret' }),
    );
    expect(kind.status).toBe(400);
  });

  it('answers 413 for bodies over 3 MiB', async () => {
    const big = JSON.stringify(configMap('big', 'default', { blob: 'x'.repeat(3 * 1024 * 1024) }));
    const res = await raw(f, 'POST', '/api/v1/namespaces/default/configmaps', big);
    expect(res.status).toBe(413);
    expect(res.json().reason).toBe('RequestEntityTooLarge');
  });

  it('answers 422 for invalid names and 404 for unknown resources', async () => {
    const bad = await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      JSON.stringify(configMap('Not_Valid')),
    );
    expect(bad.status).toBe(422);
    expect(bad.json().details.causes[0].field).toBe('metadata.name');
    const unknown = await raw(f, 'GET', '/api/v1/namespaces/default/widgets');
    expect(unknown.status).toBe(404);
    expect(unknown.json().message).toBe('the server could not find the requested resource');
    expect((await raw(f, 'GET', '/apis/nope.io/v1/things')).status).toBe(404);
    expect((await raw(f, 'GET', '/nonsense')).status).toBe(404);
  });

  it('warns when storing objects the sandbox does not act on', async () => {
    const res = await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/resourcequotas',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'q' },
        spec: { hard: { pods: '1' } },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.headers.warning).toBe(
      '299 - "kube-sandbox stores ResourceQuotas but does not enforce them"',
    );
  });

  it('answers 415 for unknown patch types and 405 for unsupported verbs', async () => {
    const patch = await raw(f, 'PATCH', '/api/v1/namespaces/default/configmaps/from-yaml', '{}', {
      'content-type': 'text/plain',
    });
    expect(patch.status).toBe(415);
    const post = await raw(f, 'POST', '/api/v1/namespaces/default/configmaps/from-yaml', '{}');
    expect(post.status).toBe(405);
    const list = await raw(f, 'GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    expect(list.status).toBe(405);
  });
});

/** Deterministic PRNG so a failing fuzz run can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fuzz', () => {
  it('survives 1,000 random and mutated bodies with a consistent state', async () => {
    const rnd = prng(1234);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    const randomValue = (depth = 0): unknown => {
      const r = rnd();
      if (depth > 3 || r < 0.2)
        return pick([
          null,
          true,
          false,
          0,
          -1,
          1.5,
          2 ** 53,
          '',
          'x',
          'ünï',
          '../..',
          '%',
          'a'.repeat(300),
        ]);
      if (r < 0.5)
        return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(rnd() * 4) }, () => [
          pick([
            'metadata',
            'spec',
            'status',
            'name',
            'data',
            'items',
            'x',
            '$ref',
            '__proto__',
            'constructor',
          ]),
          randomValue(depth + 1),
        ]),
      );
    };
    const seeds: Array<[string, Record<string, unknown>]> = [
      ['/api/v1/namespaces/default/configmaps', configMap('seed-cm', 'default', { a: 'b' })],
      [
        '/api/v1/namespaces/default/pods',
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'seed-pod' },
          spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }] },
        },
      ],
      [
        '/api/v1/namespaces/default/services',
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'seed-svc' },
          spec: { ports: [{ port: 80 }] },
        },
      ],
      [
        '/apis/apps/v1/namespaces/default/deployments',
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'seed-dep' },
          spec: {
            selector: { matchLabels: { a: 'b' } },
            template: {
              metadata: { labels: { a: 'b' } },
              spec: { containers: [{ name: 'c', image: 'i' }] },
            },
          },
        },
      ],
      [
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'fuzzes.f.io' },
          spec: {
            group: 'f.io',
            scope: 'Namespaced',
            names: { plural: 'fuzzes', kind: 'Fuzz' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: {
                  openAPIV3Schema: {
                    type: 'object',
                    properties: {
                      spec: { type: 'object', properties: { n: { type: 'integer' } } },
                    },
                  },
                },
              },
            ],
          },
        },
      ],
      [
        '/apis/rbac.authorization.k8s.io/v1/clusterroles',
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'seed-role' },
          rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
        },
      ],
    ];
    const mutate = (obj: unknown, depth = 0): unknown => {
      if (typeof obj !== 'object' || obj === null || depth > 6)
        return rnd() < 0.3 ? randomValue() : obj;
      const copy: any = Array.isArray(obj) ? [...obj] : { ...obj };
      const keys = Object.keys(copy);
      const r = rnd();
      if (keys.length && r < 0.25) delete copy[pick(keys)];
      else if (keys.length && r < 0.6) copy[pick(keys)] = mutate(copy[pick(keys)], depth + 1);
      else if (r < 0.8)
        copy[pick(['extra', 'metadata', 'spec', 'finalizers', 'ownerReferences'])] = randomValue();
      else if (keys.length) {
        const k = pick(keys);
        copy[k] = mutate(copy[k], depth + 1);
      }
      return copy;
    };
    const agent = new Agent({ keepAlive: true, maxSockets: 8, ca: f.sandbox.caPem });
    const send = (
      method: string,
      path: string,
      body: Buffer,
      contentType: string,
    ): Promise<[number, string]> =>
      new Promise((resolve, reject) => {
        const req = request(new URL(path, f.sandbox.server), {
          method,
          agent,
          headers: {
            authorization: `Bearer ${f.sandbox.token}`,
            'content-type': contentType,
            'content-length': body.length,
          },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('utf8')));
          res.on('end', () => resolve([res.statusCode ?? 0, text]));
        });
        req.on('error', reject);
        req.end(body);
      });
    const statuses = new Map<number, number>();
    const serverErrors: string[] = [];
    const jobs: Array<() => Promise<void>> = [];
    for (let i = 0; i < 1000; i++) {
      jobs.push(async () => {
        const [collection, seed] = pick(seeds);
        const name = (seed.metadata as { name: string }).name;
        const kind = rnd();
        let body: Buffer;
        if (kind < 0.15)
          body = Buffer.from(
            Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)),
          );
        else if (kind < 0.3) body = Buffer.from(JSON.stringify(randomValue()));
        else {
          const text = JSON.stringify(mutate(seed));
          body = Buffer.from(rnd() < 0.1 ? text.slice(0, Math.floor(rnd() * text.length)) : text);
        }
        const op = rnd();
        let method = 'POST';
        let path = collection;
        let contentType = pick([
          'application/json',
          'application/yaml',
          'application/json',
          'text/plain',
        ]);
        if (op < 0.3) {
          method = 'PUT';
          path = `${collection}/${name}`;
        } else if (op < 0.6) {
          method = 'PATCH';
          path = `${collection}/${name}${rnd() < 0.5 ? '?fieldManager=fuzz' : ''}`;
          contentType = pick([
            'application/json-patch+json',
            'application/merge-patch+json',
            'application/strategic-merge-patch+json',
            'application/apply-patch+yaml',
          ]);
        } else if (op < 0.65) {
          method = 'DELETE';
          path = `${collection}/${name}`;
        } else if (op < 0.7) {
          path = `${collection}/${name}/status`;
          method = 'PUT';
        }
        const [status, answer] = await send(method, path, body, contentType);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        // A 500 Status the server means (e.g. "failed to create typed patch object", as the real
        // server answers) is fine; an unexpected exception surfaces as InternalError.
        if (
          status >= 500 &&
          (!answer.startsWith('{') ||
            (JSON.parse(answer) as { reason?: string }).reason === 'InternalError')
        )
          serverErrors.push(
            `${method} ${path} ${contentType} ${body.toString('utf8').slice(0, 300)} -> ${answer.slice(0, 400)}`,
          );
      });
      // Re-seed valid objects now and then so updates and patches have targets.
      if (i % 50 === 0) {
        for (const [collection, seed] of seeds)
          jobs.push(
            async () =>
              void (await send(
                'POST',
                collection,
                Buffer.from(JSON.stringify(seed)),
                'application/json',
              )),
          );
      }
    }
    for (let i = 0; i < jobs.length; i += 8)
      await Promise.all(jobs.slice(i, i + 8).map((j) => j()));
    agent.destroy();
    expect(serverErrors).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1000);

    // Still serving, and the state is consistent.
    expect((await raw(f, 'GET', '/readyz')).status).toBe(200);
    await f.sandbox.settle();
    const store = f.sandbox.core.store;
    const current = store.currentRv();
    const uids = new Set<string>();
    for (const [gr, obj] of store.entries()) {
      const meta = obj.metadata!;
      expect(typeof meta.name).toBe('string');
      expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(uids.has(meta.uid!)).toBe(false);
      uids.add(meta.uid!);
      expect(Number(meta.resourceVersion)).toBeLessThanOrEqual(current);
      expect(gr).toContain('/');
    }
    const list = (await raw(f, 'GET', '/api/v1/configmaps')).json();
    expect(list.items.length).toBe(store.list('/configmaps').length);
    expect(
      (
        await raw(
          f,
          'POST',
          '/api/v1/namespaces/default/configmaps',
          JSON.stringify(configMap('after-fuzz')),
        )
      ).status,
    ).toBe(201);
  });
});
