// Pure RBAC matching (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac): whether one PolicyRule
// allows a request, and whether a binding subject names a user.
import type { RequestAttributes, UserInfo } from '../core/types.ts';

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
  apiGroup?: string;
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return list(rule.verbs).some((v) => v === '*' || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return list(rule.apiGroups).some((g) => g === '*' || g === group);
}

/** "pods", "pods/log", "*", and "* /scale"-style entries (any resource's scale subresource). */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return list(rule.resources).some((r) => {
    if (r === '*' || r === combined) return true;
    return subresource !== '' && r === `*/${subresource}`;
  });
}

/** A rule with resourceNames only grants requests that name one of them. */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = list(rule.resourceNames);
  if (names.length === 0) return true;
  return name !== '' && names.includes(name);
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return list(rule.nonResourceURLs).some((url) => {
    if (url === '*' || url === path) return true;
    return url.endsWith('*') && path.startsWith(url.slice(0, -1));
  });
}

export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (attrs.resourceRequest) {
    return (
      verbMatches(rule, attrs.verb) &&
      apiGroupMatches(rule, attrs.apiGroup ?? '') &&
      resourceMatches(rule, attrs.resource ?? '', attrs.subresource ?? '') &&
      resourceNameMatches(rule, attrs.name ?? '')
    );
  }
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path ?? '');
}

/** Whether a binding subject applies to `user`; `bindingNamespace` defaults a service account's namespace. */
export function subjectMatches(
  subject: Subject,
  user: UserInfo,
  bindingNamespace: string,
): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.username;
    case 'Group':
      return typeof subject.name === 'string' && user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return ns !== '' && user.username === `system:serviceaccount:${ns}:${subject.name ?? ''}`;
    }
    default:
      return false;
  }
}

/** How the real authorizer names the subject in an "allowed by" reason. */
export function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount')
    return `ServiceAccount "${subject.namespace || bindingNamespace}/${subject.name ?? ''}"`;
  return `${subject.kind ?? ''} "${subject.name ?? ''}"`;
}
