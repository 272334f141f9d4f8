// Authentication and authorization: service-account tokens from TokenRequest, TokenReview, RBAC
// allowing exactly what a Role grants (403 naming verb/resource/namespace otherwise), access reviews.
/* eslint-disable @typescript-eslint/no-explicit-any -- API responses are untyped JSON */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMap, kubectl, raw, startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
let saToken: string;
beforeAll(async () => {
  f = await startFixture();
  const post = async (path: string, obj: unknown): Promise<any> => {
    const res = await raw(f, 'POST', path, JSON.stringify(obj));
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${res.body}`);
    return res.json();
  };
  await post('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team' },
  });
  await post('/api/v1/namespaces/team/serviceaccounts', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'reader' },
  });
  await post('/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'cm-reader' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
  });
  await post('/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'team' }],
  });
  await post('/api/v1/namespaces/team/configmaps', configMap('visible', 'team'));
  const tr = await post('/api/v1/namespaces/team/serviceaccounts/reader/token', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  saToken = tr.status.token;
});
afterAll(async () => {
  await f?.stop();
});

describe('authentication', () => {
  it('issues service-account tokens that TokenReview verifies', async () => {
    expect(saToken.split('.')).toHaveLength(3);
    const review = (
      await raw(
        f,
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        JSON.stringify({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token: saToken },
        }),
      )
    ).json();
    expect(review.status.authenticated).toBe(true);
    expect(review.status.user.username).toBe('system:serviceaccount:team:reader');
    expect(review.status.user.groups).toEqual(
      expect.arrayContaining(['system:serviceaccounts', 'system:serviceaccounts:team']),
    );
    const bad = (
      await raw(
        f,
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        JSON.stringify({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token: 'x.y.z' },
        }),
      )
    ).json();
    expect(bad.status.authenticated).toBeFalsy();
  });
});

describe('RBAC', () => {
  it('allows what the Role grants', async () => {
    const res = await raw(
      f,
      'GET',
      '/api/v1/namespaces/team/configmaps/visible',
      undefined,
      {},
      saToken,
    );
    expect(res.status).toBe(200);
  });

  it('forbids a missing rule with a message naming user, verb, resource and namespace', async () => {
    const create = await raw(
      f,
      'POST',
      '/api/v1/namespaces/team/configmaps',
      JSON.stringify(configMap('nope', 'team')),
      {},
      saToken,
    );
    expect(create.status).toBe(403);
    expect(create.json()).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(create.json().message).toContain(
      'configmaps is forbidden: User "system:serviceaccount:team:reader" cannot create resource "configmaps" in API group "" in the namespace "team"',
    );
    const secrets = await raw(f, 'GET', '/api/v1/namespaces/team/secrets', undefined, {}, saToken);
    expect(secrets.status).toBe(403);
    expect(secrets.json().message).toContain(
      'cannot list resource "secrets" in API group "" in the namespace "team"',
    );
    const other = await raw(
      f,
      'GET',
      '/api/v1/namespaces/default/configmaps',
      undefined,
      {},
      saToken,
    );
    expect(other.status).toBe(403);
    const nodes = await raw(f, 'GET', '/api/v1/nodes', undefined, {}, saToken);
    expect(nodes.json().message).toContain(
      'cannot list resource "nodes" in API group "" at the cluster scope',
    );
  });

  it('authorizes non-resource paths: discovery allowed, others forbidden', async () => {
    expect((await raw(f, 'GET', '/apis', undefined, {}, saToken)).status).toBe(200);
    const metrics = await raw(f, 'GET', '/metrics', undefined, {}, saToken);
    expect(metrics.status).toBe(403);
    expect(metrics.json().message).toBe(
      'forbidden: User "system:serviceaccount:team:reader" cannot get path "/metrics"',
    );
    const rules = await kubectl(f, ['auth', 'can-i', '--list', '-n', 'team', '--token', saToken]);
    expect(rules.stdout).toMatch(/^configmaps\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
  });

  it('answers access reviews', async () => {
    const ssar = (
      await raw(
        f,
        'POST',
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        JSON.stringify({
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: { namespace: 'team', verb: 'delete', resource: 'configmaps' },
          },
        }),
        {},
        saToken,
      )
    ).json();
    expect(ssar.status.allowed).toBe(false);
    const sar = (
      await raw(
        f,
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        JSON.stringify({
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: 'system:serviceaccount:team:reader',
            groups: ['system:serviceaccounts'],
            resourceAttributes: { namespace: 'team', verb: 'watch', resource: 'configmaps' },
          },
        }),
      )
    ).json();
    expect(sar.status.allowed).toBe(true);
  });

  it('works for client-node and kubectl with a service-account token', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: 'c',
          server: f.sandbox.server,
          caData: Buffer.from(f.sandbox.caPem).toString('base64'),
        },
      ],
      users: [{ name: 'u', token: saToken }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'team' }],
      currentContext: 'x',
    });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: 'team' });
    expect(list.items.map((i) => i.metadata?.name)).toContain('visible');
    await expect(
      core.deleteNamespacedConfigMap({ namespace: 'team', name: 'visible' }),
    ).rejects.toMatchObject({ code: 403 });
    const canI = await kubectl(f, [
      'auth',
      'can-i',
      'delete',
      'configmaps',
      '-n',
      'team',
      '--token',
      saToken,
    ]);
    expect(canI.stdout.trim()).toBe('no');
    const whoami = await kubectl(f, [
      'auth',
      'whoami',
      '--token',
      saToken,
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    expect(whoami.stdout).toBe('system:serviceaccount:team:reader');
  });
});
