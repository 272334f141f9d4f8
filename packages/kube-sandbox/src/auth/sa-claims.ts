// Service-account token claims as a real cluster's bound tokens carry them, and the pure checks
// on them (time, issuer, audience). Whether the account and bound pod still exist is checked
// against the store by the authenticator.
import type { UserInfo } from '../core/types.ts';
import type { JwtClaims } from './jwt.ts';

export const DEFAULT_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
export const SA_PREFIX = 'system:serviceaccount:';

export interface BoundObject {
  kind: 'Pod' | 'Secret';
  name: string;
  uid: string;
}

export interface TokenSpec {
  issuer: string;
  namespace: string;
  serviceAccountName: string;
  serviceAccountUid: string;
  audiences: string[];
  expirationSeconds: number;
  boundObject?: BoundObject;
  /** The node a bound pod runs on (real tokens carry it since v1.30). */
  node?: { name: string; uid: string };
  jti: string;
  now: Date;
  /** Kubelet-style extended tokens: valid for expirationSeconds, "warn after" this many seconds. */
  warnAfterSeconds?: number;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SA_PREFIX}${namespace}:${name}`;
}

export function buildClaims(spec: TokenSpec): JwtClaims {
  const iat = Math.floor(spec.now.getTime() / 1000);
  const k8s: Record<string, unknown> = {
    namespace: spec.namespace,
    serviceaccount: { name: spec.serviceAccountName, uid: spec.serviceAccountUid },
  };
  if (spec.boundObject?.kind === 'Pod') {
    k8s['pod'] = { name: spec.boundObject.name, uid: spec.boundObject.uid };
    if (spec.node) k8s['node'] = spec.node;
  }
  if (spec.boundObject?.kind === 'Secret')
    k8s['secret'] = { name: spec.boundObject.name, uid: spec.boundObject.uid };
  if (spec.warnAfterSeconds !== undefined) k8s['warnafter'] = iat + spec.warnAfterSeconds;
  return {
    aud: spec.audiences,
    exp: iat + spec.expirationSeconds,
    iat,
    iss: spec.issuer,
    jti: spec.jti,
    'kubernetes.io': k8s,
    nbf: iat,
    sub: serviceAccountUsername(spec.namespace, spec.serviceAccountName),
  };
}

/** What a valid token says, read from its claims. */
export interface ServiceAccountIdentity {
  namespace: string;
  name: string;
  uid: string;
  pod?: { name: string; uid: string };
  secret?: { name: string; uid: string };
  node?: { name: string; uid: string };
  jti?: string;
  audiences: string[];
}

const LEEWAY_SECONDS = 60;

function ref(v: unknown): { name: string; uid: string } | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { name, uid } = v as { name?: unknown; uid?: unknown };
  return typeof name === 'string' && typeof uid === 'string' ? { name, uid } : undefined;
}

/** Checks issuer, time window and audience; returns the identity or an error worded like the server's. */
export function checkClaims(
  claims: JwtClaims,
  args: { issuer: string; audiences: string[]; now: Date },
): { ok: true; identity: ServiceAccountIdentity } | { ok: false; error: string } {
  if (claims['iss'] !== args.issuer) return { ok: false, error: 'token issuer is not trusted' };
  const now = Math.floor(args.now.getTime() / 1000);
  const exp = claims['exp'];
  if (typeof exp !== 'number' || now > exp + LEEWAY_SECONDS)
    return { ok: false, error: 'service account token has expired' };
  const nbf = claims['nbf'];
  if (typeof nbf === 'number' && now + LEEWAY_SECONDS < nbf)
    return { ok: false, error: 'service account token is not valid yet' };
  const aud = Array.isArray(claims['aud'])
    ? claims['aud'].map(String)
    : typeof claims['aud'] === 'string'
      ? [claims['aud']]
      : [];
  const matched = aud.filter((a) => args.audiences.includes(a));
  if (matched.length === 0) {
    return {
      ok: false,
      error: `token audiences ${JSON.stringify(aud)} is invalid for the target audiences ${JSON.stringify(args.audiences)}`,
    };
  }
  const k8s = claims['kubernetes.io'];
  const sub = claims['sub'];
  if (
    typeof k8s !== 'object' ||
    k8s === null ||
    typeof sub !== 'string' ||
    !sub.startsWith(SA_PREFIX)
  ) {
    return { ok: false, error: 'token is not a service account token' };
  }
  const { namespace } = k8s as { namespace?: unknown };
  const sa = ref((k8s as { serviceaccount?: unknown }).serviceaccount);
  if (typeof namespace !== 'string' || !sa || sub !== serviceAccountUsername(namespace, sa.name)) {
    return { ok: false, error: 'token is not a service account token' };
  }
  const identity: ServiceAccountIdentity = {
    namespace,
    name: sa.name,
    uid: sa.uid,
    audiences: matched,
  };
  const pod = ref((k8s as { pod?: unknown }).pod);
  const secret = ref((k8s as { secret?: unknown }).secret);
  const node = ref((k8s as { node?: unknown }).node);
  if (pod) identity.pod = pod;
  if (secret) identity.secret = secret;
  if (node) identity.node = node;
  if (typeof claims['jti'] === 'string') identity.jti = claims['jti'];
  return { ok: true, identity };
}

/** The user a valid service-account token authenticates as. */
export function serviceAccountUser(id: ServiceAccountIdentity): UserInfo {
  const extra: Record<string, string[]> = {};
  if (id.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${id.jti}`];
  if (id.node) {
    extra['authentication.kubernetes.io/node-name'] = [id.node.name];
    extra['authentication.kubernetes.io/node-uid'] = [id.node.uid];
  }
  if (id.pod) {
    extra['authentication.kubernetes.io/pod-name'] = [id.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [id.pod.uid];
  }
  const user: UserInfo = {
    username: serviceAccountUsername(id.namespace, id.name),
    uid: id.uid,
    groups: [
      'system:serviceaccounts',
      `system:serviceaccounts:${id.namespace}`,
      'system:authenticated',
    ],
  };
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}
