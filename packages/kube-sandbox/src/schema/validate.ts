// Structural validation of a value against a compiled schema node (types, required, nested
// properties, items, additionalProperties, embedded resources, allOf/anyOf/oneOf/not).
//
// Validation ratcheting (CRDValidationRatcheting, on by default since Kubernetes 1.30): on update,
// a value deep-equal to its correlated old value is not validated again, so objects stored under an
// older, looser schema stay updatable. Correlation: properties and map values by key, list-type map
// items by their keys, list-type set items by value; items of atomic lists do not correlate.
import { isDns1035Label } from '../builtin/names.ts';
import { validateAnnotations, validateLabels } from '../builtin/validate-meta.ts';
import { fieldErrors } from '../core/errors.ts';
import type { StatusCause } from '../core/errors.ts';
import { deepEqual, hasOwn, isObject, jsonTypeName } from './json.ts';
import type { JsonObject } from './json.ts';
import type { SchemaNode } from './node.ts';
import { bodyName, childPath, indexPath, keyPath } from './paths.ts';

/** Fields every Kubernetes object (root or embedded resource) carries without declaring them. */
export const IMPLICIT_OBJECT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/** The correlated old value of a node on update (absent on create or when nothing correlates). */
export interface OldValue {
  value: unknown;
}

function oldChild(old: OldValue | undefined, key: string): OldValue | undefined {
  if (!old || !isObject(old.value) || !hasOwn(old.value, key)) return undefined;
  return { value: old.value[key] };
}

function listMapKeyOf(item: unknown, keys: string[]): string | undefined {
  return isObject(item) ? JSON.stringify(keys.map((k) => item[k] ?? null)) : undefined;
}

/** Correlation key of a list item, for list-type map (keys) and set (value) lists. */
function itemKey(node: SchemaNode, item: unknown): string | undefined {
  if (node.listType === 'map' && node.listMapKeys.length)
    return listMapKeyOf(item, node.listMapKeys);
  if (node.listType === 'set') return JSON.stringify(item);
  return undefined;
}

function oldItems(node: SchemaNode, old: OldValue | undefined): Map<string, unknown> | undefined {
  if (!old || !Array.isArray(old.value)) return undefined;
  if (node.listType !== 'set' && !(node.listType === 'map' && node.listMapKeys.length))
    return undefined;
  const byKey = new Map<string, unknown>();
  for (const item of old.value) {
    const key = itemKey(node, item);
    if (key !== undefined) byKey.set(key, item);
  }
  return byKey;
}

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

function typeError(path: string, expected: string, v: unknown): StatusCause {
  const actual = jsonTypeName(v);
  return fieldErrors.typeInvalid(
    path,
    actual,
    `${bodyName(path)} in body must be of type ${expected}: ${JSON.stringify(actual)}`,
  );
}

/** Validates `value` (never undefined) at `path`; appends causes to errs. */
export function validateValue(
  node: SchemaNode,
  value: unknown,
  path: string,
  errs: StatusCause[],
  old?: OldValue,
): void {
  if (old && deepEqual(old.value, value)) return;
  if (value === null) {
    if (node.nullable) return;
    if (node.type) errs.push(typeError(path, node.type, value));
    else if (node.intOrString) errs.push(typeError(path, 'integer,string', value));
    return;
  }
  if (node.intOrString) {
    if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) {
      errs.push(typeError(path, 'integer,string', value));
      return;
    }
  } else if (node.type && !typeMatches(node.type, value)) {
    errs.push(typeError(path, node.type, value));
    return;
  }
  for (const check of node.checks) check(value, path, errs);
  if (isObject(value)) validateObject(node, value, path, errs, old);
  else if (Array.isArray(value) && node.items)
    validateItems(node, node.items, value, path, errs, old);
  if (node.allOf.length || node.anyOf.length || node.oneOf.length || node.not) {
    validateJunctors(node, value, path, errs);
  }
}

function validateItems(
  node: SchemaNode,
  items: SchemaNode,
  list: unknown[],
  path: string,
  errs: StatusCause[],
  old: OldValue | undefined,
): void {
  const olds = oldItems(node, old);
  list.forEach((item, i) => {
    if (item === undefined) return;
    const key = olds ? itemKey(node, item) : undefined;
    const correlated = key !== undefined && olds?.has(key) ? { value: olds.get(key) } : undefined;
    validateValue(items, item, indexPath(path, i), errs, correlated);
  });
}

function validateObject(
  node: SchemaNode,
  obj: JsonObject,
  path: string,
  errs: StatusCause[],
  old: OldValue | undefined,
): void {
  for (const name of node.required) {
    if (!hasOwn(obj, name) || obj[name] === undefined) {
      errs.push(fieldErrors.required(childPath(path, name)));
    }
  }
  if (node.embedded) validateEmbedded(obj, path, errs);
  const props = node.properties;
  const additional = node.additional;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined) continue;
    const prop = props?.get(key);
    if (prop) validateValue(prop, v, childPath(path, key), errs, oldChild(old, key));
    else if (typeof additional === 'object') {
      validateValue(additional, v, keyPath(path, key), errs, oldChild(old, key));
    }
  }
}

/** apiVersion, kind and metadata of an x-kubernetes-embedded-resource object. */
function validateEmbedded(obj: JsonObject, path: string, errs: StatusCause[]): void {
  for (const field of ['apiVersion', 'kind']) {
    const at = childPath(path, field);
    const v = obj[field];
    if (!hasOwn(obj, field)) errs.push(fieldErrors.required(at, 'must not be empty'));
    else if (typeof v !== 'string') errs.push(fieldErrors.invalid(at, v, 'must be a string'));
    else if (v === '') errs.push(fieldErrors.invalid(at, v, 'must not be empty'));
    else if (field === 'kind') {
      const msgs = isDns1035Label(v.toLowerCase());
      if (msgs.length) {
        errs.push(
          fieldErrors.invalid(
            at,
            v,
            `may have mixed case, but should otherwise match: ${msgs.join(',')}`,
          ),
        );
      }
    } else if (v.split('/').length > 2) {
      errs.push(fieldErrors.invalid(at, v, `unexpected GroupVersion string: ${v}`));
    }
  }
  const meta = obj['metadata'];
  if (isObject(meta)) {
    const metaPath = childPath(path, 'metadata');
    errs.push(...validateLabels(meta['labels'], childPath(metaPath, 'labels')));
    errs.push(...validateAnnotations(meta['annotations'], childPath(metaPath, 'annotations')));
  }
}

function matches(node: SchemaNode, value: unknown, path: string): boolean {
  const errs: StatusCause[] = [];
  validateValue(node, value, path, errs);
  return errs.length === 0;
}

function junctorError(path: string, value: unknown, what: string): StatusCause {
  return fieldErrors.invalid(path, value, `${bodyName(path)} in body ${what}`);
}

function validateJunctors(
  node: SchemaNode,
  value: unknown,
  path: string,
  errs: StatusCause[],
): void {
  for (const sub of node.allOf) validateValue(sub, value, path, errs);
  if (node.anyOf.length && !node.anyOf.some((s) => matches(s, value, path))) {
    errs.push(junctorError(path, value, 'must validate at least one schema (anyOf)'));
  }
  if (node.oneOf.length && node.oneOf.filter((s) => matches(s, value, path)).length !== 1) {
    errs.push(junctorError(path, value, 'must validate one and only one schema (oneOf)'));
  }
  if (node.not && matches(node.not, value, path)) {
    errs.push(junctorError(path, value, 'must not validate the schema (not)'));
  }
}

/**
 * Validates a whole custom object (`oldObj` on update, for ratcheting). The root's apiVersion,
 * kind and metadata are the server's business, except that a schema may restrict
 * metadata.name / metadata.generateName.
 */
export function validateRoot(
  root: SchemaNode,
  obj: JsonObject,
  errs: StatusCause[],
  oldObj?: JsonObject,
): void {
  const old = oldObj ? { value: oldObj } : undefined;
  for (const check of root.checks) check(obj, '', errs);
  for (const name of root.required) {
    if (IMPLICIT_OBJECT_FIELDS.has(name)) continue;
    if (!hasOwn(obj, name) || obj[name] === undefined) errs.push(fieldErrors.required(name));
  }
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined || key === 'apiVersion' || key === 'kind') continue;
    if (key === 'metadata') {
      validateRootMetadata(root.properties?.get('metadata'), v, errs, oldChild(old, key));
      continue;
    }
    const prop = root.properties?.get(key);
    if (prop) validateValue(prop, v, key, errs, oldChild(old, key));
    else if (typeof root.additional === 'object') {
      validateValue(root.additional, v, keyPath('', key), errs, oldChild(old, key));
    }
  }
  if (root.allOf.length || root.anyOf.length || root.oneOf.length || root.not) {
    validateJunctors(root, obj, '', errs);
  }
}

function validateRootMetadata(
  meta: SchemaNode | undefined,
  v: unknown,
  errs: StatusCause[],
  old: OldValue | undefined,
): void {
  if (!meta?.properties || !isObject(v)) return;
  for (const field of ['name', 'generateName']) {
    const node = meta.properties.get(field);
    const value = v[field];
    if (node && value !== undefined) {
      validateValue(node, value, `metadata.${field}`, errs, oldChild(old, field));
    }
  }
}
