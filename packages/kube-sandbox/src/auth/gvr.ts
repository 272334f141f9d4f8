// The stored resources auth reads through ObjectLookup.
import type { GroupVersionResource } from '../core/types.ts';

const core = (resource: string): GroupVersionResource => ({ group: '', version: 'v1', resource });
const rbac = (resource: string): GroupVersionResource => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource,
});

export const GVR = {
  serviceAccounts: core('serviceaccounts'),
  pods: core('pods'),
  secrets: core('secrets'),
  nodes: core('nodes'),
  roles: rbac('roles'),
  clusterRoles: rbac('clusterroles'),
  roleBindings: rbac('rolebindings'),
  clusterRoleBindings: rbac('clusterrolebindings'),
};
