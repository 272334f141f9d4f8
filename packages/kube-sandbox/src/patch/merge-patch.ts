// RFC 7386 JSON merge patch: objects merge recursively, null deletes, everything else replaces.
import { StatusError } from '../core/errors.ts';
import { isObject, type JsonObject } from './json.ts';

export function applyMergePatch<T>(doc: T, patch: unknown): T {
  if (!isObject(patch)) throw new StatusError(400, 'BadRequest', 'Invalid JSON Patch');
  return mergeValue(doc, patch) as T;
}

/** Merges without mutating `target` or `patch`; untouched subtrees are shared, not copied. */
function mergeValue(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return stripNulls(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergeValue(out[key], value);
  }
  return out;
}

/** A value added by the patch keeps no nulls (the Go library the apiserver uses prunes them, in arrays too). */
function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(stripNulls);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = stripNulls(v);
  return out;
}
