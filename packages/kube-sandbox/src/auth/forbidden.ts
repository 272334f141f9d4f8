// 403 Forbidden wording exactly as k8s.io/apiserver's responsewriters.Forbidden and
// apierrors.NewForbidden produce it, so tests and people read the same text as on a real cluster.
import { errors, qualifiedResource, type StatusDetails, type StatusError } from '../core/errors.ts';
import type { RequestAttributes } from '../core/types.ts';

/** `User "x" cannot list resource "pods" in API group "" in the namespace "ns"`, and friends. */
export function forbiddenReason(attrs: RequestAttributes): string {
  const user = attrs.user.username;
  if (!attrs.resourceRequest)
    return `User "${user}" cannot ${attrs.verb} path "${attrs.path ?? ''}"`;
  const resource = attrs.subresource
    ? `${attrs.resource ?? ''}/${attrs.subresource}`
    : (attrs.resource ?? '');
  const group = attrs.apiGroup ?? '';
  if (attrs.namespace) {
    return `User "${user}" cannot ${attrs.verb} resource "${resource}" in API group "${group}" in the namespace "${attrs.namespace}"`;
  }
  return `User "${user}" cannot ${attrs.verb} resource "${resource}" in API group "${group}" at the cluster scope`;
}

/** The full Status message: `pods "p" is forbidden: User ...` or `forbidden: User ... cannot get path ...`. */
export function forbiddenMessage(attrs: RequestAttributes, authorizerReason = ''): string {
  const why = authorizerReason
    ? `${forbiddenReason(attrs)}: ${authorizerReason}`
    : forbiddenReason(attrs);
  if (!attrs.resourceRequest || !attrs.resource) return `forbidden: ${why}`;
  const qualified = qualifiedResource(attrs.resource, attrs.apiGroup ?? '');
  return attrs.name
    ? `${qualified} "${attrs.name}" is forbidden: ${why}`
    : `${qualified} is forbidden: ${why}`;
}

/** Status details of a Forbidden error: group, kind (the resource), name; empty ones omitted. */
export function forbiddenDetails(attrs: RequestAttributes): StatusDetails {
  const details: StatusDetails = {};
  if (attrs.resourceRequest && attrs.resource) {
    if (attrs.name) details.name = attrs.name;
    if (attrs.apiGroup) details.group = attrs.apiGroup;
    details.kind = attrs.resource;
  }
  return details;
}

export function forbiddenError(attrs: RequestAttributes, authorizerReason = ''): StatusError {
  return errors.forbidden(forbiddenMessage(attrs, authorizerReason), forbiddenDetails(attrs));
}
