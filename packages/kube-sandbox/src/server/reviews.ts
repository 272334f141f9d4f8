// Create-only virtual resources: TokenReview, SubjectAccessReview, SelfSubjectAccessReview and
// LocalSubjectAccessReview. Nothing is stored; the response echoes the spec with a status.
import { errors } from '../core/errors.ts';
import type { KubeObject, RequestAttributes } from '../core/types.ts';
import type { ApiCore, RequestContext } from './api.ts';
import type { ResourceDef } from './registry.ts';
import { isPlainObject } from './util.ts';

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

export async function handleReview(
  core: ApiCore,
  def: ResourceDef,
  namespace: string | undefined,
  body: KubeObject,
  ctx: RequestContext,
): Promise<KubeObject> {
  if (def.info.resource === 'selfsubjectreviews') {
    const u = ctx.user;
    return {
      apiVersion: `${def.info.group}/${def.info.version}`,
      kind: def.info.kind,
      metadata: { creationTimestamp: null },
      status: {
        userInfo: {
          username: u.username,
          ...(u.uid ? { uid: u.uid } : {}),
          groups: u.groups,
          ...(u.extra ? { extra: u.extra } : {}),
        },
      },
    } as unknown as KubeObject;
  }
  if (def.info.resource === 'selfsubjectrulesreviews' && core.authExtras.selfSubjectRulesReview) {
    const spec = (isPlainObject(body?.spec) ? body.spec : {}) as { namespace?: string };
    return {
      apiVersion: `${def.info.group}/${def.info.version}`,
      kind: def.info.kind,
      metadata: { creationTimestamp: null },
      spec,
      status: core.authExtras.selfSubjectRulesReview(ctx.user, spec.namespace ?? ''),
    } as unknown as KubeObject;
  }
  if (def.info.resource === 'selfsubjectrulesreviews') {
    // Rule enumeration is not implemented: answer honestly that the list is incomplete.
    return {
      apiVersion: `${def.info.group}/${def.info.version}`,
      kind: def.info.kind,
      metadata: { creationTimestamp: null },
      spec: isPlainObject(body?.spec) ? body.spec : {},
      status: {
        resourceRules: [],
        nonResourceRules: [],
        incomplete: true,
        evaluationError: 'kube-sandbox does not enumerate rules; use SelfSubjectAccessReview',
      },
    } as unknown as KubeObject;
  }
  if (!isPlainObject(body) || !isPlainObject(body.spec)) {
    throw errors.invalid(def.info.kind, def.info.group, '', [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec' },
    ]);
  }
  const spec = body.spec;
  const kindName = def.info.kind;
  const extras = core.authExtras;
  if (kindName === 'TokenReview' && extras.reviewToken) {
    const status = await extras.reviewToken(body);
    return {
      apiVersion: `${def.info.group}/${def.info.version}`,
      kind: kindName,
      metadata: { creationTimestamp: null },
      spec,
      status,
    } as unknown as KubeObject;
  }
  if (
    (kindName === 'SubjectAccessReview' ||
      kindName === 'SelfSubjectAccessReview' ||
      kindName === 'LocalSubjectAccessReview') &&
    extras.subjectAccessReview
  ) {
    const status = await extras.subjectAccessReview({
      kind: kindName,
      body,
      requester: ctx.user,
      ...(namespace ? { namespace } : {}),
    });
    return {
      apiVersion: `${def.info.group}/${def.info.version}`,
      kind: kindName,
      metadata: { ...(namespace ? { namespace } : {}), creationTimestamp: null },
      spec,
      status,
    } as unknown as KubeObject;
  }
  const base = {
    apiVersion: `${def.info.group}/${def.info.version}`,
    kind: def.info.kind,
    metadata: { ...(body.metadata ?? {}), creationTimestamp: null },
    spec,
  };
  if (def.info.resource === 'tokenreviews') {
    const token = typeof spec.token === 'string' ? spec.token : '';
    const user = token ? await core.authenticator.authenticate(token) : undefined;
    return {
      ...base,
      status: user
        ? {
            authenticated: true,
            user: {
              username: user.username,
              ...(user.uid ? { uid: user.uid } : {}),
              groups: user.groups,
              ...(user.extra ? { extra: user.extra } : {}),
            },
            audiences: Array.isArray(spec.audiences)
              ? spec.audiences
              : ['https://kubernetes.default.svc.cluster.local'],
          }
        : { user: {}, error: 'invalid bearer token' },
    } as unknown as KubeObject;
  }
  const self = def.info.resource === 'selfsubjectaccessreviews';
  const user = self
    ? ctx.user
    : {
        username: String(spec.user ?? ''),
        groups: Array.isArray(spec.groups) ? (spec.groups as string[]) : [],
        ...(typeof spec.uid === 'string' ? { uid: spec.uid } : {}),
        ...(isPlainObject(spec.extra) ? { extra: spec.extra as Record<string, string[]> } : {}),
      };
  if (!self && !user.username && user.groups.length === 0) {
    throw errors.invalid(def.info.kind, def.info.group, '', [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "": at least one of user or group must be specified',
        field: 'spec.user',
      },
    ]);
  }
  let attrs: RequestAttributes;
  if (isPlainObject(spec.resourceAttributes)) {
    const ra = spec.resourceAttributes as ResourceAttributes;
    const ns = def.info.resource === 'localsubjectaccessreviews' ? namespace : ra.namespace;
    if (
      def.info.resource === 'localsubjectaccessreviews' &&
      ra.namespace &&
      ra.namespace !== namespace
    ) {
      throw errors.invalid(def.info.kind, def.info.group, '', [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${ra.namespace}": must match metadata.namespace`,
          field: 'spec.resourceAttributes.namespace',
        },
      ]);
    }
    attrs = {
      user,
      verb: ra.verb ?? '',
      resourceRequest: true,
      apiGroup: ra.group ?? '',
      apiVersion: ra.version ?? '',
      resource: ra.resource ?? '',
      ...(ra.subresource ? { subresource: ra.subresource } : {}),
      ...(ns ? { namespace: ns } : {}),
      ...(ra.name ? { name: ra.name } : {}),
    };
  } else if (isPlainObject(spec.nonResourceAttributes)) {
    const nra = spec.nonResourceAttributes as { path?: string; verb?: string };
    attrs = { user, verb: nra.verb ?? '', resourceRequest: false, path: nra.path ?? '' };
  } else {
    throw errors.invalid(def.info.kind, def.info.group, '', [
      {
        reason: 'FieldValueRequired',
        message:
          'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
        field: 'spec.resourceAttributes',
      },
    ]);
  }
  const decision = await core.authorizer.authorize(attrs);
  return {
    ...base,
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  } as unknown as KubeObject;
}
