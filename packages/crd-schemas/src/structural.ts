/** A JSON Schema node as the API server sees it (JSONSchemaProps subset). */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  title?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: unknown[];
  [key: string]: unknown;
}

const siblings = new WeakMap<object, Map<string, SchemaNode>>();
function signature(s: Record<string, unknown>): string {
  return JSON.stringify(
    Object.entries(s).filter(
      ([k, v]) =>
        !(
          v &&
          typeof v === 'object' &&
          (k === 'properties' || k === 'items' || k === 'additionalProperties')
        ),
    ),
  );
}

const ALLOWED = new Set([
  'type',
  'description',
  'title',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'default',
  'format',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'nullable',
  'uniqueItems',
  'multipleOf',
  'example',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

/**
 * Normalizes a TypeBox/JSON schema into a structural OpenAPI v3 schema (what a v1 CRD requires):
 * const/anyOf-of-literals become enum, patternProperties become additionalProperties,
 * additionalProperties:false is dropped (pruning does that job). Memoized per schema object, so a
 * sub-schema reused a thousand times is converted once (no exponential blow-up on deep reuse).
 */
export function toStructural(
  schema: unknown,
  memo = new WeakMap<object, SchemaNode>(),
  path = '',
): SchemaNode {
  if (!schema || typeof schema !== 'object')
    throw new Error(`schema at ${path || '<root>'} is not an object`);
  const cached = memo.get(schema);
  if (cached) return cached;
  const s = schema as Record<string, unknown>;
  // Optional(x) is a shallow copy of x sharing its children: find x's node through the shared child.
  const child = [s.properties, s.items, s.additionalProperties].find(
    (c) => c && typeof c === 'object',
  ) as object | undefined;
  const sig = child ? signature(s) : '';
  const sibling = child ? siblings.get(child)?.get(sig) : undefined;
  if (sibling) {
    memo.set(schema, sibling);
    return sibling;
  }
  const out: SchemaNode = {};
  memo.set(schema, out);
  if (child) {
    if (!siblings.has(child)) siblings.set(child, new Map());
    siblings.get(child)!.set(sig, out);
  }
  if (Array.isArray(s.anyOf) && s.anyOf.every((x) => x && typeof x === 'object' && 'const' in x)) {
    const values = (s.anyOf as { const: unknown; type?: string }[]).map((x) => x.const);
    out.type = typeof values[0] === 'number' ? 'integer' : 'string';
    out.enum = values;
  } else if (s.anyOf || s.oneOf || s.allOf || s.not) {
    throw new Error(
      `schema at ${path || '<root>'}: anyOf/oneOf/allOf are not structural; use enumOf or intOrString`,
    );
  }
  if ('const' in s) {
    out.type ??= typeof s.const === 'number' ? 'integer' : 'string';
    out.enum = [s.const];
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === 'anyOf' || k === 'const' || k === '$id' || k === '$schema') continue;
    if (k === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([name, sub]) => [
          name,
          toStructural(sub, memo, `${path}.${name}`),
        ]),
      );
    } else if (k === 'items') {
      out.items = toStructural(v, memo, `${path}[]`);
    } else if (k === 'additionalProperties') {
      if (v && typeof v === 'object') out.additionalProperties = toStructural(v, memo, `${path}.*`);
    } else if (k === 'patternProperties') {
      const entries = Object.values(v as Record<string, unknown>);
      if (entries.length !== 1)
        throw new Error(`schema at ${path}: one patternProperties entry at most`);
      out.additionalProperties = toStructural(entries[0], memo, `${path}.*`);
    } else if (k === 'required') {
      // A field with a default is never missing after defaulting, but clients validating against
      // the published schema (kubectl) do not apply defaults: mark it optional, as kubebuilder does.
      const props = (s.properties ?? {}) as Record<string, { default?: unknown }>;
      const required = (v as string[]).filter((name) => props[name]?.default === undefined);
      if (required.length) out.required = required;
    } else if (ALLOWED.has(k)) {
      out[k] = v;
    } else {
      throw new Error(
        `schema at ${path || '<root>'}: keyword ${k} is not supported in CRD schemas`,
      );
    }
  }
  if (out.type === 'object' && out.properties && out.additionalProperties)
    throw new Error(
      `schema at ${path}: properties and additionalProperties are mutually exclusive`,
    );
  return out;
}
