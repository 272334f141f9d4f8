// Fault injection (/sandbox endpoints and the library API), pause/resume, closing watches, and
// persistence across a restart with the same data directory.
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../src/sandbox.ts';
import { configMap, raw, sleep, stream, startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f?.stop();
});

const createCm = (name: string): ReturnType<typeof raw> =>
  raw(f, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify(configMap(name)));

describe('fault injection', () => {
  it('fails matching requests with the configured code until cleared', async () => {
    const add = await raw(
      f,
      'POST',
      '/sandbox/faults',
      JSON.stringify({ verb: 'create', resource: 'configmaps', code: 500 }),
    );
    expect(add.status).toBe(201);
    const failed = await createCm('f1');
    expect(failed.status).toBe(500);
    expect(failed.json()).toMatchObject({ kind: 'Status', reason: 'InternalError' });
    expect((await raw(f, 'GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
    expect(
      (
        await raw(
          f,
          'POST',
          '/api/v1/namespaces/default/secrets',
          JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }),
        )
      ).status,
    ).toBe(201);
    expect((await raw(f, 'DELETE', '/sandbox/faults')).status).toBe(200);
    expect((await createCm('f1')).status).toBe(201);
  });

  it('answers 429 with Retry-After and 409 Conflict', async () => {
    f.sandbox.faults.add({ verb: 'get', resource: 'configmaps', code: 429, retryAfterSeconds: 3 });
    const limited = await raw(f, 'GET', '/api/v1/namespaces/default/configmaps/f1');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('3');
    expect(limited.json().details.retryAfterSeconds).toBe(3);
    f.sandbox.faults.clear();
    f.sandbox.faults.add({ verb: 'update', code: 409 });
    const live = (await raw(f, 'GET', '/api/v1/namespaces/default/configmaps/f1')).json();
    const conflict = await raw(
      f,
      'PUT',
      '/api/v1/namespaces/default/configmaps/f1',
      JSON.stringify(live),
    );
    expect(conflict.status).toBe(409);
    expect(conflict.json().reason).toBe('Conflict');
    f.sandbox.faults.clear();
  });

  it('fails a seeded fraction deterministically', async () => {
    const outcomes = async (): Promise<number[]> => {
      f.sandbox.faults.clear();
      f.sandbox.faults.add({
        verb: 'list',
        resource: 'secrets',
        fraction: 0.5,
        seed: 42,
        code: 500,
      });
      const codes: number[] = [];
      for (let i = 0; i < 20; i++)
        codes.push((await raw(f, 'GET', '/api/v1/namespaces/default/secrets')).status);
      return codes;
    };
    const first = await outcomes();
    expect(first).toEqual(await outcomes());
    expect(first.filter((c) => c === 500).length).toBeGreaterThan(0);
    expect(first.filter((c) => c === 200).length).toBeGreaterThan(0);
    f.sandbox.faults.clear();
  });

  it('holds requests for a timeout fault until the client gives up', async () => {
    f.sandbox.faults.add({ verb: 'get', resource: 'configmaps', code: 'timeout' });
    const outcome = await new Promise<string>((resolve) => {
      const req = request(new URL('/api/v1/namespaces/default/configmaps/f1', f.sandbox.server), {
        ca: f.sandbox.caPem,
        headers: { authorization: `Bearer ${f.sandbox.token}` },
        timeout: 300,
      });
      req.on('response', () => resolve('response'));
      req.on('timeout', () => {
        req.destroy();
        resolve('timeout');
      });
      req.on('error', () => resolve('timeout'));
      req.end();
    });
    expect(outcome).toBe('timeout');
    f.sandbox.faults.clear();
  });

  it('refuses the control endpoints to non-admins', async () => {
    await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/serviceaccounts',
      JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'plain' } }),
    );
    const token = (
      await raw(
        f,
        'POST',
        '/api/v1/namespaces/default/serviceaccounts/plain/token',
        JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }),
      )
    ).json().status.token;
    expect((await raw(f, 'POST', '/sandbox/pause', '{}', {}, token)).status).toBe(403);
    expect((await raw(f, 'POST', '/sandbox/pause', '{}', {}, null)).status).toBe(401);
  });

  it('pauses and resumes the server', async () => {
    expect((await raw(f, 'POST', '/sandbox/pause', '{}')).status).toBe(200);
    let done = false;
    const pending = raw(f, 'GET', '/api/v1/namespaces/default/configmaps/f1').then((r) => {
      done = true;
      return r;
    });
    await sleep(100);
    expect(done).toBe(false);
    expect((await raw(f, 'POST', '/sandbox/resume', '{}')).status).toBe(200);
    expect((await pending).status).toBe(200);
  });

  it('closes every open watch', async () => {
    const watching = stream(f, '/api/v1/namespaces/default/configmaps?watch=1', () => false);
    await sleep(50);
    const closed = (await raw(f, 'POST', '/sandbox/watches/close', '{}')).json();
    expect(closed.closed).toBeGreaterThanOrEqual(1);
    expect((await watching).ended).toBe(true);
  });
});

describe('persistence', () => {
  it('keeps objects, CRDs, credentials and a rising resourceVersion across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kube-sandbox-persist-'));
    try {
      const first = await startSandbox({ dataDir: dir, port: 0, compactAfter: 5 });
      const pods = { group: '', version: 'v1', resource: 'configmaps' };
      const created = await first.client.create(pods, configMap('kept'));
      await first.client.create(
        { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' },
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'things.p.io' },
          spec: {
            group: 'p.io',
            scope: 'Cluster',
            names: { plural: 'things', kind: 'Thing' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: {
                  openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
            ],
          },
        },
      );
      await first.client.create(
        { group: 'p.io', version: 'v1', resource: 'things' },
        { apiVersion: 'p.io/v1', kind: 'Thing', metadata: { name: 't' }, x: 1 },
      );
      await first.client.create(pods, configMap('gone'));
      await first.client.delete(pods, 'default', 'gone');
      const lastRv = Number((await first.client.list(pods)).resourceVersion);
      const { token, caPem } = first;
      await first.stop();

      // The log was folded into snapshots along the way (compactAfter: 5) and stays short.
      expect(readFileSync(join(dir, 'store-log.jsonl'), 'utf8').split('\n').length).toBeLessThan(
        10,
      );
      const second = await startSandbox({ dataDir: dir, port: 0 });
      try {
        expect(second.token).toBe(token);
        expect(second.caPem).toBe(caPem);
        expect(await second.client.get(pods, 'default', 'gone')).toBeUndefined();
        const kept = await second.client.get(pods, 'default', 'kept');
        expect(kept?.metadata?.uid).toBe(created.metadata?.uid);
        expect(
          (
            await second.client.get(
              { group: 'p.io', version: 'v1', resource: 'things' },
              undefined,
              't',
            )
          )?.x,
        ).toBe(1);
        const next = await second.client.create(pods, configMap('after'));
        expect(Number(next.metadata?.resourceVersion)).toBeGreaterThan(lastRv);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
