// Small helpers shared by the server modules.
import { randomInt } from 'node:crypto';
import type { KubeObject } from '../core/types.ts';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

/** RFC 3339 with second precision, as metadata timestamps are. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with microseconds (MicroTime, e.g. managedFields are seconds; leases use micro). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5-character random suffix the real server appends to generateName. */
export function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

/** Reads a simple JSONPath such as `.spec.replicas` or `.status.conditions[0].type`. */
export function readJsonPath(obj: unknown, path: string): unknown {
  const trimmed = path.replace(/^\{?\.?/, '').replace(/\}$/, '');
  if (trimmed === '') return obj;
  let cur: unknown = obj;
  const parts = trimmed.match(/[^.[\]]+|\[[^\]]*\]/g) ?? [];
  for (const part of parts) {
    if (cur === undefined || cur === null) return undefined;
    if (part.startsWith('[')) {
      const inner = part.slice(1, -1);
      if (!Array.isArray(cur)) return undefined;
      const filter = /^\?\(@\.([\w.]+)\s*==\s*["']([^"']*)["']\)$/.exec(inner);
      if (filter) {
        cur = cur.find((item) => String(readJsonPath(item, '.' + filter[1])) === filter[2]);
      } else if (inner !== '*') cur = cur[Number(inner)];
    } else if (Array.isArray(cur)) {
      cur = cur.map((item) => (isPlainObject(item) ? item[part] : undefined));
    } else if (isPlainObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** Writes a dotted path such as `.spec.replicas`, creating objects along the way. */
export function writeJsonPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let cur: Record<string, unknown> = obj;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(cur[part])) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

export function metaOf(obj: KubeObject): NonNullable<KubeObject['metadata']> {
  obj.metadata ??= {};
  return obj.metadata;
}

/** apiVersion string for a group/version. */
export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
