import Type, { type Static, type TSchema } from 'typebox';

/**
 * Kubernetes-flavoured schema builders on TypeBox. Each returns a TypeBox schema (so `Static<>`
 * gives the TypeScript type) whose JSON is already a valid *structural* OpenAPI v3 schema:
 * enums instead of anyOf/const, additionalProperties instead of patternProperties, the x-kubernetes
 * extensions spelled out. Sub-schemas are plain values: define one once (e.g. a PodSpec subset) and
 * reuse it anywhere; it is inlined at emission, never copied at declaration.
 */

/** Common annotations: description (shown in `kubectl explain` and the API reference), CEL rules. */
export interface Doc {
  description?: string;
  /** CEL rules (x-kubernetes-validations), checked by the API server at admission. */
  validations?: CelRule[];
  /** A name for the API reference; objects with a title get their own section, rendered once. */
  title?: string;
  nullable?: boolean;
}

export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?:
    | 'FieldValueInvalid'
    | 'FieldValueForbidden'
    | 'FieldValueRequired'
    | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

function annotations(d: Doc | undefined): Record<string, unknown> {
  if (!d) return {};
  const out: Record<string, unknown> = {};
  if (d.description) out.description = d.description;
  if (d.title) out.title = d.title;
  if (d.nullable) out.nullable = true;
  if (d.validations?.length) out['x-kubernetes-validations'] = d.validations;
  return out;
}

export interface StringOptions extends Doc {
  default?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?:
    | 'date-time'
    | 'date'
    | 'duration'
    | 'byte'
    | 'uri'
    | 'hostname'
    | 'ipv4'
    | 'ipv6'
    | 'uuid'
    | 'int-or-string'
    | string;
}

export interface NumberOptions extends Doc {
  default?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  format?: 'int32' | 'int64' | 'float' | 'double';
}

export interface ArrayOptions extends Doc {
  default?: unknown[];
  minItems?: number;
  maxItems?: number;
  /** atomic | set | map (with listMapKeys) — how server-side apply merges the list. */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}

export interface ObjectOptions extends Doc {
  default?: Record<string, unknown>;
  /** Keep fields the schema does not declare (disables pruning below this object). */
  preserveUnknownFields?: boolean;
  minProperties?: number;
  maxProperties?: number;
  /** atomic or granular (default) for server-side apply. */
  mapType?: 'atomic' | 'granular';
}

const strip = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(
    Object.entries(o).filter(([k, v]) => v !== undefined && !DOC_KEYS.has(k)),
  ) as Partial<T>;
const DOC_KEYS = new Set([
  'description',
  'validations',
  'title',
  'nullable',
  'listType',
  'listMapKeys',
  'preserveUnknownFields',
  'mapType',
]);

export const string = (o: StringOptions = {}) =>
  Type.Unsafe<string>({ type: 'string', ...strip(o), ...annotations(o) });

export const integer = (o: NumberOptions = {}) =>
  Type.Unsafe<number>({ type: 'integer', ...strip(o), ...annotations(o) });

export const number = (o: NumberOptions = {}) =>
  Type.Unsafe<number>({ type: 'number', ...strip(o), ...annotations(o) });

export const boolean = (o: Doc & { default?: boolean } = {}) =>
  Type.Unsafe<boolean>({ type: 'boolean', ...strip(o), ...annotations(o) });

/** A string restricted to the given values. */
export const enumOf = <const V extends string>(
  values: readonly V[],
  o: Doc & { default?: V } = {},
) => Type.Unsafe<V>({ type: 'string', enum: [...values], ...strip(o), ...annotations(o) });

/** An integer or a string, e.g. a port name or number, or a percentage. */
export const intOrString = (o: Doc & { default?: number | string; pattern?: string } = {}) =>
  Type.Unsafe<number | string>({
    'x-kubernetes-int-or-string': true,
    ...strip(o),
    ...annotations(o),
  });

/** A resource quantity such as "1Gi" or 2. */
export const quantity = (o: Doc & { default?: string } = {}) =>
  intOrString({
    pattern:
      '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
    ...o,
  });

/** An ISO duration-like Go duration string ("30s", "5m"). */
export const duration = (o: StringOptions = {}) =>
  string({ pattern: '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$', ...o });

export const array = <T extends TSchema>(items: T, o: ArrayOptions = {}) =>
  Type.Unsafe<Static<T>[]>({
    type: 'array',
    items,
    ...strip(o),
    ...(o.listType ? { 'x-kubernetes-list-type': o.listType } : {}),
    ...(o.listMapKeys ? { 'x-kubernetes-list-map-keys': o.listMapKeys } : {}),
    ...annotations(o),
  });

/** An object with declared fields; wrap a field in `optional()` unless it is required. */
export const object = <P extends Record<string, TSchema>>(properties: P, o: ObjectOptions = {}) => {
  const base = Type.Object(properties);
  const extra: Record<string, unknown> = { ...strip(o), ...annotations(o) };
  if (o.preserveUnknownFields) extra['x-kubernetes-preserve-unknown-fields'] = true;
  if (o.mapType) extra['x-kubernetes-map-type'] = o.mapType;
  return Object.assign(base, extra) as typeof base;
};

/** A map from string keys to values of one schema (labels, selectors, env maps). */
export const map = <T extends TSchema>(values: T, o: ObjectOptions = {}) =>
  Type.Unsafe<Record<string, Static<T>>>({
    type: 'object',
    additionalProperties: values,
    ...strip(o),
    ...annotations(o),
  });

/** Free-form JSON kept as is (no pruning). */
export const freeform = (o: Doc = {}) =>
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    ...annotations(o),
  });

export const optional = Type.Optional;

/** metav1.Condition, as a list keyed by type (the API conventions' status.conditions). */
export const condition = object(
  {
    type: string({ description: 'Type of the condition, e.g. Ready.', maxLength: 316 }),
    status: enumOf(['True', 'False', 'Unknown'] as const, {
      description: 'Status of the condition.',
    }),
    reason: string({
      description: 'A CamelCase reason for the last transition.',
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: string({ description: 'A human-readable explanation.', maxLength: 32768 }),
    lastTransitionTime: string({
      format: 'date-time',
      description: 'When the status last changed.',
    }),
    observedGeneration: optional(
      integer({
        minimum: 0,
        format: 'int64',
        description: 'The metadata.generation the condition was computed from.',
      }),
    ),
  },
  { title: 'Condition', description: 'A status condition (Kubernetes API conventions).' },
);

export const conditions = (o: Doc = {}) =>
  array(condition, {
    listType: 'map',
    listMapKeys: ['type'],
    description: 'Current state, one condition per type (Ready summarizes).',
    ...o,
  });

export type { Static, TSchema };
