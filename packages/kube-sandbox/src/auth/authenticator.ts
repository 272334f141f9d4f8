// Bearer-token authentication: the admin token, and service-account JWTs checked for signature,
// time, audience, and that the account (and the pod or secret it is bound to) still exists with
// the uid the token names.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { errors, fieldErrors } from '../core/errors.ts';
import type { Authenticator, ObjectLookup } from '../core/contracts.ts';
import type { KubeObject, UserInfo } from '../core/types.ts';
import { GVR } from './gvr.ts';
import { signJwt, verifyJwt } from './jwt.ts';
import {
  buildClaims,
  checkClaims,
  serviceAccountUser,
  type BoundObject,
  type ServiceAccountIdentity,
} from './sa-claims.ts';
import type { SigningKey } from './signing-key.ts';

export const ADMIN_USER: UserInfo = {
  username: 'admin',
  groups: ['system:masters', 'system:authenticated'],
};

export const DEFAULT_EXPIRATION_SECONDS = 3600;
export const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** What the kubelet asks for its projected tokens; the real server then extends them to a year. */
export const KUBELET_TOKEN_SECONDS = 3607;
const EXTENDED_TOKEN_SECONDS = 365 * 24 * 60 * 60;

export interface AuthenticatorOptions {
  adminToken: string;
  issuer: string;
  /** Audiences the API server itself accepts; tokens for other audiences do not authenticate. */
  apiAudiences: string[];
  lookup: ObjectLookup;
  key: () => Promise<SigningKey>;
  now: () => Date;
}

export type TokenCheck =
  | { ok: true; user: UserInfo; audiences: string[] }
  | { ok: false; error: string };

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function uidOf(obj: KubeObject | undefined): string | undefined {
  return obj?.metadata?.uid;
}

export interface SandboxAuthenticator extends Authenticator {
  /** Full check for TokenReview: which audiences to accept, and why a token fails. */
  check(token: string, audiences?: string[]): Promise<TokenCheck>;
}

export function createAuthenticator(opts: AuthenticatorOptions): SandboxAuthenticator {
  /** Whether the objects a token names still exist with the same uids. */
  function stillValid(id: ServiceAccountIdentity): boolean {
    if (uidOf(opts.lookup.get(GVR.serviceAccounts, id.namespace, id.name)) !== id.uid) return false;
    if (id.pod) {
      const pod = opts.lookup.get(GVR.pods, id.namespace, id.pod.name);
      if (uidOf(pod) !== id.pod.uid) return false;
      // A pod being deleted keeps its token until its grace period (deletionTimestamp) has passed.
      const deletion = Date.parse(pod?.metadata?.deletionTimestamp ?? '');
      if (!Number.isNaN(deletion) && deletion < opts.now().getTime()) return false;
    }
    if (
      id.secret &&
      uidOf(opts.lookup.get(GVR.secrets, id.namespace, id.secret.name)) !== id.secret.uid
    )
      return false;
    return true;
  }

  async function check(
    token: string,
    audiences: string[] = opts.apiAudiences,
  ): Promise<TokenCheck> {
    if (token === '') return { ok: false, error: 'token is empty' };
    if (sameSecret(token, opts.adminToken)) return { ok: true, user: ADMIN_USER, audiences };
    const key = await opts.key();
    const verified = verifyJwt(token, key.publicKey);
    if (!verified.ok) return { ok: false, error: `invalid bearer token, ${verified.error}` };
    const claims = checkClaims(verified.claims, {
      issuer: opts.issuer,
      audiences,
      now: opts.now(),
    });
    if (!claims.ok) return { ok: false, error: `invalid bearer token, ${claims.error}` };
    if (!stillValid(claims.identity))
      return {
        ok: false,
        error: 'invalid bearer token, service account token has been invalidated',
      };
    return {
      ok: true,
      user: serviceAccountUser(claims.identity),
      audiences: claims.identity.audiences,
    };
  }

  return {
    check,
    async authenticate(token) {
      const result = await check(token);
      return result.ok ? result.user : undefined;
    },
    async issueServiceAccountToken(args) {
      const expirationSeconds = args.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
      if (expirationSeconds < MIN_EXPIRATION_SECONDS) {
        throw errors.invalid('TokenRequest', 'authentication.k8s.io', args.serviceAccountName, [
          fieldErrors.invalid(
            'spec.expirationSeconds',
            expirationSeconds,
            'may not specify a duration less than 10 minutes',
          ),
        ]);
      }
      if (expirationSeconds > MAX_EXPIRATION_SECONDS) {
        throw errors.invalid('TokenRequest', 'authentication.k8s.io', args.serviceAccountName, [
          fieldErrors.invalid(
            'spec.expirationSeconds',
            expirationSeconds,
            'may not specify a duration larger than 2^32 seconds',
          ),
        ]);
      }
      const bound: BoundObject | undefined = args.boundObject;
      let node: { name: string; uid: string } | undefined;
      if (bound?.kind === 'Pod') {
        const pod = opts.lookup.get(GVR.pods, args.namespace, bound.name);
        if (!pod || uidOf(pod) !== bound.uid) {
          throw errors.notFound('pods', '', bound.name);
        }
        const nodeName = (pod['spec'] as { nodeName?: unknown } | undefined)?.nodeName;
        if (typeof nodeName === 'string' && nodeName !== '') {
          const nodeUid = uidOf(opts.lookup.get(GVR.nodes, undefined, nodeName));
          if (nodeUid) node = { name: nodeName, uid: nodeUid };
        }
      }
      const audiences =
        args.audiences && args.audiences.length > 0 ? args.audiences : opts.apiAudiences;
      // Like --service-account-extend-token-expiration (default on): a pod-bound token for the API
      // requested for 3607 s lives a year, with a warnafter claim at 3607 s.
      const extended =
        expirationSeconds === KUBELET_TOKEN_SECONDS &&
        bound?.kind === 'Pod' &&
        audiences.every((a) => opts.apiAudiences.includes(a));
      const now = opts.now();
      const key = await opts.key();
      const claims = buildClaims({
        issuer: opts.issuer,
        namespace: args.namespace,
        serviceAccountName: args.serviceAccountName,
        serviceAccountUid: args.serviceAccountUid,
        audiences,
        expirationSeconds: extended ? EXTENDED_TOKEN_SECONDS : expirationSeconds,
        ...(extended ? { warnAfterSeconds: expirationSeconds } : {}),
        ...(bound ? { boundObject: bound } : {}),
        ...(node ? { node } : {}),
        jti: randomUUID(),
        now,
      });
      // The status reports the requested lifetime, even for an extended token.
      const expiration = new Date((claims['iat'] as number) * 1000 + expirationSeconds * 1000);
      return {
        token: signJwt(claims, key.privateKey, key.kid),
        expirationTimestamp: expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      };
    },
  };
}
