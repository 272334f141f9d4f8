import { describe, expect, it } from 'vitest';
import type { RequestAttributes, UserInfo } from '../core/types.ts';
import { forbiddenDetails, forbiddenError, forbiddenMessage } from './index.ts';

const user: UserInfo = { username: 'system:serviceaccount:default:x', groups: [] };
const attrs = (a: Partial<RequestAttributes>): RequestAttributes => ({
  user,
  verb: 'get',
  resourceRequest: true,
  apiGroup: '',
  ...a,
});

describe('403 wording like the real API server', () => {
  it('collection requests', () => {
    expect(forbiddenMessage(attrs({ verb: 'list', resource: 'pods', namespace: 'default' }))).toBe(
      'pods is forbidden: User "system:serviceaccount:default:x" cannot list resource "pods" in API group "" in the namespace "default"',
    );
  });

  it('named objects, subresources, groups', () => {
    expect(forbiddenMessage(attrs({ resource: 'pods', name: 'p', namespace: 'ns' }))).toBe(
      'pods "p" is forbidden: User "system:serviceaccount:default:x" cannot get resource "pods" in API group "" in the namespace "ns"',
    );
    expect(
      forbiddenMessage(attrs({ resource: 'pods', subresource: 'log', name: 'p', namespace: 'ns' })),
    ).toBe(
      'pods "p" is forbidden: User "system:serviceaccount:default:x" cannot get resource "pods/log" in API group "" in the namespace "ns"',
    );
    expect(
      forbiddenMessage(
        attrs({
          verb: 'patch',
          apiGroup: 'apps',
          resource: 'statefulsets',
          subresource: 'scale',
          name: 'db',
          namespace: 'ns',
        }),
      ),
    ).toBe(
      'statefulsets.apps "db" is forbidden: User "system:serviceaccount:default:x" cannot patch resource "statefulsets/scale" in API group "apps" in the namespace "ns"',
    );
  });

  it('cluster scope and non-resource paths', () => {
    expect(forbiddenMessage(attrs({ verb: 'list', resource: 'nodes' }))).toBe(
      'nodes is forbidden: User "system:serviceaccount:default:x" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    expect(forbiddenMessage({ user, verb: 'get', resourceRequest: false, path: '/metrics' })).toBe(
      'forbidden: User "system:serviceaccount:default:x" cannot get path "/metrics"',
    );
  });

  it('appends the authorizer reason', () => {
    expect(
      forbiddenMessage(
        attrs({ resource: 'pods', namespace: 'ns' }),
        'RBAC: role.rbac.authorization.k8s.io "r" not found',
      ),
    ).toBe(
      'pods is forbidden: User "system:serviceaccount:default:x" cannot get resource "pods" in API group "" in the namespace "ns": RBAC: role.rbac.authorization.k8s.io "r" not found',
    );
  });

  it('builds a 403 Status with details', () => {
    const a = attrs({
      verb: 'get',
      apiGroup: 'apps',
      resource: 'deployments',
      name: 'web',
      namespace: 'ns',
    });
    expect(forbiddenDetails(a)).toEqual({ name: 'web', group: 'apps', kind: 'deployments' });
    expect(forbiddenDetails({ user, verb: 'get', resourceRequest: false, path: '/x' })).toEqual({});
    const status = forbiddenError(a).toStatus();
    expect(status).toMatchObject({
      kind: 'Status',
      code: 403,
      reason: 'Forbidden',
      status: 'Failure',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
    expect(status.message).toMatch(/^deployments.apps "web" is forbidden: User/);
  });
});
