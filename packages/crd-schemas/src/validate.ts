import type { SchemaNode } from './structural.ts';

export interface FieldError {
  /** Dotted path as the API server reports it, e.g. spec.targets[0].name */
  field: string;
  message: string;
}

export interface ValidationResult<T = unknown> {
  valid: boolean;
  errors: FieldError[];
  /** The input after pruning and defaulting (what the API server would store). */
  value: T;
}

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

/**
 * Prunes unknown fields, applies defaults and validates, in the API server's order
 * (prune -> default -> validate). Pure: the input is not modified. CEL rules are not evaluated here
 * (the API server does it at admission); everything else in the structural schema is.
 */
export function pruneDefaultValidate<T = unknown>(
  schema: SchemaNode,
  input: unknown,
  options: { defaults?: boolean; root?: boolean } = {},
): ValidationResult<T> {
  const errors: FieldError[] = [];
  const ctx: Ctx = { errors, defaults: options.defaults ?? true };
  const value = walk(schema, clone(input), '', ctx, options.root ?? true);
  return { valid: errors.length === 0, errors, value: value as T };
}

interface Ctx {
  errors: FieldError[];
  /** false when checking a default value itself: the server does not default defaults */
  defaults: boolean;
}

function walk(s: SchemaNode, v: unknown, path: string, ctx: Ctx, root = false): unknown {
  const errors = ctx.errors;
  if (v === null) {
    if (s.nullable) return null;
    errors.push({ field: path || '<root>', message: 'Invalid value: "null": must not be null' });
    return v;
  }
  const err = (message: string) => errors.push({ field: path || '<root>', message });
  if (s['x-kubernetes-int-or-string']) {
    if (typeof v !== 'string' && !Number.isInteger(v))
      err(`Invalid value: ${show(v)}: must be an integer or a string`);
    else checkScalar(s, v, err);
    return v;
  }
  switch (s.type) {
    case 'object': {
      if (!isPlainObject(v)) {
        err(`Invalid value: ${show(v)}: must be of type object`);
        return v;
      }
      const o = v;
      const props = s.properties ?? {};
      const preserve = !!s['x-kubernetes-preserve-unknown-fields'];
      for (const key of Object.keys(o)) {
        const sub =
          props[key] ??
          (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
        // apiVersion, kind and metadata of the root are handled by the server itself, never pruned
        if (root && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
        if (!sub) {
          if (!preserve) delete o[key];
          continue;
        }
        // nulls in non-nullable fields are pruned before defaulting, as the server does
        if (o[key] === null && !sub.nullable && sub.default !== undefined) delete o[key];
        else o[key] = walk(sub, o[key], join(path, key), ctx);
      }
      for (const [key, sub] of Object.entries(props)) {
        if (ctx.defaults && o[key] === undefined && sub.default !== undefined)
          o[key] = walk(sub, clone(sub.default), join(path, key), { ...ctx, errors: [] });
      }
      for (const key of s.required ?? [])
        if (o[key] === undefined)
          errors.push({ field: join(path, key), message: 'Required value' });
      const n = Object.keys(o).length;
      if (s.minProperties !== undefined && n < s.minProperties)
        err(`must have at least ${s.minProperties} properties`);
      if (s.maxProperties !== undefined && n > s.maxProperties)
        err(`must have at most ${s.maxProperties} properties`);
      return o;
    }
    case 'array': {
      if (!Array.isArray(v)) {
        err(`Invalid value: ${show(v)}: must be of type array`);
        return v;
      }
      const out = s.items ? v.map((item, i) => walk(s.items!, item, `${path}[${i}]`, ctx)) : v;
      if (s.minItems !== undefined && out.length < s.minItems)
        err(`must have at least ${s.minItems} items`);
      if (s.maxItems !== undefined && out.length > s.maxItems)
        err(`Too many: ${out.length}: must have at most ${s.maxItems} items`);
      checkListType(s, out, path, errors);
      return out;
    }
    case 'string':
      if (typeof v !== 'string') err(`Invalid value: ${show(v)}: must be of type string`);
      else checkScalar(s, v, err);
      return v;
    case 'integer':
      if (!Number.isInteger(v)) err(`Invalid value: ${show(v)}: must be of type integer`);
      else checkScalar(s, v, err);
      return v;
    case 'number':
      if (typeof v !== 'number') err(`Invalid value: ${show(v)}: must be of type number`);
      else checkScalar(s, v, err);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') err(`Invalid value: ${show(v)}: must be of type boolean`);
      return v;
    default:
      return v;
  }
}

function checkScalar(s: SchemaNode, v: unknown, err: (m: string) => void): void {
  if (s.enum && !s.enum.includes(v))
    err(`Unsupported value: ${show(v)}: supported values: ${s.enum.map(show).join(', ')}`);
  if (typeof v === 'string') {
    if (s.minLength !== undefined && [...v].length < s.minLength)
      err(`Invalid value: ${show(v)}: should be at least ${s.minLength} chars long`);
    if (s.maxLength !== undefined && [...v].length > s.maxLength)
      err(`Too long: may not be more than ${s.maxLength} bytes`);
    if (s.pattern && !new RegExp(s.pattern, 'u').test(v))
      err(`Invalid value: ${show(v)}: should match '${s.pattern}'`);
    if (s.format === 'date-time' && Number.isNaN(Date.parse(v)))
      err(`Invalid value: ${show(v)}: must be a date-time`);
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum))
      err(`Invalid value: ${v}: should be greater than or equal to ${s.minimum}`);
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum))
      err(`Invalid value: ${v}: should be less than or equal to ${s.maximum}`);
  }
}

function checkListType(s: SchemaNode, list: unknown[], path: string, errors: FieldError[]): void {
  const type = s['x-kubernetes-list-type'];
  if (type === 'set') {
    const seen = new Set<string>();
    list.forEach((x, i) => {
      const k = JSON.stringify(x);
      if (seen.has(k)) errors.push({ field: `${path}[${i}]`, message: `Duplicate value: ${k}` });
      seen.add(k);
    });
  } else if (type === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    list.forEach((x, i) => {
      const k = JSON.stringify(keys.map((key) => (x as Record<string, unknown>)?.[key]));
      if (seen.has(k)) errors.push({ field: `${path}[${i}]`, message: `Duplicate value: ${k}` });
      seen.add(k);
    });
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
const show = (v: unknown) => JSON.stringify(v) ?? String(v);
