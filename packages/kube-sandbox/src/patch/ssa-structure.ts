// How server-side apply sees a value's structure: which lists merge item by item, how an item is
// named in a field path, and which object keys are struct fields rather than map elements.
import { keyElement, valueElement } from './fieldset.ts';
import { isObject } from './json.ts';
import { declaredField, type TypeNode } from './type-meta.ts';

export function isGranularList(node: TypeNode): boolean {
  return node.kind === 'list' && (node.listType === 'map' || node.listType === 'set');
}

export function isAtomicObject(node: TypeNode): boolean {
  return node.atomic === true || node.kind === 'list' || node.kind === 'scalar';
}

/** Whether `key` is a declared struct field (owned implicitly) rather than a map element. */
export function isStructField(node: TypeNode, key: string): boolean {
  if (node.kind === 'map') return false;
  if (node.kind === 'unknown') return !node.mapLike;
  if (node.kind === 'struct') return !node.mapLike || declaredField(node, key) !== undefined;
  return true;
}

export class KeyError extends Error {}

/** The path element naming one item of a granular list. */
export function itemElement(item: unknown, index: number, node: TypeNode): string {
  if (node.listType === 'set') return valueElement(item);
  const keys = node.mapKeys ?? [];
  if (!isObject(item) || keys.length === 0) return `i:${index}`;
  const key: Record<string, unknown> = {};
  for (const k of keys) {
    const v = item[k] ?? node.keyDefaults?.[k];
    if (v === undefined) {
      throw new KeyError(
        `associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`,
      );
    }
    key[k] = v;
  }
  return keyElement(key);
}

/** itemElement for ordinary writes: an item the schema cannot key is tracked by position. */
export function looseItemElement(item: unknown, index: number, node: TypeNode): string {
  try {
    return itemElement(item, index, node);
  } catch (err) {
    if (err instanceof KeyError) return `i:${index}`;
    throw err;
  }
}

export function indexItems(
  list: unknown[],
  node: TypeNode,
  element: (item: unknown, index: number, node: TypeNode) => string,
): { order: string[]; items: Map<string, unknown> } {
  const order: string[] = [];
  const items = new Map<string, unknown>();
  list.forEach((item, i) => {
    const pe = element(item, i, node);
    if (items.has(pe)) return; // later duplicates are ignored, as structured-merge-diff does
    items.set(pe, item);
    order.push(pe);
  });
  return { order, items };
}
