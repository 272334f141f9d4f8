// What patch and apply know about an object's structure: one tree of TypeNodes per kind.
// Built-in kinds come from the k8s.io/api struct tags (patchStrategy, patchMergeKey, listType,
// listMapKey, structType=atomic) for the fields our kinds use; custom resources from the CRD's
// structural schema (x-kubernetes-list-type, -list-map-keys, -map-type). Anything not described is
// "unknown": objects merge field by field, lists are replaced (patch) or atomic (apply).
import type { JSONSchemaProps, TypeInfo } from '../core/contracts.ts';
import { isObject } from './json.ts';

export interface TypeNode {
  kind: 'struct' | 'map' | 'list' | 'scalar' | 'unknown';
  /** struct: declared fields (undeclared ones fall back to `unknown`). */
  fields?: Record<string, TypeNode>;
  /** map values, list items. */
  elem?: TypeNode;
  /** A struct or map that apply treats as one value (structType/mapType atomic). */
  atomic?: boolean;
  /** Lists, for apply: atomic (default), set, or map keyed by mapKeys. */
  listType?: 'atomic' | 'set' | 'map';
  mapKeys?: string[];
  /** Values of key fields the server defaults (e.g. protocol TCP) so items missing them still match. */
  keyDefaults?: Record<string, unknown>;
  /** Strategic merge patch strategy of this field and the merge key of its list items. */
  patchStrategy?: 'merge' | 'replace';
  patchMergeKey?: string;
  /**
   * Unknown objects: true when their keys are map elements (CRD schemaless/preserve-unknown
   * fields, deduced by apply as maps) rather than struct fields (built-in fields we did not describe).
   */
  mapLike?: boolean;
}

export const SCALAR: TypeNode = { kind: 'scalar' };
/** A built-in field not described here: objects behave as structs, lists are atomic. */
export const UNKNOWN: TypeNode = { kind: 'unknown' };
/** Schemaless parts of custom resources: objects behave as maps, lists are atomic. */
export const DEDUCED: TypeNode = { kind: 'unknown', mapLike: true };

/** The node describing `key` inside an object described by `node`. */
export function fieldNode(node: TypeNode, key: string): TypeNode {
  switch (node.kind) {
    case 'struct':
      return declaredField(node, key) ?? (node.mapLike ? DEDUCED : UNKNOWN);
    case 'map':
      return node.elem ?? UNKNOWN;
    case 'unknown':
      return node;
    default:
      return UNKNOWN;
  }
}

/** A struct's own declared field (never something inherited, such as "constructor"). */
export function declaredField(node: TypeNode, key: string): TypeNode | undefined {
  return node.fields && Object.hasOwn(node.fields, key) ? node.fields[key] : undefined;
}

/** The node describing items of a list described by `node`. */
export function itemNode(node: TypeNode): TypeNode {
  if (node.kind === 'list' && node.elem) return node.elem;
  return node.kind === 'unknown' ? node : UNKNOWN;
}

// ---------------------------------------------------------------- built-in kinds

const struct = (fields: Record<string, TypeNode>, atomic = false): TypeNode => ({
  kind: 'struct',
  fields,
  ...(atomic ? { atomic } : {}),
});
const map = (elem: TypeNode = SCALAR): TypeNode => ({ kind: 'map', elem });
const atomicList = (elem: TypeNode = UNKNOWN): TypeNode => ({
  kind: 'list',
  listType: 'atomic',
  elem,
});
/** patchStrategy=merge on a list of scalars: a set for apply. */
const mergeSet = (): TypeNode => ({
  kind: 'list',
  listType: 'set',
  patchStrategy: 'merge',
  elem: SCALAR,
});
/** patchStrategy=merge + patchMergeKey: a map list for apply (keys may add listMapKeys). */
const mergeList = (
  mergeKey: string,
  elem: TypeNode = UNKNOWN,
  mapKeys: string[] = [mergeKey],
  keyDefaults?: Record<string, unknown>,
): TypeNode => ({
  kind: 'list',
  listType: 'map',
  patchStrategy: 'merge',
  patchMergeKey: mergeKey,
  mapKeys,
  elem,
  ...(keyDefaults ? { keyDefaults } : {}),
});
/** listType=map without a patch strategy: strategic merge replaces it, apply merges by keys. */
const mapList = (mapKeys: string[], elem: TypeNode = UNKNOWN): TypeNode => ({
  kind: 'list',
  listType: 'map',
  mapKeys,
  elem,
});

const ATOMIC_REF = struct({}, true);
const conditions = () => mergeList('type', struct({}));

const OBJECT_META = struct({
  labels: map(),
  annotations: map(),
  finalizers: mergeSet(),
  ownerReferences: mergeList('uid', ATOMIC_REF),
  managedFields: atomicList(),
});

const LABEL_SELECTOR = struct({}, true);

const ENV_VAR = struct({
  valueFrom: struct({
    fieldRef: ATOMIC_REF,
    resourceFieldRef: ATOMIC_REF,
    configMapKeyRef: ATOMIC_REF,
    secretKeyRef: ATOMIC_REF,
  }),
});

const CONTAINER = struct({
  command: atomicList(SCALAR),
  args: atomicList(SCALAR),
  ports: mergeList('containerPort', struct({}), ['containerPort', 'protocol'], { protocol: 'TCP' }),
  envFrom: atomicList(),
  env: mergeList('name', ENV_VAR),
  resources: struct({
    limits: map(),
    requests: map(),
    claims: mapList(['name'], struct({})),
  }),
  resizePolicy: atomicList(),
  volumeMounts: mergeList('mountPath', struct({})),
  volumeDevices: mergeList('devicePath', struct({})),
});

const POD_SPEC = struct({
  volumes: mergeList('name', struct({})),
  initContainers: mergeList('name', CONTAINER),
  containers: mergeList('name', CONTAINER),
  ephemeralContainers: mergeList('name', CONTAINER),
  nodeSelector: map(),
  imagePullSecrets: mergeList('name', ATOMIC_REF),
  tolerations: atomicList(),
  hostAliases: mergeList('ip', struct({ hostnames: atomicList(SCALAR) })),
  readinessGates: atomicList(),
  topologySpreadConstraints: mergeList('topologyKey', struct({ labelSelector: LABEL_SELECTOR }), [
    'topologyKey',
    'whenUnsatisfiable',
  ]),
  schedulingGates: mergeList('name', struct({})),
  resourceClaims: mergeList('name', struct({})),
});

const POD_STATUS = struct({
  conditions: conditions(),
  podIPs: mergeList('ip', struct({})),
  hostIPs: mergeList('ip', struct({})),
  containerStatuses: atomicList(),
  initContainerStatuses: atomicList(),
  ephemeralContainerStatuses: atomicList(),
});

const POD_TEMPLATE = struct({ metadata: OBJECT_META, spec: POD_SPEC });

const PVC = struct({ metadata: OBJECT_META, status: struct({ conditions: conditions() }) });

const withStatusConditions = (spec: Record<string, TypeNode>) =>
  root({ spec: struct(spec), status: struct({ conditions: conditions() }) });

function root(fields: Record<string, TypeNode> = {}): TypeNode {
  return struct({ metadata: OBJECT_META, ...fields });
}

const JOB_SPEC = { selector: LABEL_SELECTOR, template: POD_TEMPLATE };

/** Keyed by "group/Kind" ('' group for core). */
const BUILTIN: Record<string, TypeNode> = {
  '/Pod': root({ spec: POD_SPEC, status: POD_STATUS }),
  '/PodTemplate': root({ template: POD_TEMPLATE }),
  '/ReplicationController': withStatusConditions({ template: POD_TEMPLATE }),
  'apps/Deployment': withStatusConditions({ selector: LABEL_SELECTOR, template: POD_TEMPLATE }),
  'apps/ReplicaSet': withStatusConditions({ selector: LABEL_SELECTOR, template: POD_TEMPLATE }),
  'apps/DaemonSet': withStatusConditions({ selector: LABEL_SELECTOR, template: POD_TEMPLATE }),
  'apps/StatefulSet': withStatusConditions({
    selector: LABEL_SELECTOR,
    template: POD_TEMPLATE,
    volumeClaimTemplates: atomicList(PVC),
  }),
  'batch/Job': withStatusConditions(JOB_SPEC),
  'batch/CronJob': root({
    spec: struct({ jobTemplate: struct({ metadata: OBJECT_META, spec: struct(JOB_SPEC) }) }),
    status: struct({ active: atomicList(ATOMIC_REF) }),
  }),
  '/Service': root({
    spec: struct({
      ports: mergeList('port', struct({}), ['port', 'protocol'], { protocol: 'TCP' }),
      selector: map(),
      clusterIPs: atomicList(SCALAR),
      externalIPs: atomicList(SCALAR),
    }),
    status: struct({ conditions: conditions() }),
  }),
  '/Node': root({
    spec: struct({ podCIDRs: mergeSet(), taints: atomicList() }),
    status: struct({
      conditions: conditions(),
      addresses: mergeList('type', struct({})),
      capacity: map(),
      allocatable: map(),
      images: atomicList(),
    }),
  }),
  '/Namespace': root({
    spec: struct({ finalizers: atomicList(SCALAR) }),
    status: struct({ conditions: conditions() }),
  }),
  '/PersistentVolumeClaim': PVC,
  '/ServiceAccount': root({
    secrets: mergeList('name', ATOMIC_REF),
    imagePullSecrets: atomicList(ATOMIC_REF),
  }),
  '/Endpoints': root({ subsets: atomicList() }),
  '/ConfigMap': root({ data: map(), binaryData: map() }),
  '/Secret': root({ data: map(), stringData: map() }),
  'policy/PodDisruptionBudget': root({
    spec: struct({ selector: LABEL_SELECTOR }),
    status: struct({ conditions: conditions(), disruptedPods: map() }),
  }),
};

const DEFAULT_BUILTIN = root();

// ---------------------------------------------------------------- custom resources

const crdCache = new WeakMap<JSONSchemaProps, TypeNode>();

function fromSchema(schema: unknown): TypeNode {
  if (!isObject(schema)) return DEDUCED;
  if (schema['x-kubernetes-int-or-string'] === true) return SCALAR;
  const type = schema.type;
  if (type === 'array') {
    const listType = schema['x-kubernetes-list-type'];
    const elem = fromSchema(schema.items);
    if (listType === 'map') {
      const keys = Array.isArray(schema['x-kubernetes-list-map-keys'])
        ? (schema['x-kubernetes-list-map-keys'] as unknown[]).filter(
            (k): k is string => typeof k === 'string',
          )
        : [];
      const keyDefaults: Record<string, unknown> = {};
      const itemProps = isObject(schema.items) ? schema.items.properties : undefined;
      for (const k of keys) {
        const prop = isObject(itemProps) ? itemProps[k] : undefined;
        if (isObject(prop) && prop.default !== undefined) keyDefaults[k] = prop.default;
      }
      return { kind: 'list', listType: 'map', mapKeys: keys, elem, keyDefaults };
    }
    return { kind: 'list', listType: listType === 'set' ? 'set' : 'atomic', elem };
  }
  if (type === 'object' || schema.properties || schema.additionalProperties) {
    const atomic = schema['x-kubernetes-map-type'] === 'atomic';
    const props = schema.properties;
    if (isObject(props)) {
      const fields: Record<string, TypeNode> = {};
      for (const [k, v] of Object.entries(props)) fields[k] = fromSchema(v);
      if (schema['x-kubernetes-embedded-resource'] === true && !fields.metadata) {
        fields.metadata = OBJECT_META;
      }
      return { kind: 'struct', fields, mapLike: true, ...(atomic ? { atomic } : {}) };
    }
    const additional = schema.additionalProperties;
    if (additional !== undefined && additional !== false) {
      return { kind: 'map', elem: fromSchema(additional), ...(atomic ? { atomic } : {}) };
    }
    return atomic ? { kind: 'struct', fields: {}, atomic } : DEDUCED;
  }
  return type === undefined ? DEDUCED : SCALAR;
}

/** The root TypeNode for an object of `type`. */
export function typeNodeFor(type: TypeInfo): TypeNode {
  if (type.source === 'builtin') return BUILTIN[`${type.group}/${type.kind}`] ?? DEFAULT_BUILTIN;
  const cached = crdCache.get(type.schema);
  if (cached) return cached;
  const node = fromSchema(type.schema);
  const fields = node.kind === 'struct' ? { ...node.fields } : {};
  // The API server owns metadata's structure, whatever the CRD declares for it.
  fields.metadata = OBJECT_META;
  fields.apiVersion = SCALAR;
  fields.kind = SCALAR;
  const rootNode: TypeNode = { kind: 'struct', fields, mapLike: true };
  crdCache.set(type.schema, rootNode);
  return rootNode;
}
