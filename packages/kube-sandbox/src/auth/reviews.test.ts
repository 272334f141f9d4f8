import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { UserInfo } from '../core/types.ts';
import { GVR } from './gvr.ts';
import { createAuth } from './index.ts';
import { MemoryLookup } from './memory-lookup.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'kube-sandbox-reviews-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const lookup = new MemoryLookup();
const auth = createAuth({ dataDir, adminToken: 't', lookup });
for (const o of auth.bootstrapRbacObjects())
  lookup.put(o.kind === 'ClusterRole' ? GVR.clusterRoles : GVR.clusterRoleBindings, o);
lookup.put(GVR.roles, {
  metadata: { name: 'r', namespace: 'ns1' },
  rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }],
});
lookup.put(GVR.roleBindings, {
  metadata: { name: 'b', namespace: 'ns1' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
  subjects: [{ kind: 'ServiceAccount', name: 'op', namespace: 'ns1' }],
});

const requester: UserInfo = {
  username: 'system:serviceaccount:ns1:op',
  groups: ['system:authenticated'],
};

describe('access reviews', () => {
  it('SelfSubjectAccessReview evaluates the requester', async () => {
    const body = {
      spec: {
        resourceAttributes: {
          namespace: 'ns1',
          verb: 'get',
          group: 'apps',
          resource: 'deployments',
        },
      },
    };
    expect(
      await auth.subjectAccessReview({ kind: 'SelfSubjectAccessReview', body, requester }),
    ).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "b/ns1" of Role "r" to ServiceAccount "ns1/op"',
    });
    const denied = {
      spec: {
        resourceAttributes: {
          namespace: 'ns1',
          verb: 'delete',
          group: 'apps',
          resource: 'deployments',
        },
      },
    };
    expect(
      await auth.subjectAccessReview({ kind: 'SelfSubjectAccessReview', body: denied, requester }),
    ).toEqual({ allowed: false });
    const nonResource = { spec: { nonResourceAttributes: { path: '/version', verb: 'get' } } };
    expect(
      (
        await auth.subjectAccessReview({
          kind: 'SelfSubjectAccessReview',
          body: nonResource,
          requester,
        })
      ).allowed,
    ).toBe(true);
  });

  it('SubjectAccessReview evaluates spec.user and spec.groups', async () => {
    const body = {
      spec: {
        user: 'system:serviceaccount:ns1:op',
        groups: [],
        resourceAttributes: {
          namespace: 'ns1',
          verb: 'get',
          group: 'apps',
          resource: 'deployments',
        },
      },
    };
    expect(
      (
        await auth.subjectAccessReview({
          kind: 'SubjectAccessReview',
          body,
          requester: { username: 'admin', groups: ['system:masters'] },
        })
      ).allowed,
    ).toBe(true);
    const masters = {
      spec: {
        groups: ['system:masters'],
        resourceAttributes: { verb: 'delete', resource: 'nodes' },
      },
    };
    expect(
      (await auth.subjectAccessReview({ kind: 'SubjectAccessReview', body: masters, requester }))
        .allowed,
    ).toBe(true);
  });

  it('rejects invalid specs with 422', async () => {
    await expect(
      auth.subjectAccessReview({
        kind: 'SubjectAccessReview',
        body: { spec: { resourceAttributes: { verb: 'get' } } },
        requester,
      }),
    ).rejects.toThrow(
      'spec.user: Invalid value: "": at least one of user or group must be specified',
    );
    await expect(
      auth.subjectAccessReview({ kind: 'SelfSubjectAccessReview', body: { spec: {} }, requester }),
    ).rejects.toThrow(
      'exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    const local = {
      metadata: { namespace: 'ns1' },
      spec: {
        user: 'u',
        resourceAttributes: { namespace: 'other', verb: 'get', resource: 'pods' },
      },
    };
    await expect(
      auth.subjectAccessReview({
        kind: 'LocalSubjectAccessReview',
        body: local,
        requester,
        namespace: 'ns1',
      }),
    ).rejects.toThrow(
      'spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace',
    );
  });
});
