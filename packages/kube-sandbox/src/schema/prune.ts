// Pruning of fields a structural schema does not declare, as apiextensions-apiserver's
// structural/pruning does: unknown fields are dropped (and reported) unless
// x-kubernetes-preserve-unknown-fields is set; apiVersion/kind/metadata of the root and of
// embedded resources are always known.
import { OBJECT_META_FIELDS } from '../core/types.ts';
import { isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import type { SchemaNode } from './node.ts';
import { childPath, indexPath, keyPath } from './paths.ts';
import { IMPLICIT_OBJECT_FIELDS } from './validate.ts';

/** Prunes `value` in place; appends the paths of dropped fields to `unknown`. */
export function pruneValue(
  node: SchemaNode,
  value: unknown,
  path: string,
  unknown: string[],
): void {
  if (isObject(value)) pruneObject(node, value, path, unknown, node.embedded);
  else if (Array.isArray(value) && node.items) {
    const items = node.items;
    value.forEach((item, i) => pruneValue(items, item, indexPath(path, i), unknown));
  }
}

function pruneObject(
  node: SchemaNode,
  obj: JsonObject,
  path: string,
  unknown: string[],
  implicitObjectFields: boolean,
): void {
  const props = node.properties;
  const additional = node.additional;
  for (const key of Object.keys(obj)) {
    if (implicitObjectFields && IMPLICIT_OBJECT_FIELDS.has(key)) {
      // the root's metadata is the server's; an embedded resource's metadata is pruned to ObjectMeta
      if (key === 'metadata' && path !== '')
        pruneObjectMeta(obj[key], childPath(path, key), unknown);
      const prop = props?.get(key);
      if (prop && key !== 'metadata') pruneValue(prop, obj[key], childPath(path, key), unknown);
      continue;
    }
    const prop = props?.get(key);
    if (prop) {
      pruneValue(prop, obj[key], childPath(path, key), unknown);
    } else if (typeof additional === 'object') {
      pruneValue(additional, obj[key], keyPath(path, key), unknown);
    } else if (additional === true || node.preserveUnknown) {
      continue;
    } else {
      delete obj[key];
      unknown.push(childPath(path, key));
    }
  }
}

function pruneObjectMeta(meta: unknown, path: string, unknown: string[]): void {
  if (!isObject(meta)) return;
  for (const key of Object.keys(meta)) {
    if (OBJECT_META_FIELDS.has(key)) continue;
    delete meta[key];
    unknown.push(childPath(path, key));
  }
}

/** Prunes a whole custom object in place (root apiVersion/kind/metadata are the server's). */
export function pruneRoot(root: SchemaNode, obj: JsonObject): string[] {
  const unknown: string[] = [];
  pruneObject(root, obj, '', unknown, true);
  return unknown;
}
