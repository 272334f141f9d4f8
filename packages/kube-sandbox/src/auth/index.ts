// Authentication and authorization for the sandbox API server.
import type { ObjectLookup } from '../core/contracts.ts';
import type { KubeObject, RequestAttributes, UserInfo } from '../core/types.ts';
import type { StatusError } from '../core/errors.ts';
import { createAuthenticator, type SandboxAuthenticator } from './authenticator.ts';
import { createRbacAuthorizer, type RbacAuthorizer, type SubjectRules } from './authorizer.ts';
import { bootstrapRbacObjects } from './bootstrap.ts';
import { forbiddenError } from './forbidden.ts';
import {
  reviewToken,
  subjectAccessReview,
  type AccessReviewKind,
  type AccessReviewStatus,
  type TokenReviewStatus,
} from './reviews.ts';
import { DEFAULT_AUDIENCE } from './sa-claims.ts';
import { loadOrCreateSigningKey, type SigningKey } from './signing-key.ts';

export {
  ADMIN_USER,
  DEFAULT_EXPIRATION_SECONDS,
  KUBELET_TOKEN_SECONDS,
  MIN_EXPIRATION_SECONDS,
} from './authenticator.ts';
export type { SandboxAuthenticator, TokenCheck } from './authenticator.ts';
export { createRbacAuthorizer } from './authorizer.ts';
export type { RbacAuthorizer, SubjectRules } from './authorizer.ts';
export { bootstrapRbacObjects } from './bootstrap.ts';
export {
  forbiddenDetails,
  forbiddenError,
  forbiddenMessage,
  forbiddenReason,
} from './forbidden.ts';
export { ruleAllows, subjectMatches } from './rbac-rules.ts';
export type { PolicyRule, Subject } from './rbac-rules.ts';
export { reviewAttributes } from './reviews.ts';
export type { AccessReviewKind, AccessReviewStatus, TokenReviewStatus } from './reviews.ts';
export { DEFAULT_AUDIENCE, serviceAccountUsername } from './sa-claims.ts';
export { SIGNING_KEY_FILE } from './signing-key.ts';

export interface AuthOptions {
  /** Where the service-account signing key is kept (generated on first use). */
  dataDir: string;
  adminToken: string;
  /** iss of issued tokens; default https://kubernetes.default.svc.cluster.local. */
  issuer?: string;
  /** Audiences the API accepts; default [issuer] plus https://kubernetes.default.svc.cluster.local. */
  apiAudiences?: string[];
  lookup: ObjectLookup;
  /** Clock, for tests. */
  now?: () => Date;
}

export interface SandboxAuth {
  authenticator: SandboxAuthenticator;
  authorizer: RbacAuthorizer;
  /** status for a SelfSubjectRulesReview of `user` in spec.namespace. */
  selfSubjectRulesReview(user: UserInfo, namespace: string): SubjectRules;
  /** status for a TokenReview request body. */
  reviewToken(body: KubeObject): Promise<TokenReviewStatus>;
  /** status for a (Self|Local)SubjectAccessReview body; throws StatusError 422 on an invalid spec. */
  subjectAccessReview(args: {
    kind: AccessReviewKind;
    body: KubeObject;
    requester: UserInfo;
    namespace?: string;
  }): Promise<AccessReviewStatus>;
  /** The 403 to send when authorize() denied `attrs` (reason = the authorizer's reason). */
  forbidden(attrs: RequestAttributes, reason?: string): StatusError;
  /** Default ClusterRoles/ClusterRoleBindings to create at startup. */
  bootstrapRbacObjects(): KubeObject[];
}

export function createAuth(options: AuthOptions): SandboxAuth {
  const issuer = options.issuer ?? DEFAULT_AUDIENCE;
  const apiAudiences = options.apiAudiences ?? [...new Set([issuer, DEFAULT_AUDIENCE])];
  let key: Promise<SigningKey> | undefined;
  const loadKey = () => {
    key ??= loadOrCreateSigningKey(options.dataDir).catch((err: unknown) => {
      key = undefined;
      throw err;
    });
    return key;
  };
  const authenticator = createAuthenticator({
    adminToken: options.adminToken,
    issuer,
    apiAudiences,
    lookup: options.lookup,
    key: loadKey,
    now: options.now ?? (() => new Date()),
  });
  const authorizer = createRbacAuthorizer(options.lookup);
  return {
    authenticator,
    authorizer,
    reviewToken: (body) => reviewToken(authenticator, body),
    subjectAccessReview: (args) => subjectAccessReview(authorizer, args),
    selfSubjectRulesReview: (user, namespace) => authorizer.rulesFor(user, namespace),
    forbidden: forbiddenError,
    bootstrapRbacObjects,
  };
}
export { MemoryLookup } from './memory-lookup.ts';
