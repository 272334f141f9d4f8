// RFC 6902 JSON patch with the error wording of the library the API server uses
// (gopkg.in/evanphx/json-patch.v4): the apiserver answers any failure while applying the
// operations with 422 Invalid "the server rejected our request due to an error in our request",
// and a body that is not a list of operations with 400.
import { StatusError } from '../core/errors.ts';
import { cloneJson, isObject, jsonEqual, type JsonObject } from './json.ts';

/** The apiserver's limit on operations in one JSON patch. */
const MAX_OPERATIONS = 10000;

type Container = JsonObject | unknown[];

class PatchApplyError extends Error {}

/** Applies `ops` to a copy of `doc`; throws StatusError 400/413/422 like the API server. */
export function applyJsonPatch<T>(doc: T, ops: unknown): T {
  const operations = decodeOperations(ops);
  let root: unknown = cloneJson(doc);
  operations.forEach((op, i) => {
    try {
      root = applyOperation(root, op);
    } catch (err) {
      if (err instanceof PatchApplyError) {
        throw rejected(err.message, typeof op.path === 'string' ? op.path : `[${i}]`);
      }
      throw err;
    }
  });
  return root as T;
}

function decodeOperations(ops: unknown): JsonObject[] {
  if (!Array.isArray(ops)) {
    throw new StatusError(
      400,
      'BadRequest',
      `json: cannot unmarshal ${goJsonKind(ops)} into Go value of type jsonpatch.Patch`,
    );
  }
  for (const op of ops) {
    if (!isObject(op)) {
      throw new StatusError(
        400,
        'BadRequest',
        `json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`,
      );
    }
  }
  if (ops.length > MAX_OPERATIONS) {
    throw new StatusError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${ops.length}`,
    );
  }
  return ops as JsonObject[];
}

function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'object';
  return typeof value; // string, number, boolean
}

/**
 * 422 as the apiserver builds it (NewGenericServerResponse). The library's message, which the real
 * server drops, is kept as a cause naming the operation's path, so kubectl prints
 * "The request is invalid: <path>: <message>".
 */
function rejected(detail: string, field: string): StatusError {
  return new StatusError(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request',
    { causes: [{ reason: 'FieldValueInvalid', message: detail, field }] },
  );
}

function applyOperation(root: unknown, op: JsonObject): unknown {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  switch (kind) {
    case 'add':
      return add(root, op);
    case 'remove':
      return remove(root, op);
    case 'replace':
      return replace(root, op);
    case 'move':
      return move(root, op);
    case 'copy':
      return copy(root, op);
    case 'test':
      test(root, op);
      return root;
    default:
      throw new PatchApplyError(`Unexpected kind: ${kind}`);
  }
}

function pathOf(op: JsonObject, field: 'path' | 'from', what: string): string {
  const p = op[field];
  if (typeof p !== 'string') throw new PatchApplyError(`${what}: missing value`);
  return p;
}

function valueOf(op: JsonObject, what: string): unknown {
  if (!Object.hasOwn(op, 'value')) {
    throw new PatchApplyError(`${what}: operation, missing value field: missing value`);
  }
  return cloneJson(op.value);
}

/**
 * Splits an RFC 6901 pointer into decoded tokens. Like the Go library, a pointer without any "/"
 * (including "", the whole document) names no member: only replace and test accept "".
 */
export function parsePointer(pointer: string): string[] | undefined {
  const parts = pointer.split('/');
  if (parts.length < 2) return undefined;
  return parts.slice(1).map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The container holding the last token, or undefined when an intermediate step is missing. */
function findParent(root: unknown, tokens: string[] | undefined): Container | undefined {
  if (!tokens) return undefined;
  let cur: unknown = root;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const idx = arrayIndex(token);
      if (idx === undefined || idx >= cur.length) return undefined;
      cur = cur[idx];
    } else if (isObject(cur)) {
      if (!Object.hasOwn(cur, token)) return undefined;
      cur = cur[token];
    } else {
      return undefined;
    }
  }
  return Array.isArray(cur) || isObject(cur) ? cur : undefined;
}

function arrayIndex(token: string): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  return Number(token);
}

function getChild(parent: Container, key: string, path: string): unknown {
  if (Array.isArray(parent)) {
    const idx = arrayIndex(key);
    if (idx === undefined || idx >= parent.length) {
      throw new PatchApplyError(`Unable to access invalid index: ${key}: invalid index referenced`);
    }
    return parent[idx];
  }
  if (!Object.hasOwn(parent, key)) {
    throw new PatchApplyError(
      `error in copy for from: '${path}': unable to get nonexistent key: ${key}: missing value`,
    );
  }
  return parent[key];
}

function insert(parent: Container, key: string, value: unknown, path: string, what: string) {
  if (Array.isArray(parent)) {
    if (key === '-') {
      parent.push(value);
      return;
    }
    const idx = arrayIndex(key);
    if (idx === undefined || idx > parent.length) {
      throw new PatchApplyError(
        `error in ${what} for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`,
      );
    }
    parent.splice(idx, 0, value);
    return;
  }
  parent[key] = value;
}

function add(root: unknown, op: JsonObject): unknown {
  const path = pathOf(op, 'path', 'add operation failed to decode path');
  const value = valueOf(op, 'add operation');
  const tokens = parsePointer(path);
  const parent = findParent(root, tokens);
  if (!parent || !tokens) {
    throw new PatchApplyError(
      `add operation does not apply: doc is missing path: "${path}": missing value`,
    );
  }
  insert(parent, tokens[tokens.length - 1], value, path, 'add');
  return root;
}

function removeAt(root: unknown, path: string, what: string): unknown {
  const tokens = parsePointer(path);
  const parent = findParent(root, tokens);
  if (!parent || !tokens) {
    throw new PatchApplyError(
      `${what} operation does not apply: doc is missing path: "${path}": missing value`,
    );
  }
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const idx = arrayIndex(key);
    if (idx === undefined || idx >= parent.length) {
      throw new PatchApplyError(
        `error in ${what} for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`,
      );
    }
    return parent.splice(idx, 1)[0];
  }
  if (!Object.hasOwn(parent, key)) {
    throw new PatchApplyError(
      `error in ${what} for path: '${path}': unable to remove nonexistent key: ${key}: missing value`,
    );
  }
  const old = parent[key];
  delete parent[key];
  return old;
}

function remove(root: unknown, op: JsonObject): unknown {
  const path = pathOf(op, 'path', 'remove operation failed to decode path');
  removeAt(root, path, 'remove');
  return root;
}

function replace(root: unknown, op: JsonObject): unknown {
  const path = pathOf(op, 'path', 'replace operation failed to decode path');
  const value = valueOf(op, 'replace operation');
  if (path === '') {
    if (typeof value !== 'object' || value === null) {
      throw new PatchApplyError('replace operation value must be object or array');
    }
    return value;
  }
  const tokens = parsePointer(path);
  const parent = findParent(root, tokens);
  if (!parent || !tokens) {
    throw new PatchApplyError(
      `replace operation does not apply: doc is missing path: ${path}: missing value`,
    );
  }
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const idx = arrayIndex(key);
    if (idx === undefined || idx >= parent.length) {
      throw new PatchApplyError(
        `replace operation does not apply: doc is missing key: ${path}: missing value`,
      );
    }
    parent[idx] = value;
  } else {
    if (!Object.hasOwn(parent, key)) {
      throw new PatchApplyError(
        `replace operation does not apply: doc is missing key: ${path}: missing value`,
      );
    }
    parent[key] = value;
  }
  return root;
}

function move(root: unknown, op: JsonObject): unknown {
  const from = pathOf(op, 'from', 'move operation failed to decode from');
  const path = pathOf(op, 'path', 'move operation failed to decode path');
  if (path === from) return root;
  if (path.startsWith(`${from}/`)) {
    throw new PatchApplyError(`move operation does not apply: cannot move ${from} into itself`);
  }
  if (!findParent(root, parsePointer(from))) {
    throw new PatchApplyError(
      `move operation does not apply: doc is missing from path: ${from}: missing value`,
    );
  }
  const value = removeAt(root, from, 'move');
  const tokens = parsePointer(path);
  const parent = findParent(root, tokens);
  if (!parent || !tokens) {
    throw new PatchApplyError(
      `move operation does not apply: doc is missing destination path: ${path}: missing value`,
    );
  }
  insert(parent, tokens[tokens.length - 1], value, path, 'move');
  return root;
}

function copy(root: unknown, op: JsonObject): unknown {
  const from = pathOf(op, 'from', 'copy operation failed to decode from');
  const path = pathOf(op, 'path', 'copy operation failed to decode path');
  const fromTokens = parsePointer(from);
  const src = findParent(root, fromTokens);
  if (!src || !fromTokens) {
    throw new PatchApplyError(
      `copy operation does not apply: doc is missing from path: ${from}: missing value`,
    );
  }
  const value = cloneJson(getChild(src, fromTokens[fromTokens.length - 1], from));
  const tokens = parsePointer(path);
  const parent = findParent(root, tokens);
  if (!parent || !tokens) {
    throw new PatchApplyError(
      `copy operation does not apply: doc is missing destination path: ${path}: missing value`,
    );
  }
  insert(parent, tokens[tokens.length - 1], value, path, 'copy');
  return root;
}

function test(root: unknown, op: JsonObject): void {
  const path = pathOf(op, 'path', 'test operation failed to decode path');
  const expected = op.value;
  if (path === '') {
    if (!jsonEqual(root, expected)) {
      throw new PatchApplyError(`testing value ${path} failed: test failed`);
    }
    return;
  }
  const tokens = parsePointer(path);
  const parent = findParent(root, tokens);
  if (!parent || !tokens) {
    throw new PatchApplyError(
      `test operation does not apply: is missing path: ${path}: missing value`,
    );
  }
  const key = tokens[tokens.length - 1];
  let actual: unknown;
  if (Array.isArray(parent)) {
    const idx = arrayIndex(key);
    if (idx === undefined || idx >= parent.length) {
      throw new PatchApplyError(
        `error in test for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`,
      );
    }
    actual = parent[idx];
  } else {
    actual = Object.hasOwn(parent, key) ? parent[key] : undefined;
  }
  // A missing member equals an explicit null, as in the Go library.
  const a = actual === undefined ? null : actual;
  const e = expected === undefined ? null : expected;
  if (!jsonEqual(a, e)) throw new PatchApplyError(`testing value ${path} failed: test failed`);
}
