// TokenReview and the SubjectAccessReview family (SubjectAccessReview, SelfSubjectAccessReview,
// LocalSubjectAccessReview): request bodies in, review statuses out, as the real server fills them.
import { errors, fieldErrors, type StatusCause } from '../core/errors.ts';
import type { Authorizer } from '../core/contracts.ts';
import type { KubeObject, RequestAttributes, UserInfo } from '../core/types.ts';
import type { SandboxAuthenticator } from './authenticator.ts';

export interface TokenReviewStatus {
  authenticated?: boolean;
  user: Partial<UserInfo>;
  audiences?: string[];
  error?: string;
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** status of a TokenReview for `body` (its spec.token and optional spec.audiences). */
export async function reviewToken(
  authenticator: SandboxAuthenticator,
  body: KubeObject,
): Promise<TokenReviewStatus> {
  const spec = record(body['spec']);
  const token = typeof spec['token'] === 'string' ? spec['token'] : '';
  const audiences = strings(spec['audiences']);
  const result = await authenticator.check(token, audiences.length > 0 ? audiences : undefined);
  if (!result.ok) return { user: {}, error: `[${result.error}]` };
  const user: Partial<UserInfo> = { username: result.user.username, groups: result.user.groups };
  if (result.user.uid) user.uid = result.user.uid;
  if (result.user.extra) user.extra = result.user.extra;
  return { authenticated: true, user, audiences: result.audiences };
}

export type AccessReviewKind =
  | 'SubjectAccessReview'
  | 'SelfSubjectAccessReview'
  | 'LocalSubjectAccessReview';

export interface AccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** The request attributes an access review asks about; throws 422 Invalid like the real server. */
export function reviewAttributes(
  kind: AccessReviewKind,
  body: KubeObject,
  requester: UserInfo,
  namespace?: string,
): RequestAttributes {
  const spec = record(body['spec']);
  const resourceAttrs = spec['resourceAttributes'];
  const nonResourceAttrs = spec['nonResourceAttributes'];
  const causes: StatusCause[] = [];
  const hasResource = typeof resourceAttrs === 'object' && resourceAttrs !== null;
  const hasNonResource = typeof nonResourceAttrs === 'object' && nonResourceAttrs !== null;
  if (hasResource && hasNonResource) {
    causes.push(
      fieldErrors.invalid(
        'spec.nonResourceAttributes',
        nonResourceAttrs,
        'cannot be specified in combination with resourceAttributes',
      ),
    );
  } else if (!hasResource && !hasNonResource) {
    causes.push(
      fieldErrors.invalid(
        'spec.resourceAttributes',
        null,
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    );
  }
  let user: UserInfo;
  if (kind === 'SelfSubjectAccessReview') {
    user = requester;
  } else {
    const username = typeof spec['user'] === 'string' ? spec['user'] : '';
    const groups = strings(spec['groups']);
    if (username === '' && groups.length === 0) {
      causes.push(
        fieldErrors.invalid(
          'spec.user',
          username,
          'at least one of user or group must be specified',
        ),
      );
    }
    user = { username, groups };
    if (typeof spec['uid'] === 'string') user.uid = spec['uid'];
    const extra = record(spec['extra']);
    if (Object.keys(extra).length > 0)
      user.extra = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, strings(v)]));
  }
  const ra = record(resourceAttrs);
  if (kind === 'LocalSubjectAccessReview') {
    if (hasNonResource)
      causes.push(
        fieldErrors.invalid(
          'spec.nonResourceAttributes',
          nonResourceAttrs,
          'disallowed on this kind of request',
        ),
      );
    if (hasResource && ra['namespace'] !== namespace) {
      causes.push(
        fieldErrors.invalid(
          'spec.resourceAttributes.namespace',
          ra['namespace'] ?? '',
          'must match metadata.namespace',
        ),
      );
    }
  }
  if (causes.length > 0) {
    const group = 'authorization.k8s.io';
    throw errors.invalid(kind, group, body.metadata?.name ?? '', causes);
  }
  if (hasNonResource) {
    const nra = record(nonResourceAttrs);
    return {
      user,
      verb: String(nra['verb'] ?? ''),
      resourceRequest: false,
      path: String(nra['path'] ?? ''),
    };
  }
  const attrs: RequestAttributes = { user, verb: String(ra['verb'] ?? ''), resourceRequest: true };
  const copy = (from: string, to: keyof RequestAttributes) => {
    if (typeof ra[from] === 'string') (attrs as unknown as Record<string, unknown>)[to] = ra[from];
  };
  copy('group', 'apiGroup');
  copy('version', 'apiVersion');
  copy('resource', 'resource');
  copy('subresource', 'subresource');
  copy('namespace', 'namespace');
  copy('name', 'name');
  return attrs;
}

/** Evaluates an access review body; returns the status to send back in the response object. */
export async function subjectAccessReview(
  authorizer: Authorizer,
  args: { kind: AccessReviewKind; body: KubeObject; requester: UserInfo; namespace?: string },
): Promise<AccessReviewStatus> {
  const attrs = reviewAttributes(args.kind, args.body, args.requester, args.namespace);
  const decision = await authorizer.authorize(attrs);
  const status: AccessReviewStatus = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return status;
}
