// RBAC authorization over the Role/ClusterRole/(Cluster)RoleBinding objects in the store, read
// through ObjectLookup on every request (no cache to go stale). system:masters is always allowed.
import type { Authorizer, ObjectLookup } from '../core/contracts.ts';
import {
  SYSTEM_MASTERS,
  type KubeObject,
  type RequestAttributes,
  type UserInfo,
} from '../core/types.ts';
import { GVR } from './gvr.ts';
import {
  describeSubject,
  ruleAllows,
  subjectMatches,
  type PolicyRule,
  type Subject,
} from './rbac-rules.ts';

type Decision = { allowed: boolean; reason: string };

function rulesOf(role: KubeObject | undefined): PolicyRule[] {
  const rules = role?.['rules'];
  return Array.isArray(rules)
    ? (rules.filter((r) => typeof r === 'object' && r !== null) as PolicyRule[])
    : [];
}

function subjectsOf(binding: KubeObject): Subject[] {
  const subjects = binding['subjects'];
  return Array.isArray(subjects)
    ? (subjects.filter((s) => typeof s === 'object' && s !== null) as Subject[])
    : [];
}

function labelsMatch(selector: unknown, labels: Record<string, string> | undefined): boolean {
  if (typeof selector !== 'object' || selector === null) return false;
  const { matchLabels, matchExpressions } = selector as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  const l = labels ?? {};
  for (const [k, v] of Object.entries(matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of Array.isArray(matchExpressions) ? matchExpressions : []) {
    const has = Object.hasOwn(l, e.key);
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(l[e.key]))) return false;
    if (e.operator === 'NotIn' && has && values.includes(l[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** SelfSubjectRulesReview status: the rules that apply to a user in a namespace. */
export interface SubjectRules {
  resourceRules: {
    verbs: string[];
    apiGroups: string[];
    resources: string[];
    resourceNames?: string[];
  }[];
  nonResourceRules: { verbs: string[]; nonResourceURLs: string[] }[];
  incomplete: boolean;
  evaluationError?: string;
}

export interface RbacAuthorizer extends Authorizer {
  rulesFor(user: UserInfo, namespace: string): SubjectRules;
}

export function createRbacAuthorizer(lookup: ObjectLookup): RbacAuthorizer {
  /**
   * A ClusterRole's rules plus those of every ClusterRole its aggregationRule selects, followed
   * transitively (admin <- edit <- view), as the aggregation controller would have filled them in.
   */
  function clusterRoleRules(role: KubeObject, seen = new Set<string>()): PolicyRule[] {
    seen.add(role.metadata?.name ?? '');
    const rules = [...rulesOf(role)];
    const aggregation = role['aggregationRule'] as { clusterRoleSelectors?: unknown[] } | undefined;
    const selectors = Array.isArray(aggregation?.clusterRoleSelectors)
      ? aggregation.clusterRoleSelectors
      : [];
    if (selectors.length === 0) return rules;
    for (const other of lookup.list(GVR.clusterRoles)) {
      if (seen.has(other.metadata?.name ?? '')) continue;
      if (selectors.some((s) => labelsMatch(s, other.metadata?.labels)))
        rules.push(...clusterRoleRules(other, seen));
    }
    return rules;
  }

  interface RuleSource {
    /** How the real authorizer names the grant in its "allowed by" reason. */
    describe: string;
    rules: PolicyRule[];
  }

  /**
   * Every binding that applies to `user` in `namespace` (cluster bindings first, then the
   * namespace's role bindings), with the rules of the role it references. Bindings to missing
   * roles are reported through `problems`, worded like the real authorizer.
   */
  function* sources(user: UserInfo, namespace: string, problems: string[]): Generator<RuleSource> {
    for (const binding of lookup.list(GVR.clusterRoleBindings)) {
      const subject = subjectsOf(binding).find((s) => subjectMatches(s, user, ''));
      if (!subject) continue;
      const ref = (binding['roleRef'] ?? {}) as { kind?: string; name?: string };
      const role =
        ref.kind === 'ClusterRole' && ref.name
          ? lookup.get(GVR.clusterRoles, undefined, ref.name)
          : undefined;
      if (!role) {
        problems.push(`clusterrole.rbac.authorization.k8s.io "${ref.name ?? ''}" not found`);
        continue;
      }
      yield {
        describe: `ClusterRoleBinding "${binding.metadata?.name ?? ''}" of ClusterRole "${ref.name ?? ''}" to ${describeSubject(subject, '')}`,
        rules: clusterRoleRules(role),
      };
    }
    if (namespace === '') return;
    for (const binding of lookup.list(GVR.roleBindings, namespace)) {
      const subject = subjectsOf(binding).find((s) => subjectMatches(s, user, namespace));
      if (!subject) continue;
      const ref = (binding['roleRef'] ?? {}) as { kind?: string; name?: string };
      let rules: PolicyRule[] | undefined;
      if (ref.kind === 'Role' && ref.name) {
        const role = lookup.get(GVR.roles, namespace, ref.name);
        if (role) rules = rulesOf(role);
        else problems.push(`role.rbac.authorization.k8s.io "${ref.name}" not found`);
      } else if (ref.kind === 'ClusterRole' && ref.name) {
        const role = lookup.get(GVR.clusterRoles, undefined, ref.name);
        if (role) rules = clusterRoleRules(role);
        else problems.push(`clusterrole.rbac.authorization.k8s.io "${ref.name}" not found`);
      }
      if (!rules) continue;
      yield {
        describe: `RoleBinding "${binding.metadata?.name ?? ''}/${namespace}" of ${ref.kind ?? ''} "${ref.name ?? ''}" to ${describeSubject(subject, namespace)}`,
        rules,
      };
    }
  }

  function problemText(problems: string[]): string {
    return problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`;
  }

  function decide(attrs: RequestAttributes): Decision {
    if (attrs.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    const problems: string[] = [];
    for (const source of sources(attrs.user, attrs.namespace ?? '', problems)) {
      if (source.rules.some((r) => ruleAllows(attrs, r))) {
        return { allowed: true, reason: `RBAC: allowed by ${source.describe}` };
      }
    }
    if (problems.length === 0) return { allowed: false, reason: '' };
    return { allowed: false, reason: `RBAC: ${problemText(problems)}` };
  }

  function rulesFor(user: UserInfo, namespace: string): SubjectRules {
    const problems: string[] = [];
    const resourceRules: SubjectRules['resourceRules'] = [];
    const nonResourceRules: SubjectRules['nonResourceRules'] = [];
    if (user.groups.includes(SYSTEM_MASTERS)) {
      resourceRules.push({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
      nonResourceRules.push({ verbs: ['*'], nonResourceURLs: ['*'] });
    }
    for (const source of sources(user, namespace, problems)) {
      for (const rule of source.rules) {
        const verbs = rule.verbs ?? [];
        if (rule.nonResourceURLs && rule.nonResourceURLs.length > 0) {
          nonResourceRules.push({ verbs, nonResourceURLs: rule.nonResourceURLs });
        } else {
          resourceRules.push({
            verbs,
            apiGroups: rule.apiGroups ?? [],
            resources: rule.resources ?? [],
            ...(rule.resourceNames && rule.resourceNames.length > 0
              ? { resourceNames: rule.resourceNames }
              : {}),
          });
        }
      }
    }
    const result: SubjectRules = {
      resourceRules,
      nonResourceRules,
      incomplete: problems.length > 0,
    };
    if (problems.length > 0) result.evaluationError = problemText(problems);
    return result;
  }

  return {
    authorize: (attrs) => Promise.resolve(decide(attrs)),
    rulesFor,
  };
}
