import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StatusError } from '../core/errors.ts';
import { GVR } from './gvr.ts';
import { createAuth, SIGNING_KEY_FILE } from './index.ts';
import { MemoryLookup } from './memory-lookup.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kube-sandbox-auth-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const lookup = new MemoryLookup()
    .put(GVR.serviceAccounts, { metadata: { name: 'op', namespace: 'ns1', uid: 'sa-uid' } })
    .put(GVR.pods, {
      metadata: { name: 'op-0', namespace: 'ns1', uid: 'pod-uid' },
      spec: { nodeName: 'sandbox' },
    })
    .put(GVR.nodes, { metadata: { name: 'sandbox', uid: 'node-uid' } });
  let clock = new Date('2024-05-01T12:00:00Z');
  const dataDir = tempDir();
  const auth = createAuth({ dataDir, adminToken: 'admin-secret', lookup, now: () => clock });
  return {
    auth,
    lookup,
    dataDir,
    advance: (s: number) => (clock = new Date(clock.getTime() + s * 1000)),
  };
}

const sa = { namespace: 'ns1', serviceAccountName: 'op', serviceAccountUid: 'sa-uid' };

function decode(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

describe('authenticator', () => {
  it('maps the admin token to system:masters and rejects unknown tokens', async () => {
    const { auth } = setup();
    expect(await auth.authenticator.authenticate('admin-secret')).toEqual({
      username: 'admin',
      groups: ['system:masters', 'system:authenticated'],
    });
    expect(await auth.authenticator.authenticate('nope')).toBeUndefined();
    expect(await auth.authenticator.authenticate('')).toBeUndefined();
  });

  it('issues service-account JWTs with real-cluster claims and authenticates them', async () => {
    const { auth, dataDir } = setup();
    const { token, expirationTimestamp } = await auth.authenticator.issueServiceAccountToken(sa);
    expect(expirationTimestamp).toBe('2024-05-01T13:00:00Z');
    const header = JSON.parse(
      Buffer.from(token.split('.')[0], 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    expect(header['alg']).toBe('RS256');
    expect(typeof header['kid']).toBe('string');
    const claims = decode(token);
    expect(claims).toMatchObject({
      aud: ['https://kubernetes.default.svc.cluster.local'],
      iss: 'https://kubernetes.default.svc.cluster.local',
      sub: 'system:serviceaccount:ns1:op',
      'kubernetes.io': { namespace: 'ns1', serviceaccount: { name: 'op', uid: 'sa-uid' } },
    });
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(3600);
    expect(claims['nbf']).toBe(claims['iat']);
    const user = await auth.authenticator.authenticate(token);
    expect(user).toMatchObject({
      username: 'system:serviceaccount:ns1:op',
      uid: 'sa-uid',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated'],
    });
    expect(statSync(join(dataDir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('keeps the signing key across restarts of the same data dir', async () => {
    const { auth, dataDir, lookup } = setup();
    const { token } = await auth.authenticator.issueServiceAccountToken(sa);
    const again = createAuth({
      dataDir,
      adminToken: 'x',
      lookup,
      now: () => new Date('2024-05-01T12:00:00Z'),
    });
    expect(await again.authenticator.authenticate(token)).toMatchObject({
      username: 'system:serviceaccount:ns1:op',
    });
    const other = createAuth({
      dataDir: tempDir(),
      adminToken: 'x',
      lookup,
      now: () => new Date('2024-05-01T12:00:00Z'),
    });
    expect(await other.authenticator.authenticate(token)).toBeUndefined();
  });

  it('rejects expired tokens', async () => {
    const { auth, advance } = setup();
    const { token } = await auth.authenticator.issueServiceAccountToken({
      ...sa,
      expirationSeconds: 600,
    });
    advance(500);
    expect(await auth.authenticator.authenticate(token)).toBeDefined();
    advance(600);
    expect(await auth.authenticator.check(token)).toEqual({
      ok: false,
      error: 'invalid bearer token, service account token has expired',
    });
  });

  it('rejects tokens of a deleted or recreated service account', async () => {
    const { auth, lookup } = setup();
    const { token } = await auth.authenticator.issueServiceAccountToken(sa);
    lookup.remove(GVR.serviceAccounts, 'ns1', 'op');
    expect(await auth.authenticator.check(token)).toEqual({
      ok: false,
      error: 'invalid bearer token, service account token has been invalidated',
    });
    lookup.put(GVR.serviceAccounts, { metadata: { name: 'op', namespace: 'ns1', uid: 'new-uid' } });
    expect(await auth.authenticator.authenticate(token)).toBeUndefined();
  });

  it('binds tokens to a pod: pod and node claims, invalid once the pod is gone', async () => {
    const { auth, lookup, advance } = setup();
    const { token } = await auth.authenticator.issueServiceAccountToken({
      ...sa,
      boundObject: { kind: 'Pod', name: 'op-0', uid: 'pod-uid' },
    });
    expect(decode(token)['kubernetes.io']).toMatchObject({
      pod: { name: 'op-0', uid: 'pod-uid' },
      node: { name: 'sandbox', uid: 'node-uid' },
    });
    const user = await auth.authenticator.authenticate(token);
    expect(user?.extra).toMatchObject({
      'authentication.kubernetes.io/pod-name': ['op-0'],
      'authentication.kubernetes.io/pod-uid': ['pod-uid'],
      'authentication.kubernetes.io/node-name': ['sandbox'],
    });
    // Graceful deletion: valid until the deletionTimestamp passes.
    lookup.put(GVR.pods, {
      metadata: {
        name: 'op-0',
        namespace: 'ns1',
        uid: 'pod-uid',
        deletionTimestamp: '2024-05-01T12:00:30Z',
      },
    });
    expect(await auth.authenticator.authenticate(token)).toBeDefined();
    advance(60);
    expect(await auth.authenticator.authenticate(token)).toBeUndefined();
    lookup.remove(GVR.pods, 'ns1', 'op-0');
    expect(await auth.authenticator.authenticate(token)).toBeUndefined();
    await expect(
      auth.authenticator.issueServiceAccountToken({
        ...sa,
        boundObject: { kind: 'Pod', name: 'op-0', uid: 'pod-uid' },
      }),
    ).rejects.toThrow('pods "op-0" not found');
  });

  it('extends kubelet-style pod-bound 3607 s tokens to a year with a warnafter claim', async () => {
    const { auth, advance } = setup();
    const issued = await auth.authenticator.issueServiceAccountToken({
      ...sa,
      expirationSeconds: 3607,
      boundObject: { kind: 'Pod', name: 'op-0', uid: 'pod-uid' },
    });
    expect(issued.expirationTimestamp).toBe('2024-05-01T13:00:07Z');
    const claims = decode(issued.token);
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(365 * 24 * 3600);
    expect(claims['kubernetes.io']).toMatchObject({ warnafter: (claims['iat'] as number) + 3607 });
    advance(7200);
    expect(await auth.authenticator.authenticate(issued.token)).toBeDefined();
  });

  it('checks audiences: API requests need an API audience', async () => {
    const { auth } = setup();
    const { token } = await auth.authenticator.issueServiceAccountToken({
      ...sa,
      audiences: ['vault'],
    });
    expect(await auth.authenticator.authenticate(token)).toBeUndefined();
    expect(await auth.reviewToken({ spec: { token, audiences: ['vault'] } })).toMatchObject({
      authenticated: true,
      audiences: ['vault'],
    });
    expect(await auth.reviewToken({ spec: { token } })).toEqual({
      user: {},
      error:
        '[invalid bearer token, token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]]',
    });
  });

  it('rejects tampered and malformed tokens', async () => {
    const { auth } = setup();
    const { token } = await auth.authenticator.issueServiceAccountToken(sa);
    const [h, , s] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...decode(token), sub: 'system:serviceaccount:kube-system:admin' }),
    ).toString('base64url');
    expect(await auth.authenticator.check(`${h}.${forged}.${s}`)).toEqual({
      ok: false,
      error: 'invalid bearer token, invalid signature',
    });
    expect(await auth.authenticator.authenticate('a.b.c')).toBeUndefined();
    expect(await auth.authenticator.authenticate('not-a-jwt')).toBeUndefined();
  });

  it('enforces the minimum expiration of TokenRequest', async () => {
    const { auth } = setup();
    const err = await auth.authenticator
      .issueServiceAccountToken({ ...sa, expirationSeconds: 60 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(422);
    expect((err as StatusError).message).toContain(
      'spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
  });

  it('TokenReview reports the user of a valid token', async () => {
    const { auth } = setup();
    const { token } = await auth.authenticator.issueServiceAccountToken(sa);
    expect(
      await auth.reviewToken({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      }),
    ).toMatchObject({
      authenticated: true,
      user: {
        username: 'system:serviceaccount:ns1:op',
        uid: 'sa-uid',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated'],
      },
      audiences: ['https://kubernetes.default.svc.cluster.local'],
    });
    expect(await auth.reviewToken({ spec: {} })).toMatchObject({
      user: {},
      error: '[token is empty]',
    });
  });
});
