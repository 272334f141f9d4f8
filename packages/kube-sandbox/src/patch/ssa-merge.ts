// Changing values for server-side apply: merging an applied configuration into the live object,
// and removing the fields a manager stopped applying.
import { childSet, fieldElement, hasAny, type PathSet } from './fieldset.ts';
import { isObject, type JsonObject } from './json.ts';
import { indexItems, isGranularList, looseItemElement } from './ssa-structure.ts';
import { fieldNode, itemNode, type TypeNode } from './type-meta.ts';

export function mergeApplied(lhs: unknown, rhs: unknown, node: TypeNode): unknown {
  if (rhs === undefined) return lhs;
  if (isObject(rhs) && !node.atomic && node.kind !== 'scalar' && node.kind !== 'list') {
    const out: JsonObject = isObject(lhs) ? { ...lhs } : {};
    for (const [k, v] of Object.entries(rhs)) {
      const merged = mergeApplied(out[k], v, fieldNode(node, k));
      if (merged === null || merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  if (Array.isArray(rhs) && isGranularList(node)) {
    return mergeLists(Array.isArray(lhs) ? lhs : [], rhs, node);
  }
  return rhs;
}

/**
 * Merges list items by identity; output order follows structured-merge-diff: the applied order
 * for items it names, live-only items kept where they were relative to the shared ones.
 */
function mergeLists(lhs: unknown[], rhs: unknown[], node: TypeNode): unknown[] {
  const elem = itemNode(node);
  const l = indexItems(lhs, node, looseItemElement);
  const r = indexItems(rhs, node, looseItemElement); // applied items were keyed strictly already
  const shared = r.order.filter((pe) => l.items.has(pe));
  let sharedAt = 0;
  const out: unknown[] = [];
  const push = (pe: string) => {
    const merged = mergeApplied(l.items.get(pe), r.items.get(pe), elem);
    if (merged !== undefined && merged !== null) out.push(merged);
  };
  let li = 0;
  let ri = 0;
  while (li < l.order.length || ri < r.order.length) {
    if (li < l.order.length && ri < r.order.length) {
      const pe = l.order[li];
      if (pe === r.order[ri]) {
        push(pe);
        li++;
        ri++;
        sharedAt++;
        continue;
      }
      if (r.items.has(pe) && sharedAt < shared.length && shared[sharedAt] !== pe) {
        li++; // a shared item whose turn has not come; the applied order places it
        continue;
      }
    }
    if (li < l.order.length && !r.items.has(l.order[li])) {
      out.push(l.items.get(l.order[li]));
      li++;
      continue;
    }
    if (ri < r.order.length) {
      const pe = r.order[ri];
      push(pe);
      ri++;
      if (sharedAt < shared.length && shared[sharedAt] === pe) sharedAt++;
      continue;
    }
    li++; // only shared items already merged remain on the live side
  }
  return out;
}

/** Removes fields in `toRemove` from `obj` (in place) unless some manager in `keep` owns them. */
export function pruneFields(
  obj: unknown,
  node: TypeNode,
  toRemove: PathSet,
  keep: PathSet | undefined,
) {
  if (isObject(obj)) {
    for (const key of Object.keys(obj)) {
      const pe = fieldElement(key);
      const r = childSet(toRemove, pe);
      if (!r) continue;
      const k = childSet(keep, pe);
      const child = obj[key];
      if (r.member && !hasAny(k)) {
        delete obj[key];
        continue;
      }
      if (r.children.size > 0) {
        pruneFields(child, fieldNode(node, key), r, k);
        if (isObject(child) && Object.keys(child).length === 0 && !hasAny(k)) delete obj[key];
      }
    }
    return;
  }
  if (Array.isArray(obj) && isGranularList(node)) {
    const elem = itemNode(node);
    const keyFields = new Set(node.mapKeys ?? []);
    for (let i = obj.length - 1; i >= 0; i--) {
      const pe = looseItemElement(obj[i], i, node);
      const r = childSet(toRemove, pe);
      if (!r) continue;
      const k = childSet(keep, pe);
      if (r.member && !hasAny(k)) {
        obj.splice(i, 1);
        continue;
      }
      if (r.children.size > 0 && isObject(obj[i])) {
        const item = obj[i] as JsonObject;
        const saved = [...keyFields].filter((f) => f in item).map((f) => [f, item[f]] as const);
        pruneFields(item, elem, r, k);
        for (const [f, v] of saved) item[f] = v; // an item that survives keeps its key
      }
    }
  }
}
