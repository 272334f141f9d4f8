import { describe, expect, it } from 'vitest';
import type { KubeObject, RequestAttributes, UserInfo } from '../core/types.ts';
import { GVR } from './gvr.ts';
import { bootstrapRbacObjects, createRbacAuthorizer, ruleAllows } from './index.ts';
import { MemoryLookup } from './memory-lookup.ts';

const sa: UserInfo = {
  username: 'system:serviceaccount:ns1:op',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated'],
};

function res(
  verb: string,
  resource: string,
  extra: Partial<RequestAttributes> = {},
): RequestAttributes {
  return {
    user: sa,
    verb,
    resourceRequest: true,
    apiGroup: '',
    resource,
    namespace: 'ns1',
    ...extra,
  };
}

function path(verb: string, p: string, user: UserInfo = sa): RequestAttributes {
  return { user, verb, resourceRequest: false, path: p };
}

describe('rule matching', () => {
  const allows = (rule: object, attrs: RequestAttributes) => ruleAllows(attrs, rule);

  it('verbs, groups and resources incl. wildcards', () => {
    expect(
      allows({ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, res('get', 'pods')),
    ).toBe(true);
    expect(
      allows({ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, res('list', 'pods')),
    ).toBe(false);
    expect(
      allows({ apiGroups: ['apps'], resources: ['pods'], verbs: ['get'] }, res('get', 'pods')),
    ).toBe(false);
    expect(
      allows(
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        res('delete', 'deployments', { apiGroup: 'apps' }),
      ),
    ).toBe(true);
  });

  it('subresources need their own entry; */scale covers every scale', () => {
    expect(
      allows(
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
        res('get', 'pods', { subresource: 'log' }),
      ),
    ).toBe(false);
    expect(
      allows(
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
        res('get', 'pods', { subresource: 'log' }),
      ),
    ).toBe(true);
    expect(
      allows({ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }, res('get', 'pods')),
    ).toBe(false);
    const scale = { apiGroups: ['*'], resources: ['*/scale'], verbs: ['update'] };
    expect(
      allows(scale, res('update', 'statefulsets', { apiGroup: 'apps', subresource: 'scale' })),
    ).toBe(true);
    expect(allows(scale, res('update', 'statefulsets', { apiGroup: 'apps' }))).toBe(false);
    expect(
      allows(
        { apiGroups: ['*'], resources: ['*'], verbs: ['get'] },
        res('get', 'pods', { subresource: 'status' }),
      ),
    ).toBe(true);
  });

  it('resourceNames only grant requests that name the object', () => {
    const rule = {
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['lock'],
      verbs: ['get', 'update', 'list', 'watch', 'create', 'deletecollection'],
    };
    expect(allows(rule, res('get', 'configmaps', { name: 'lock' }))).toBe(true);
    expect(allows(rule, res('get', 'configmaps', { name: 'other' }))).toBe(false);
    for (const verb of ['list', 'watch', 'create', 'deletecollection'])
      expect(allows(rule, res(verb, 'configmaps'))).toBe(false);
  });

  it('nonResourceURLs with exact paths and trailing *', () => {
    const rule = { nonResourceURLs: ['/metrics', '/apis/*'], verbs: ['get'] };
    expect(allows(rule, path('get', '/metrics'))).toBe(true);
    expect(allows(rule, path('get', '/metrics/cadvisor'))).toBe(false);
    expect(allows(rule, path('get', '/apis/apps/v1'))).toBe(true);
    expect(allows(rule, path('post', '/metrics'))).toBe(false);
    expect(allows({ nonResourceURLs: ['*'], verbs: ['*'] }, path('get', '/anything'))).toBe(true);
    expect(allows(rule, res('get', 'pods'))).toBe(false);
  });
});

function lookupWith(...objs: [typeof GVR.roles, KubeObject][]): MemoryLookup {
  const l = new MemoryLookup();
  for (const o of bootstrapRbacObjects())
    l.put(o.kind === 'ClusterRole' ? GVR.clusterRoles : GVR.clusterRoleBindings, o);
  for (const [gvr, o] of objs) l.put(gvr, o);
  return l;
}

const roleRef = (kind: string, name: string) => ({
  apiGroup: 'rbac.authorization.k8s.io',
  kind,
  name,
});
const saSubject = (namespace?: string) => ({
  kind: 'ServiceAccount',
  name: 'op',
  ...(namespace ? { namespace } : {}),
});

describe('RBAC authorizer', () => {
  it('denies by default with an empty reason, and always allows system:masters', async () => {
    const authz = createRbacAuthorizer(lookupWith());
    expect(await authz.authorize(res('list', 'pods'))).toEqual({ allowed: false, reason: '' });
    expect(
      await authz.authorize({
        ...res('delete', 'nodes'),
        user: { username: 'admin', groups: ['system:masters'] },
      }),
    ).toMatchObject({ allowed: true });
  });

  it('a RoleBinding grants only in its namespace; a SA subject defaults to that namespace', async () => {
    const authz = createRbacAuthorizer(
      lookupWith(
        [
          GVR.roles,
          {
            metadata: { name: 'pod-reader', namespace: 'ns1' },
            rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
          },
        ],
        [
          GVR.roleBindings,
          {
            metadata: { name: 'op-reads', namespace: 'ns1' },
            roleRef: roleRef('Role', 'pod-reader'),
            subjects: [saSubject()],
          },
        ],
      ),
    );
    expect(await authz.authorize(res('list', 'pods'))).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "op-reads/ns1" of Role "pod-reader" to ServiceAccount "ns1/op"',
    });
    expect((await authz.authorize(res('list', 'pods', { namespace: 'ns2' }))).allowed).toBe(false);
    expect((await authz.authorize(res('list', 'pods', { namespace: undefined }))).allowed).toBe(
      false,
    );
    expect((await authz.authorize(res('delete', 'pods'))).allowed).toBe(false);
  });

  it('a RoleBinding to a ClusterRole grants that role within the namespace only', async () => {
    const authz = createRbacAuthorizer(
      lookupWith(
        [
          GVR.clusterRoles,
          {
            metadata: { name: 'lease-user' },
            rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['*'] }],
          },
        ],
        [
          GVR.roleBindings,
          {
            metadata: { name: 'b', namespace: 'ns1' },
            roleRef: roleRef('ClusterRole', 'lease-user'),
            subjects: [saSubject('ns1')],
          },
        ],
      ),
    );
    expect(
      (
        await authz.authorize(
          res('update', 'leases', { apiGroup: 'coordination.k8s.io', name: 'lock' }),
        )
      ).allowed,
    ).toBe(true);
    expect(
      (
        await authz.authorize(
          res('update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-system' }),
        )
      ).allowed,
    ).toBe(false);
  });

  it('a ClusterRoleBinding grants cluster-wide and for cluster-scoped resources', async () => {
    const authz = createRbacAuthorizer(
      lookupWith(
        [
          GVR.clusterRoles,
          {
            metadata: { name: 'crd-reader' },
            rules: [
              {
                apiGroups: ['apiextensions.k8s.io'],
                resources: ['customresourcedefinitions'],
                verbs: ['get', 'list'],
              },
            ],
          },
        ],
        [
          GVR.clusterRoleBindings,
          {
            metadata: { name: 'op-crds' },
            roleRef: roleRef('ClusterRole', 'crd-reader'),
            subjects: [saSubject('ns1')],
          },
        ],
      ),
    );
    const attrs = res('list', 'customresourcedefinitions', {
      apiGroup: 'apiextensions.k8s.io',
      namespace: undefined,
    });
    expect(await authz.authorize(attrs)).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "op-crds" of ClusterRole "crd-reader" to ServiceAccount "ns1/op"',
    });
    expect(
      (
        await authz.authorize({
          ...attrs,
          user: { username: 'system:serviceaccount:ns2:op', groups: [] },
        })
      ).allowed,
    ).toBe(false);
  });

  it('matches User and Group subjects', async () => {
    const authz = createRbacAuthorizer(
      lookupWith(
        [
          GVR.clusterRoles,
          {
            metadata: { name: 'r' },
            rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }],
          },
        ],
        [
          GVR.clusterRoleBindings,
          {
            metadata: { name: 'b' },
            roleRef: roleRef('ClusterRole', 'r'),
            subjects: [
              { kind: 'User', name: 'jane' },
              { kind: 'Group', name: 'ops' },
            ],
          },
        ],
      ),
    );
    const nodes = (user: UserInfo) => ({ ...res('get', 'nodes', { namespace: undefined }), user });
    expect((await authz.authorize(nodes({ username: 'jane', groups: [] }))).allowed).toBe(true);
    expect((await authz.authorize(nodes({ username: 'bob', groups: ['ops'] }))).allowed).toBe(true);
    expect((await authz.authorize(nodes({ username: 'bob', groups: [] }))).allowed).toBe(false);
  });

  it('explains a binding to a missing role', async () => {
    const authz = createRbacAuthorizer(
      lookupWith([
        GVR.roleBindings,
        {
          metadata: { name: 'b', namespace: 'ns1' },
          roleRef: roleRef('Role', 'ghost'),
          subjects: [saSubject()],
        },
      ]),
    );
    expect(await authz.authorize(res('get', 'pods'))).toEqual({
      allowed: false,
      reason: 'RBAC: role.rbac.authorization.k8s.io "ghost" not found',
    });
  });

  it('bootstrap roles let every authenticated user discover the API and review itself, nothing more', async () => {
    const authz = createRbacAuthorizer(lookupWith());
    for (const p of ['/api', '/apis/apps/v1', '/version', '/healthz', '/openapi/v2'])
      expect((await authz.authorize(path('get', p))).allowed).toBe(true);
    expect((await authz.authorize(path('get', '/metrics'))).allowed).toBe(false);
    const ssar = res('create', 'selfsubjectaccessreviews', {
      apiGroup: 'authorization.k8s.io',
      namespace: undefined,
    });
    expect((await authz.authorize(ssar)).allowed).toBe(true);
    expect((await authz.authorize(res('get', 'secrets'))).allowed).toBe(false);
  });

  it('aggregated admin/edit/view roles carry their rules transitively', async () => {
    const bind = (role: string) =>
      createRbacAuthorizer(
        lookupWith([
          GVR.roleBindings,
          {
            metadata: { name: 'b', namespace: 'ns1' },
            roleRef: roleRef('ClusterRole', role),
            subjects: [saSubject()],
          },
        ]),
      );
    const view = bind('view');
    expect((await view.authorize(res('list', 'pods'))).allowed).toBe(true);
    expect((await view.authorize(res('get', 'secrets'))).allowed).toBe(false);
    expect((await view.authorize(res('create', 'pods'))).allowed).toBe(false);
    const edit = bind('edit');
    expect((await edit.authorize(res('create', 'pods'))).allowed).toBe(true);
    expect((await edit.authorize(res('list', 'pods'))).allowed).toBe(true);
    expect(
      (await edit.authorize(res('create', 'roles', { apiGroup: 'rbac.authorization.k8s.io' })))
        .allowed,
    ).toBe(false);
    const admin = bind('admin');
    expect(
      (await admin.authorize(res('create', 'roles', { apiGroup: 'rbac.authorization.k8s.io' })))
        .allowed,
    ).toBe(true);
    expect(
      (
        await admin.authorize(
          res('patch', 'deployments', { apiGroup: 'apps', subresource: 'scale' }),
        )
      ).allowed,
    ).toBe(true);
    expect((await admin.authorize(res('get', 'statefulsets', { apiGroup: 'apps' }))).allowed).toBe(
      true,
    );
  });

  it('sees RBAC changes immediately (no cache)', async () => {
    const lookup = lookupWith();
    const authz = createRbacAuthorizer(lookup);
    expect((await authz.authorize(res('get', 'configmaps'))).allowed).toBe(false);
    lookup.put(GVR.roles, {
      metadata: { name: 'r', namespace: 'ns1' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    });
    lookup.put(GVR.roleBindings, {
      metadata: { name: 'b', namespace: 'ns1' },
      roleRef: roleRef('Role', 'r'),
      subjects: [saSubject()],
    });
    expect((await authz.authorize(res('get', 'configmaps'))).allowed).toBe(true);
  });
});

describe('rules enumeration (SelfSubjectRulesReview)', () => {
  it('lists the rules of every binding that applies, and flags missing roles', () => {
    const authz = createRbacAuthorizer(
      lookupWith(
        [
          GVR.roles,
          {
            metadata: { name: 'r', namespace: 'ns1' },
            rules: [
              {
                apiGroups: [''],
                resources: ['configmaps'],
                resourceNames: ['lock'],
                verbs: ['get'],
              },
            ],
          },
        ],
        [
          GVR.roleBindings,
          {
            metadata: { name: 'b', namespace: 'ns1' },
            roleRef: roleRef('Role', 'r'),
            subjects: [saSubject()],
          },
        ],
        [
          GVR.roleBindings,
          {
            metadata: { name: 'g', namespace: 'ns1' },
            roleRef: roleRef('Role', 'ghost'),
            subjects: [saSubject()],
          },
        ],
      ),
    );
    const rules = authz.rulesFor(sa, 'ns1');
    expect(rules.resourceRules).toContainEqual({
      verbs: ['get'],
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['lock'],
    });
    expect(rules.resourceRules).toContainEqual({
      verbs: ['create'],
      apiGroups: ['authorization.k8s.io'],
      resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
    });
    expect(rules.nonResourceRules.some((r) => r.nonResourceURLs.includes('/version'))).toBe(true);
    expect(rules).toMatchObject({
      incomplete: true,
      evaluationError: 'role.rbac.authorization.k8s.io "ghost" not found',
    });
    expect(
      authz.rulesFor(sa, 'ns2').resourceRules.some((r) => r.resources.includes('configmaps')),
    ).toBe(false);
  });
});
