// The field sets server-side apply computes from values: the fields an applied configuration
// specifies (TypedValue.ToFieldSet) and what changed between two objects (TypedValue.Compare).
import {
  fieldElement,
  insertPath,
  isEmptySet,
  newSet,
  pathToString,
  union,
  type PathSet,
} from './fieldset.ts';
import { isObject, jsonEqual } from './json.ts';
import {
  indexItems,
  isAtomicObject,
  isGranularList,
  isStructField,
  itemElement,
  KeyError,
  looseItemElement,
} from './ssa-structure.ts';
import { fieldNode, itemNode, type TypeNode } from './type-meta.ts';

/** Fields an applied configuration specifies (TypedValue.ToFieldSet). */
export function appliedFieldSet(config: unknown, node: TypeNode): PathSet {
  const set = newSet();
  collectApplied(config, node, set, []);
  return set;
}

/** Fills `here`, the set node of the current path (`path` only serves error messages). */
function collectApplied(v: unknown, node: TypeNode, here: PathSet, path: string[]): void {
  if (isObject(v)) {
    if (node.atomic) {
      here.member = true;
      return;
    }
    for (const [k, child] of Object.entries(v)) {
      const pe = fieldElement(k);
      const c = newSet();
      path.push(pe);
      collectApplied(child, fieldNode(node, k), c, path);
      path.pop();
      const emptyObject = isObject(child) && Object.keys(child).length === 0;
      if (child === null || emptyObject || !isStructField(node, k)) c.member = true;
      if (!isEmptySet(c)) here.children.set(pe, c);
    }
    return;
  }
  if (Array.isArray(v)) {
    if (!isGranularList(node)) {
      here.member = true;
      return;
    }
    const elem = itemNode(node);
    const seen = new Set<string>();
    v.forEach((item, i) => {
      let pe: string;
      try {
        pe = itemElement(item, i, node);
      } catch (err) {
        if (err instanceof KeyError) {
          throw applyError(`${pathToString(path)}: element ${i}: ${err.message}`);
        }
        throw err;
      }
      if (seen.has(pe)) {
        throw applyError(`${pathToString(path)}: duplicate entries for key ${pathToString([pe])}`);
      }
      seen.add(pe);
      const c = newSet();
      path.push(pe);
      collectApplied(item, elem, c, path);
      path.pop();
      c.member = true;
      here.children.set(pe, c);
    });
    return;
  }
  here.member = true;
}

/** An applied configuration that does not fit its schema (structured-merge-diff's validation errors). */
export class TypedValueError extends Error {}

const applyError = (message: string) => new TypedValueError(message);

export interface Comparison {
  added: PathSet;
  modified: PathSet;
  removed: PathSet;
}

/**
 * Struct fields Go always serializes on a zero-value built-in object (non-pointer structs, lists
 * without omitempty): a create compares against that, so these never count as added themselves.
 */
const ALWAYS_PRESENT = new Set([
  'metadata',
  'spec',
  'status',
  'template',
  'jobTemplate',
  'strategy',
  'updateStrategy',
  'containers',
]);

/** A struct or list a zero-value object would already carry (scalars are always real changes). */
function implicitContainer(key: string, value: unknown): boolean {
  return ALWAYS_PRESENT.has(key) && (isObject(value) || Array.isArray(value));
}

export function compareObjects(
  lhs: unknown,
  rhs: unknown,
  node: TypeNode,
  builtin: boolean,
): Comparison {
  const c: Comparison = { added: newSet(), modified: newSet(), removed: newSet() };
  compareValues(lhs, rhs, node, [], c, builtin, true);
  return c;
}

/** Walks both values; `path` is a stack shared by the whole walk. */
function compareValues(
  l: unknown,
  r: unknown,
  node: TypeNode,
  path: string[],
  c: Comparison,
  builtin: boolean,
  implicitlyPresent: boolean,
): void {
  if (l === undefined && r === undefined) return;
  if (r === undefined) {
    graft(c.removed, path, l, node, true, false);
    return;
  }
  if (l === undefined) {
    graft(c.added, path, r, node, !implicitlyPresent, builtin);
    return;
  }
  if (l === null && (isObject(r) || Array.isArray(r))) {
    graft(c.added, path, r, node, false, builtin);
    return;
  }
  if (r === null && (isObject(l) || Array.isArray(l))) {
    graft(c.removed, path, l, node, false, false);
    return;
  }
  if (isObject(l) && isObject(r) && !isAtomicObject(node)) {
    for (const k of Object.keys(l)) {
      path.push(fieldElement(k));
      compareValues(
        l[k],
        r[k],
        fieldNode(node, k),
        path,
        c,
        builtin,
        builtin && implicitContainer(k, r[k]),
      );
      path.pop();
    }
    for (const k of Object.keys(r)) {
      if (Object.hasOwn(l, k)) continue;
      path.push(fieldElement(k));
      compareValues(
        undefined,
        r[k],
        fieldNode(node, k),
        path,
        c,
        builtin,
        builtin && implicitContainer(k, r[k]),
      );
      path.pop();
    }
    return;
  }
  if (Array.isArray(l) && Array.isArray(r) && isGranularList(node)) {
    const elem = itemNode(node);
    const li = indexItems(l, node, looseItemElement);
    const ri = indexItems(r, node, looseItemElement);
    for (const pe of li.order) {
      path.push(pe);
      compareValues(li.items.get(pe), ri.items.get(pe), elem, path, c, builtin, false);
      path.pop();
    }
    for (const pe of ri.order) {
      if (li.items.has(pe)) continue;
      path.push(pe);
      compareValues(undefined, ri.items.get(pe), elem, path, c, builtin, false);
      path.pop();
    }
    return;
  }
  if (!jsonEqual(l, r)) insertPath(c.modified, path);
}

/** Adds the paths of `v` (see markAll) under `path` of `set`, creating nothing when there are none. */
function graft(
  set: PathSet,
  path: string[],
  v: unknown,
  node: TypeNode,
  includeSelf: boolean,
  builtin: boolean,
): void {
  const sub = newSet();
  markAll(v, node, sub, includeSelf, builtin);
  if (isEmptySet(sub)) return;
  let here = set;
  for (let i = 0; i < path.length - 1; i++) {
    let next = here.children.get(path[i]);
    if (!next) {
      next = newSet();
      here.children.set(path[i], next);
    }
    here = next;
  }
  if (path.length === 0) {
    set.member ||= sub.member;
    for (const [k, child] of sub.children) set.children.set(k, child);
    return;
  }
  const last = path[path.length - 1];
  const existing = here.children.get(last);
  here.children.set(last, existing ? union(existing, sub) : sub);
}

/**
 * Marks `v` itself in `here` (when includeSelf) and every path below it; with `builtin`, fields a
 * zero-value Go object always carries are not marked themselves (see ALWAYS_PRESENT).
 */
function markAll(
  v: unknown,
  node: TypeNode,
  here: PathSet,
  includeSelf: boolean,
  builtin: boolean,
) {
  if (includeSelf) here.member = true;
  if (isObject(v) && !isAtomicObject(node)) {
    for (const [k, child] of Object.entries(v)) {
      const c = newSet();
      markAll(child, fieldNode(node, k), c, !(builtin && implicitContainer(k, child)), builtin);
      if (!isEmptySet(c)) here.children.set(fieldElement(k), c);
    }
    return;
  }
  if (Array.isArray(v) && isGranularList(node)) {
    const elem = itemNode(node);
    const { order, items } = indexItems(v, node, looseItemElement);
    for (const pe of order) {
      const c = newSet();
      markAll(items.get(pe), elem, c, true, builtin);
      here.children.set(pe, c);
    }
  }
}
