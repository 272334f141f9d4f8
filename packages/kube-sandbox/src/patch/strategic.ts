// Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch), as the API server applies
// it to built-in kinds: maps merge, null deletes, lists with patchStrategy=merge merge by their
// patchMergeKey (or as sets of scalars), other lists are replaced; the directives $patch
// (replace/delete/merge), $retainKeys, $setElementOrder/<list> and $deleteFromPrimitiveList/<list>.
// Item order follows the library: patch order first, live-only items interleaved by live order.
import { StatusError } from '../core/errors.ts';
import { cloneJson, isObject, type JsonObject } from './json.ts';
import { fieldNode, itemNode, type TypeNode } from './type-meta.ts';
import { untypedServerError } from './untyped-error.ts';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);
/** The library's own errors reach clients untyped. */
const libraryError = untypedServerError;
const invalid = (message: string) =>
  new StatusError(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request',
    {
      causes: [{ reason: 'FieldValueInvalid', message }],
    },
  );

export function applyStrategicMergePatch<T>(doc: T, patch: unknown, rootNode: TypeNode): T {
  if (!isObject(patch)) throw badRequest('invalid JSON document');
  const original = isObject(doc) ? cloneJson(doc) : {};
  return mergeMap(original, cloneJson(patch), rootNode) as T;
}

/** Merges `patch` into `original` (both owned by this call and mutated). */
function mergeMap(original: JsonObject | undefined, patch: JsonObject, node: TypeNode): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) return mapDirective(patch, node);
  const target = original ?? {};
  applyRetainKeys(target, patch);
  mergeOrderedLists(target, patch, node);

  const deletions: [string, unknown][] = [];
  for (const [key, patchValue] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      deletions.push([listKey(key, DELETE_FROM_PRIMITIVE_LIST), patchValue]);
      continue;
    }
    if (key.startsWith('$')) continue; // unknown directives are dropped, as typed decoding does
    if (patchValue === null) {
      delete target[key];
      continue;
    }
    const child = fieldNode(node, key);
    const current = target[key];
    if (current === undefined || kindOf(current) !== kindOf(patchValue)) {
      target[key] = clean(patchValue, child);
    } else if (isObject(patchValue)) {
      target[key] =
        child.patchStrategy === 'replace'
          ? clean(patchValue, child)
          : mergeMap(current as JsonObject, patchValue, child);
    } else if (Array.isArray(patchValue)) {
      target[key] =
        child.patchStrategy === 'merge'
          ? mergeList(current as unknown[], patchValue, child)
          : clean(patchValue, child);
    } else {
      target[key] = patchValue;
    }
  }
  for (const [key, toDelete] of deletions) {
    if (!Array.isArray(toDelete)) throw badRequest('invalid patch format of primitive list');
    const current = target[key];
    if (!Array.isArray(current) || fieldNode(node, key).patchStrategy !== 'merge') continue;
    target[key] = current.filter((v) => !toDelete.some((d) => d === v));
  }
  return target;
}

function kindOf(v: unknown): 'object' | 'array' | string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

function listKey(key: string, prefix: string): string {
  const rest = key.slice(prefix.length);
  if (!rest) {
    throw badRequest(
      prefix === SET_ELEMENT_ORDER
        ? 'invalid patch format of setElementOrder list'
        : 'invalid patch format of primitive list',
    );
  }
  return rest;
}

/** A value the patch introduces: directives processed, nulls dropped (typed decoding drops them). */
function clean(value: unknown, node: TypeNode): unknown {
  if (isObject(value)) return mergeMap({}, value, node);
  if (Array.isArray(value)) {
    if (node.patchStrategy === 'merge') return mergeList([], value, node);
    const elem = itemNode(node);
    return value.map((v) => (isObject(v) ? mergeMap({}, v, elem) : v));
  }
  return value;
}

function mapDirective(patch: JsonObject, node: TypeNode): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'replace') {
    const rest = { ...patch };
    delete rest[DIRECTIVE];
    return mergeMap({}, rest, node);
  }
  if (directive === 'delete') return {};
  throw libraryError(`unknown patch type: ${String(directive)} in map: ${goMap(patch)}`);
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw badRequest('invalid patch format of retainKeys');
  const keep = new Set(retain);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) {
      continue;
    }
    if (!keep.has(k)) throw badRequest('invalid patch format of retainKeys');
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

// ---------------------------------------------------------------- lists

type ItemKind = 'object' | 'scalar';

function elementKind(...lists: unknown[][]): ItemKind | undefined {
  let kind: ItemKind | undefined;
  for (const list of lists) {
    for (const v of list) {
      if (Array.isArray(v)) throw invalid('lists of lists are not supported');
      const k: ItemKind = isObject(v) ? 'object' : 'scalar';
      if (kind && kind !== k) {
        throw libraryError('list element types are not identical');
      }
      kind = k;
    }
  }
  return kind;
}

/** The identity of a list item: its merge key value for maps, itself for scalars. */
function identity(item: unknown, mergeKey: string | undefined): unknown {
  return mergeKey && isObject(item) ? item[mergeKey] : item;
}

function indexIn(list: unknown[], item: unknown, mergeKey: string | undefined): number {
  const id = identity(item, mergeKey);
  for (let i = 0; i < list.length; i++) if (identity(list[i], mergeKey) === id) return i;
  return -1;
}

function requireMergeKey(item: unknown, mergeKey: string): JsonObject {
  if (!isObject(item)) throw libraryError(`expected a map, but received a ${kindOf(item)}`);
  if (!Object.hasOwn(item, mergeKey)) {
    throw libraryError(`map: ${goMap(item)} does not contain declared merge key: ${mergeKey}`);
  }
  return item;
}

function mergeList(original: unknown[], patch: unknown[], node: TypeNode): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  const mergeKey = node.patchMergeKey;
  let merged: unknown[];
  let base = original;
  let patchItems = patch;
  if (kind === 'scalar') {
    merged = dedupe([...original, ...patch]);
  } else {
    if (!mergeKey) throw libraryError('cannot merge lists without merge key for type map');
    const elem = itemNode(node);
    [base, patchItems] = applySpecialItems(original, patch, mergeKey, elem);
    merged = [...base];
    for (const raw of patchItems) {
      const item = requireMergeKey(raw, mergeKey);
      const at = indexIn(merged, item, mergeKey);
      if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, elem);
      else merged.push(mergeMap({}, item, elem));
    }
  }
  const [fromPatch, serverOnly] = partition(merged, patchItems, mergeKey);
  return normalizeOrder(fromPatch, serverOnly, patchItems, base, mergeKey);
}

/** Handles list items carrying $patch: delete removes by key, replace drops the live list. */
function applySpecialItems(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
  elem: TypeNode,
): [unknown[], unknown[]] {
  let base = original;
  const plain: unknown[] = [];
  let replace = false;
  for (const raw of patch) {
    const item = isObject(raw) ? raw : requireMergeKey(raw, mergeKey);
    if (!Object.hasOwn(item, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      const key = requireMergeKey(item, mergeKey)[mergeKey];
      base = base.filter((v) => !(isObject(v) && v[mergeKey] === key));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw libraryError('merging lists cannot yet be specified in the patch');
    } else {
      throw libraryError(`unknown patch type: ${String(directive)} in map: ${goMap(item)}`);
    }
  }
  if (replace) return [plain.map((v) => mergeMap({}, v as JsonObject, elem)), []];
  return [base, plain];
}

function dedupe(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of items) if (!out.some((o) => o === v)) out.push(v);
  return out;
}

function partition(
  merged: unknown[],
  by: unknown[],
  mergeKey: string | undefined,
): [unknown[], unknown[]] {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of merged) (indexIn(by, v, mergeKey) >= 0 ? inPatch : serverOnly).push(v);
  return [inPatch, serverOnly];
}

function sortByOrder(items: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const keep: unknown[] = [];
  const deletes: unknown[] = [];
  for (const v of items) (isObject(v) && v[DIRECTIVE] === 'delete' ? deletes : keep).push(v);
  const rank = (v: unknown) => {
    const i = indexIn(order, v, mergeKey);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...keep.sort((a, b) => rank(a) - rank(b)), ...deletes];
}

/**
 * Patch items in patch order, live-only items in live order, interleaved so that a live-only item
 * precedes a patch item when both are in the live list in that order (strategicpatch's
 * normalizeElementOrder + mergeSortedSlice).
 */
function normalizeOrder(
  fromPatch: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string | undefined,
): unknown[] {
  const right = sortByOrder(fromPatch, patchOrder, mergeKey);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** $setElementOrder/<list>: merges that list now and orders it as the directive says. */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, node: TypeNode): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw badRequest('invalid patch format of setElementOrder list');
    const field = listKey(key, SET_ELEMENT_ORDER);
    const child = fieldNode(node, field);
    const mergeKey = child.patchMergeKey;
    const live = original[field];
    const patchList = patch[field];
    const hasLive = Array.isArray(live);
    const hasPatch = Array.isArray(patchList);
    if (patchList !== undefined && !hasPatch) {
      throw badRequest('invalid patch format of setElementOrder list');
    }
    if (hasPatch) checkOrderMatchesPatch(patchList, order, mergeKey);
    let merged: unknown[];
    if (hasLive && hasPatch) {
      merged =
        child.patchStrategy === 'merge'
          ? mergeList(live, patchList, child)
          : (clean(patchList, child) as unknown[]);
    } else if (hasPatch) {
      merged = clean(patchList, child) as unknown[];
    } else if (hasLive) {
      merged = live;
    } else {
      continue;
    }
    if (elementKind(hasLive ? live : [], hasPatch ? patchList : []) === undefined) {
      original[field] = merged;
    } else {
      const [inOrder, serverOnly] = partition(merged, order, mergeKey);
      const serverOrder =
        hasLive && hasPatch && mergeKey && child.patchStrategy === 'merge'
          ? liveOrderAsGoSeesIt(live, patchList, mergeKey)
          : hasLive
            ? live
            : [];
      original[field] = normalizeOrder(inOrder, serverOnly, order, serverOrder, mergeKey);
    }
    delete patch[field];
  }
}

/**
 * The live order the library actually compares against after merging a list of maps: its merge
 * deletes items and appends new ones in place, inside the live slice's backing array, so the live
 * list it later orders by shows those edits within its original length. Reproducing that keeps
 * results identical to the real server's (see the library's own test table).
 */
function liveOrderAsGoSeesIt(live: unknown[], patch: unknown[], mergeKey: string): unknown[] {
  const window = live.slice();
  let length = live.length;
  const spill: unknown[] = []; // appends past the original capacity land in a new array
  const at = (i: number) => (i < window.length ? window[i] : spill[i - window.length]);
  const put = (i: number, v: unknown) => {
    if (i < window.length) window[i] = v;
    else spill[i - window.length] = v;
  };
  const find = (key: unknown) => {
    for (let i = 0; i < length; i++) {
      const v = at(i);
      if (isObject(v) && v[mergeKey] === key) return i;
    }
    return -1;
  };
  let replace = false;
  for (const item of patch) {
    if (!isObject(item)) continue;
    if (item[DIRECTIVE] === 'replace') replace = true;
    if (item[DIRECTIVE] !== 'delete') continue;
    for (let i = find(item[mergeKey]); i >= 0; i = find(item[mergeKey])) {
      for (let j = i; j < length - 1; j++) put(j, at(j + 1));
      length--;
    }
  }
  if (replace) return window;
  for (const item of patch) {
    if (!isObject(item) || Object.hasOwn(item, DIRECTIVE) || find(item[mergeKey]) >= 0) continue;
    put(length, item);
    length++;
  }
  return window;
}

/** The patch list's items (deletions aside) must appear in the directive list, in its order. */
function checkOrderMatchesPatch(
  patchList: unknown[],
  order: unknown[],
  mergeKey: string | undefined,
): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey
    ? patchList.filter((v) => !(isObject(v) && Object.hasOwn(v, DIRECTIVE)))
    : patchList;
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    if (identity(items[p], mergeKey) === identity(order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length) {
    throw libraryError(
      `The order in patch list:\n${JSON.stringify(patchList)}\n doesn't match $setElementOrder list:\n${JSON.stringify(order)}\n`,
    );
  }
}

/** Approximates Go's %v of a map for error messages. */
function goMap(m: JsonObject): string {
  return `map[${Object.keys(m)
    .sort()
    .map((k) => `${k}:${isObject(m[k]) ? goMap(m[k]) : String(m[k])}`)
    .join(' ')}]`;
}
