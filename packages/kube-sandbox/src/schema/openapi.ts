// OpenAPI documents of everything served: /openapi/v2 (swagger 2.0) and /openapi/v3 (index plus one
// document per group-version). What kubectl needs from them:
// - `kubectl explain <crd-kind>.spec`: v3 components carrying the CRD schema (descriptions) tagged
//   with x-kubernetes-group-version-kind;
// - server-side field validation detection: a PATCH operation tagged with the GVK that accepts the
//   `fieldValidation` query parameter (kubectl then sends fieldValidation=Strict instead of
//   validating on the client);
// - client-side apply of built-in kinds: v3 PATCH operations of built-in kinds do not advertise
//   application/strategic-merge-patch+json, because the sandbox publishes no complete built-in
//   schemas and kubectl would fail on the first undeclared field ("unable to find api field");
//   kubectl then computes the strategic patch from its compiled-in Go types, which carry the real
//   patch strategies. Custom resources get JSON merge patches, as on a real cluster.
import { createHash } from 'node:crypto';
import type { ServedResource } from '../core/contracts.ts';
import type { ResourceInfo } from '../core/types.ts';
import { isObject } from './json.ts';
import { builtinSpecSchema, builtinTopLevelSchema, sharedDefinitions } from './openapi-builtin.ts';
import {
  API_VERSION_DESCRIPTION,
  KIND_DESCRIPTION,
  METADATA_DESCRIPTION,
  metaDefinitions,
} from './openapi-meta.ts';
import {
  DELETE_OPTIONS,
  LIST_META,
  OBJECT_META,
  PATCH,
  SCALE,
  STATUS,
  apiVersionOf,
  definitionName,
  groupVersionPath,
  listDefinitionName,
} from './openapi-names.ts';

type Schema = Record<string, unknown>;
type Flavor = 'v2' | 'v3';

const KUBE_VERSION = 'v1.32.0';

const refFor = (flavor: Flavor) => (name: string) =>
  flavor === 'v2' ? `#/definitions/${name}` : `#/components/schemas/${name}`;

// ------------------------------------------------------------------ schemas of kinds

/** Rewrites a CRD schema for publication: root metadata becomes a reference to ObjectMeta; v2
 * drops what swagger 2.0 cannot express (nullable, junctors, CEL rules). */
function publishCrdSchema(schema: Schema, flavor: Flavor): Schema {
  const ref = refFor(flavor);
  const root = flavor === 'v2' ? stripForV2(schema) : structuredClone(schema);
  const props: Schema = isObject(root['properties']) ? { ...root['properties'] } : {};
  props['apiVersion'] = {
    type: 'string',
    description: API_VERSION_DESCRIPTION,
    ...asSchema(props['apiVersion']),
  };
  props['kind'] = { type: 'string', description: KIND_DESCRIPTION, ...asSchema(props['kind']) };
  props['metadata'] =
    flavor === 'v3'
      ? { allOf: [{ $ref: ref(OBJECT_META) }], default: {}, description: METADATA_DESCRIPTION }
      : { $ref: ref(OBJECT_META), description: METADATA_DESCRIPTION };
  return { ...root, type: 'object', properties: props };
}

function asSchema(v: unknown): Schema {
  return isObject(v) ? v : {};
}

const V2_DROPPED = new Set([
  'nullable',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'x-kubernetes-validations',
]);

function stripForV2(v: unknown): Schema {
  const out: Schema = {};
  for (const [k, val] of Object.entries(asSchema(v))) {
    if (V2_DROPPED.has(k)) continue;
    if (k === 'properties' && isObject(val)) {
      out[k] = Object.fromEntries(Object.entries(val).map(([p, s]) => [p, stripForV2(s)]));
    } else if ((k === 'items' || k === 'additionalProperties') && isObject(val)) {
      out[k] = stripForV2(val);
    } else {
      out[k] = structuredClone(val);
    }
  }
  return out;
}

function builtinKindSchema(info: ResourceInfo, flavor: Flavor): Schema {
  const ref = refFor(flavor);
  const metadata =
    flavor === 'v3'
      ? { allOf: [{ $ref: ref(OBJECT_META) }], default: {}, description: METADATA_DESCRIPTION }
      : { $ref: ref(OBJECT_META), description: METADATA_DESCRIPTION };
  const spec = builtinSpecSchema(info.kind, ref);
  return {
    description: `${info.kind} (${apiVersionOf(info.group, info.version)}), served by kube-sandbox.`,
    type: 'object',
    properties: {
      apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
      kind: { type: 'string', description: KIND_DESCRIPTION },
      metadata,
      ...(spec ? { spec } : {}),
      ...builtinTopLevelSchema(info.kind, ref),
    },
    'x-kubernetes-preserve-unknown-fields': true,
  };
}

function gvkList(info: ResourceInfo, kind = info.kind): Schema[] {
  return [{ group: info.group, kind, version: info.version }];
}

function kindDefinitions(s: ServedResource, flavor: Flavor): Record<string, Schema> {
  const { info } = s;
  const ref = refFor(flavor);
  const kindSchema =
    s.schema && info.custom ? publishCrdSchema(s.schema, flavor) : builtinKindSchema(info, flavor);
  return {
    [definitionName(info)]: { ...kindSchema, 'x-kubernetes-group-version-kind': gvkList(info) },
    [listDefinitionName(info)]: {
      description: `${info.listKind} is a list of ${info.kind}`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
        items: {
          type: 'array',
          description: `List of ${info.resource}.`,
          items: { $ref: ref(definitionName(info)) },
        },
        kind: { type: 'string', description: KIND_DESCRIPTION },
        metadata:
          flavor === 'v3'
            ? {
                allOf: [{ $ref: ref(LIST_META) }],
                default: {},
                description: 'Standard list metadata.',
              }
            : { $ref: ref(LIST_META), description: 'Standard list metadata.' },
      },
      'x-kubernetes-group-version-kind': gvkList(info, info.listKind),
    },
  };
}

// ------------------------------------------------------------------ paths

interface Param {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  type?: 'string' | 'boolean' | 'integer';
}

const Q = (name: string, description: string, type: Param['type'] = 'string'): Param => ({
  name,
  in: 'query',
  description,
  type,
});
const PRETTY = Q('pretty', "If 'true', then the output is pretty printed.");
const DRY_RUN = Q('dryRun', 'When present, indicates that modifications should not be persisted.');
const FIELD_MANAGER = Q(
  'fieldManager',
  'fieldManager is a name associated with the actor or entity that is making these changes.',
);
const FIELD_VALIDATION = Q(
  'fieldValidation',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
);
const FORCE = Q('force', 'Force is going to "force" Apply requests.', 'boolean');
const LIST_PARAMS = [
  Q(
    'allowWatchBookmarks',
    'allowWatchBookmarks requests watch events with type "BOOKMARK".',
    'boolean',
  ),
  Q('continue', 'The continue option should be set when retrieving more results from the server.'),
  Q('fieldSelector', 'A selector to restrict the list of returned objects by their fields.'),
  Q('labelSelector', 'A selector to restrict the list of returned objects by their labels.'),
  Q('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  Q(
    'resourceVersion',
    'resourceVersion sets a constraint on what resource versions a request may be served from.',
  ),
  Q('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  Q('watch', 'Watch for changes to the described resources.', 'boolean'),
];
const DELETE_PARAMS = [
  DRY_RUN,
  Q(
    'gracePeriodSeconds',
    'The duration in seconds before the object should be deleted.',
    'integer',
  ),
  Q('propagationPolicy', 'Whether and how garbage collection will be performed.'),
];

function pathParam(name: string, description: string): Param {
  return { name, in: 'path', description, required: true, type: 'string' };
}

function renderParam(p: Param, flavor: Flavor): Schema {
  const base: Schema = {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
  };
  if (flavor === 'v2') return { ...base, type: p.type ?? 'string', uniqueItems: true };
  return { ...base, schema: { type: p.type ?? 'string', uniqueItems: true } };
}

interface OperationSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: string;
  operationId: string;
  description: string;
  gvk: { group: string; version: string; kind: string };
  params: Param[];
  body?: { ref: string; patch?: boolean };
  response: string;
  strategicMerge: boolean;
}

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
const PRODUCES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function renderOperation(op: OperationSpec, flavor: Flavor): Schema {
  const ref = refFor(flavor);
  const patchTypes = PATCH_TYPES.filter((t) => op.strategicMerge || !t.includes('strategic'));
  const common: Schema = {
    description: op.description,
    operationId: op.operationId,
    tags: [
      op.gvk.group
        ? `${op.gvk.group.replace(/\./g, '_')}_${op.gvk.version}`
        : `core_${op.gvk.version}`,
    ],
    parameters: op.params.map((p) => renderParam(p, flavor)),
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': op.gvk,
  };
  if (flavor === 'v2') {
    return {
      ...common,
      ...(op.body
        ? {
            consumes: op.body.patch ? patchTypes : ['*/*'],
            parameters: [
              ...(common['parameters'] as Schema[]),
              { name: 'body', in: 'body', required: true, schema: { $ref: ref(op.body.ref) } },
            ],
          }
        : { consumes: ['*/*'] }),
      produces: PRODUCES,
      schemes: ['https'],
      responses: {
        '200': { description: 'OK', schema: { $ref: ref(op.response) } },
        '401': { description: 'Unauthorized' },
      },
    };
  }
  const content = (schemaRef: string, types: string[]) =>
    Object.fromEntries(types.map((t) => [t, { schema: { $ref: ref(schemaRef) } }]));
  return {
    ...common,
    ...(op.body
      ? {
          requestBody: {
            content: content(op.body.ref, op.body.patch ? patchTypes : ['*/*']),
            required: true,
          },
        }
      : {}),
    responses: {
      '200': { description: 'OK', content: content(op.response, PRODUCES) },
      '401': { description: 'Unauthorized' },
    },
  };
}

function pascal(s: string): string {
  return s
    .split(/[.\-/]/)
    .filter(Boolean)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/** Paths (with their operations) of one served resource. */
function resourcePaths(info: ResourceInfo, flavor: Flavor): Record<string, Schema> {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const collection = info.namespaced
    ? `${base}/namespaces/{namespace}/${info.resource}`
    : `${base}/${info.resource}`;
  const item = `${collection}/{name}`;
  const gvk = { group: info.group, version: info.version, kind: info.kind };
  const idBase = `${pascal(info.group || 'core')}${pascal(info.version)}${info.namespaced ? 'Namespaced' : ''}${info.kind}`;
  const nsParam = info.namespaced
    ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')]
    : [];
  const nameParam = pathParam('name', `name of the ${info.kind}`);
  const can = (verb: string) => info.verbs.includes(verb);
  const strategicMerge = !info.custom && flavor === 'v2';
  const kindRef = definitionName(info);
  const listRef = listDefinitionName(info);
  const paths: Record<string, Schema> = {};
  const add = (path: string, op: OperationSpec) => {
    paths[path] ??= {};
    paths[path][op.method] = renderOperation(op, flavor);
  };
  const writeParams = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, PRETTY];
  if (can('list')) {
    add(collection, {
      method: 'get',
      action: 'list',
      operationId: `list${idBase}`,
      description: `list or watch objects of kind ${info.kind}`,
      gvk,
      params: [...nsParam, ...LIST_PARAMS, PRETTY],
      response: listRef,
      strategicMerge,
    });
    if (info.namespaced) {
      add(`${base}/${info.resource}`, {
        method: 'get',
        action: 'list',
        operationId: `list${idBase.replace('Namespaced', '')}ForAllNamespaces`,
        description: `list or watch objects of kind ${info.kind}`,
        gvk,
        params: [...LIST_PARAMS, PRETTY],
        response: listRef,
        strategicMerge,
      });
    }
  }
  if (can('create')) {
    add(collection, {
      method: 'post',
      action: 'post',
      operationId: `create${idBase}`,
      description: `create a ${info.kind}`,
      gvk,
      params: [...nsParam, ...writeParams],
      body: { ref: kindRef },
      response: kindRef,
      strategicMerge,
    });
  }
  if (can('deletecollection')) {
    add(collection, {
      method: 'delete',
      action: 'deletecollection',
      operationId: `deletecollection${idBase}`,
      description: `delete collection of ${info.kind}`,
      gvk,
      params: [...nsParam, ...DELETE_PARAMS, ...LIST_PARAMS],
      response: STATUS,
      strategicMerge,
    });
  }
  const itemOps = (
    path: string,
    suffix: string,
    target: string,
    targetGvk: typeof gvk,
    what: string,
  ) => {
    const params = [...nsParam, nameParam];
    if (can('get')) {
      add(path, {
        method: 'get',
        action: 'get',
        operationId: `read${idBase}${suffix}`,
        description: `read ${what} of the specified ${info.kind}`,
        gvk: targetGvk,
        params: [...params, PRETTY],
        response: target,
        strategicMerge,
      });
    }
    if (can('update')) {
      add(path, {
        method: 'put',
        action: 'put',
        operationId: `replace${idBase}${suffix}`,
        description: `replace ${what} of the specified ${info.kind}`,
        gvk: targetGvk,
        params: [...params, ...writeParams],
        body: { ref: target },
        response: target,
        strategicMerge,
      });
    }
    if (can('patch')) {
      add(path, {
        method: 'patch',
        action: 'patch',
        operationId: `patch${idBase}${suffix}`,
        description: `partially update ${what} of the specified ${info.kind}`,
        gvk: targetGvk,
        params: [...params, ...writeParams, FORCE],
        body: { ref: PATCH, patch: true },
        response: target,
        strategicMerge,
      });
    }
  };
  itemOps(item, '', kindRef, gvk, 'the object');
  if (can('delete')) {
    add(item, {
      method: 'delete',
      action: 'delete',
      operationId: `delete${idBase}`,
      description: `delete a ${info.kind}`,
      gvk,
      params: [...nsParam, nameParam, ...DELETE_PARAMS],
      body: { ref: DELETE_OPTIONS },
      response: STATUS,
      strategicMerge,
    });
  }
  if (info.subresources.includes('status'))
    itemOps(`${item}/status`, 'Status', kindRef, gvk, 'status');
  if (info.subresources.includes('scale')) {
    itemOps(
      `${item}/scale`,
      'Scale',
      SCALE,
      { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      'scale',
    );
  }
  return paths;
}

// ------------------------------------------------------------------ documents

function definitionsFor(served: ServedResource[], flavor: Flavor): Record<string, Schema> {
  const ref = refFor(flavor);
  const defs: Record<string, Schema> = {
    ...metaDefinitions(ref),
    ...sharedDefinitions(ref, OBJECT_META),
  };
  for (const s of served) Object.assign(defs, kindDefinitions(s, flavor));
  return defs;
}

function pathsFor(served: ServedResource[], flavor: Flavor): Record<string, Schema> {
  const paths: Record<string, Schema> = {};
  for (const s of served) {
    for (const [p, ops] of Object.entries(resourcePaths(s.info, flavor))) {
      paths[p] = { ...(paths[p] ?? {}), ...ops };
    }
  }
  return paths;
}

/** Swagger 2.0 document of everything served (/openapi/v2). */
export function openApiV2(served: ServedResource[]): Record<string, unknown> {
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION },
    paths: pathsFor(served, 'v2'),
    definitions: definitionsFor(served, 'v2'),
    securityDefinitions: {
      BearerToken: {
        description: 'Bearer Token authentication',
        type: 'apiKey',
        name: 'authorization',
        in: 'header',
      },
    },
    security: [{ BearerToken: [] }],
  };
}

function servedIn(served: ServedResource[], group: string, version: string): ServedResource[] {
  return served.filter((s) => s.info.group === group && s.info.version === version);
}

/** OpenAPI 3.0 document of one group-version (/openapi/v3/api/v1, /openapi/v3/apis/<g>/<v>). */
export function openApiV3GroupVersion(
  served: ServedResource[],
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const mine = servedIn(served, group, version);
  if (mine.length === 0) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION },
    paths: pathsFor(mine, 'v3'),
    components: {
      schemas: definitionsFor(mine, 'v3'),
      securitySchemes: {
        BearerToken: {
          type: 'apiKey',
          description: 'Bearer Token authentication',
          name: 'authorization',
          in: 'header',
        },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

/** The /openapi/v3 index: one entry per served group-version, with a content hash in the URL. */
export function openApiV3Index(served: ServedResource[]): Record<string, unknown> {
  const gvs = new Map<string, { group: string; version: string }>();
  for (const s of served)
    gvs.set(groupVersionPath(s.info.group, s.info.version), {
      group: s.info.group,
      version: s.info.version,
    });
  const paths: Record<string, unknown> = {};
  for (const [key, { group, version }] of [...gvs].sort(([a], [b]) => a.localeCompare(b))) {
    const doc = openApiV3GroupVersion(served, group, version);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}
