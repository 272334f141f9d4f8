// Structural defaulting as apiextensions-apiserver does it (structural/defaulting): a property
// that is missing, or null while not nullable, gets a copy of its `default`; nulls of non-nullable
// fields without a default are dropped; then defaulting descends into the value, including array
// items and additionalProperties values.
import { deepClone, hasOwn, isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import type { SchemaNode } from './node.ts';

function defaultChild(node: SchemaNode, container: JsonObject, key: string): void {
  const present = hasOwn(container, key);
  const v = container[key];
  if (!present || v === undefined) {
    if (node.hasDefault) container[key] = deepClone(node.defaultValue);
  } else if (v === null && !node.nullable) {
    if (node.hasDefault) container[key] = deepClone(node.defaultValue);
    else delete container[key];
  }
  if (hasOwn(container, key)) defaultValue(node, container[key]);
}

/** Applies defaults below `value` in place. */
export function defaultValue(node: SchemaNode, value: unknown): void {
  if (!node.defaultsBelow && !hasNullableConcerns(node)) return;
  if (isObject(value)) {
    if (node.properties) {
      for (const [key, prop] of node.properties) defaultChild(prop, value, key);
    }
    const additional = node.additional;
    if (typeof additional === 'object') {
      for (const key of Object.keys(value)) {
        if (!node.properties?.has(key)) defaultChild(additional, value, key);
      }
    }
  } else if (Array.isArray(value) && node.items) {
    const items = node.items;
    for (let i = 0; i < value.length; i++) {
      if (value[i] === null && !items.nullable && items.hasDefault) {
        value[i] = deepClone(items.defaultValue);
      }
      defaultValue(items, value[i]);
    }
  }
}

/** Non-nullable children may hold nulls that must be dropped even where no default exists. */
function hasNullableConcerns(node: SchemaNode): boolean {
  return node.properties !== undefined || typeof node.additional === 'object';
}

/** Defaults a whole custom object in place; the root metadata is left to the server. */
export function defaultRoot(root: SchemaNode, obj: JsonObject): void {
  if (root.properties) {
    for (const [key, prop] of root.properties) {
      if (key === 'metadata' || key === 'apiVersion' || key === 'kind') continue;
      defaultChild(prop, obj, key);
    }
  }
  if (typeof root.additional === 'object') {
    for (const key of Object.keys(obj)) {
      if (key === 'metadata' || key === 'apiVersion' || key === 'kind') continue;
      if (!root.properties?.has(key)) defaultChild(root.additional, obj, key);
    }
  }
}
