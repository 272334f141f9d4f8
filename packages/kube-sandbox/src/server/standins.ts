// Minimal stand-ins for the parts other modules provide (patch, schema, built-in kinds, auth), used
// only when those modules are absent, so the server works on its own.
import { errors } from '../core/errors.ts';
import type { StatusCause } from '../core/errors.ts';
import type {
  Authenticator,
  Authorizer,
  BuiltinKinds,
  CompiledSchema,
  PatchEngine,
  SchemaEngine,
  ServedResource,
} from '../core/contracts.ts';
import type { KubeObject, PrinterColumn, ResourceInfo, UserInfo } from '../core/types.ts';
import { SYSTEM_MASTERS } from '../core/types.ts';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(doc: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(doc) ? { ...doc } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function decodePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw errors.badRequest(`invalid JSON pointer: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function jsonPatch(doc: KubeObject, ops: unknown): KubeObject {
  if (!Array.isArray(ops)) throw errors.badRequest('json patch must be an array of operations');
  let root: unknown = structuredClone(doc);
  const parentOf = (parts: string[]): [unknown, string] => {
    let cur: unknown = root;
    for (const p of parts.slice(0, -1)) {
      if (Array.isArray(cur)) cur = cur[Number(p)];
      else if (isObject(cur)) cur = cur[p];
      else cur = undefined;
      if (cur === undefined) throw errors.internal(`doc is missing path: ${'/' + parts.join('/')}`);
    }
    return [cur, parts[parts.length - 1]];
  };
  const read = (path: string): unknown => {
    let cur: unknown = root;
    for (const p of decodePointer(path)) {
      cur = Array.isArray(cur) ? cur[Number(p)] : isObject(cur) ? cur[p] : undefined;
      if (cur === undefined) throw errors.internal(`doc is missing path: ${path}`);
    }
    return cur;
  };
  const write = (path: string, value: unknown, insert: boolean): void => {
    const parts = decodePointer(path);
    if (parts.length === 0) {
      root = value;
      return;
    }
    const [parent, last] = parentOf(parts);
    if (Array.isArray(parent)) {
      const idx = last === '-' ? parent.length : Number(last);
      if (insert) parent.splice(idx, 0, value);
      else parent[idx] = value;
    } else if (isObject(parent)) parent[last] = value;
  };
  const remove = (path: string): void => {
    const parts = decodePointer(path);
    const [parent, last] = parentOf(parts);
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else if (isObject(parent)) {
      if (!(last in parent)) throw errors.internal(`doc is missing path: ${path}`);
      delete parent[last];
    }
  };
  for (const op of ops as Array<Record<string, unknown>>) {
    const path = String(op.path ?? '');
    switch (op.op) {
      case 'add':
        write(path, structuredClone(op.value), true);
        break;
      case 'replace':
        read(path);
        write(path, structuredClone(op.value), false);
        break;
      case 'remove':
        remove(path);
        break;
      case 'test':
        if (JSON.stringify(read(path)) !== JSON.stringify(op.value)) {
          throw errors.invalid('', '', '', [
            { reason: 'FieldValueInvalid', message: `testing value ${path} failed` },
          ]);
        }
        break;
      case 'copy':
        write(path, structuredClone(read(String(op.from))), true);
        break;
      case 'move': {
        const v = read(String(op.from));
        remove(String(op.from));
        write(path, v, true);
        break;
      }
      default:
        throw errors.badRequest(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return root as KubeObject;
}

export function createStandInPatchEngine(): PatchEngine {
  return {
    jsonPatch,
    mergePatch: (doc, patch) => mergePatch(doc, patch) as KubeObject,
    strategicMergePatch: (doc, patch) => mergePatch(doc, patch) as KubeObject,
    apply: ({ live, applied }) => mergePatch(live ?? {}, applied) as KubeObject,
    recordUpdate: ({ updated }) => updated.metadata?.managedFields ?? [],
  };
}

const passSchema: CompiledSchema = {
  prune: (object) => ({ object, unknownFields: [] }),
  applyDefaults: (obj) => obj,
  validate: () => [],
};

export function createStandInSchemaEngine(): SchemaEngine {
  return {
    validateCrd: () => [],
    compile: () => passSchema,
    openApiV2: (served: ServedResource[]) => ({
      swagger: '2.0',
      info: { title: 'Kubernetes', version: 'v1.32.0-sandbox' },
      paths: {},
      definitions: {},
      'x-served': served.length,
    }),
    openApiV3Index: () => ({ paths: {} }),
    openApiV3GroupVersion: () => undefined,
  };
}

const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

const age: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
};

type Row = [
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  subresources: string[],
  shortNames?: string[],
];

const TABLE: Row[] = [
  ['', 'v1', 'namespaces', 'Namespace', false, ['status', 'finalize'], ['ns']],
  ['', 'v1', 'pods', 'Pod', true, ['status', 'log', 'eviction', 'binding'], ['po']],
  ['', 'v1', 'services', 'Service', true, ['status'], ['svc']],
  ['', 'v1', 'endpoints', 'Endpoints', true, [], ['ep']],
  ['', 'v1', 'configmaps', 'ConfigMap', true, [], ['cm']],
  ['', 'v1', 'secrets', 'Secret', true, []],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['token'], ['sa']],
  ['', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, ['status'], ['pvc']],
  ['', 'v1', 'persistentvolumes', 'PersistentVolume', false, ['status'], ['pv']],
  ['', 'v1', 'events', 'Event', true, [], ['ev']],
  ['', 'v1', 'nodes', 'Node', false, ['status'], ['no']],
  ['apps', 'v1', 'deployments', 'Deployment', true, ['status', 'scale'], ['deploy']],
  ['apps', 'v1', 'statefulsets', 'StatefulSet', true, ['status', 'scale'], ['sts']],
  ['apps', 'v1', 'replicasets', 'ReplicaSet', true, ['status', 'scale'], ['rs']],
  ['apps', 'v1', 'daemonsets', 'DaemonSet', true, ['status'], ['ds']],
  ['batch', 'v1', 'jobs', 'Job', true, ['status']],
  ['batch', 'v1', 'cronjobs', 'CronJob', true, ['status'], ['cj']],
  ['policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['status'], ['pdb']],
  ['discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true, []],
  ['coordination.k8s.io', 'v1', 'leases', 'Lease', true, []],
  ['events.k8s.io', 'v1', 'events', 'Event', true, [], ['ev']],
  ['storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, [], ['sc']],
  ['rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, []],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, []],
  ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, []],
  ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, []],
  ['authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false, []],
  ['authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false, []],
  ['authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, []],
  ['authorization.k8s.io', 'v1', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true, []],
  [
    'apiextensions.k8s.io',
    'v1',
    'customresourcedefinitions',
    'CustomResourceDefinition',
    false,
    ['status'],
    ['crd', 'crds'],
  ],
];

const CREATE_ONLY = new Set([
  'tokenreviews',
  'subjectaccessreviews',
  'selfsubjectaccessreviews',
  'localsubjectaccessreviews',
]);

export function createStandInBuiltinKinds(): BuiltinKinds {
  const infos: ResourceInfo[] = TABLE.map(
    ([group, version, resource, kind, namespaced, subresources, shortNames]): ResourceInfo => ({
      group,
      version,
      resource,
      singular: kind.toLowerCase(),
      kind,
      listKind: `${kind}List`,
      namespaced,
      verbs: CREATE_ONLY.has(resource) ? ['create'] : STANDARD_VERBS,
      subresources,
      ...(shortNames ? { shortNames } : {}),
      ...([
        'pods',
        'services',
        'deployments',
        'statefulsets',
        'replicasets',
        'daemonsets',
        'jobs',
        'cronjobs',
      ].includes(resource)
        ? { categories: ['all'] }
        : {}),
      printerColumns: [age],
      fieldSelectors:
        resource === 'pods'
          ? {
              'spec.nodeName': (o: KubeObject) =>
                (o.spec as { nodeName?: string } | undefined)?.nodeName ?? '',
              'status.phase': (o: KubeObject) =>
                (o.status as { phase?: string } | undefined)?.phase ?? '',
            }
          : resource === 'secrets'
            ? { type: (o: KubeObject) => (o.type as string | undefined) ?? '' }
            : {},
    }),
  );
  return {
    resources: () => infos,
    applyDefaults: () => undefined,
    validate: (): StatusCause[] => [],
  };
}

/** Admin token only; everyone else is unauthenticated. RBAC is all-or-nothing. */
export function createStandInAuth(adminToken: string): {
  authenticator: Authenticator;
  authorizer: Authorizer;
} {
  const admin: UserInfo = { username: 'admin', groups: [SYSTEM_MASTERS, 'system:authenticated'] };
  return {
    authenticator: {
      authenticate: async (token) => (token === adminToken ? admin : undefined),
      issueServiceAccountToken: async () => {
        throw errors.internal('service-account tokens need the auth module');
      },
    },
    authorizer: {
      authorize: async (attrs) =>
        attrs.user.groups.includes(SYSTEM_MASTERS)
          ? { allowed: true, reason: '' }
          : { allowed: false, reason: '' },
    },
  };
}
