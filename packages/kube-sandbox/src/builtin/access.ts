// Tolerant readers for untyped JSON objects: built-in objects arrive as plain JSON, and a table or
// validator must never throw on a field of the wrong type.
import type { KubeObject } from '../core/types.ts';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a nested field; undefined as soon as a step is missing or not an object. */
export function at(obj: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[key];
    } else {
      if (!isObj(cur)) return undefined;
      cur = cur[key];
    }
  }
  return cur;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function objs(v: unknown): Obj[] {
  return arr(v).filter(isObj);
}

export function record(v: unknown): Obj {
  return isObj(v) ? v : {};
}

/** Returns obj[key] as an object, creating it when absent (for defaulting). */
export function ensureObj(obj: Obj, key: string): Obj {
  const cur = obj[key];
  if (isObj(cur)) return cur;
  const created: Obj = {};
  obj[key] = created;
  return created;
}

export function setDefault(obj: Obj, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

export function spec(obj: KubeObject): Obj {
  return record(obj['spec']);
}

export function status(obj: KubeObject): Obj {
  return record(obj['status']);
}

/** labels.FormatLabels / metav1.FormatLabelSelector-ish: "k=v,k2=v2" sorted, "<none>" when empty. */
export function formatLabels(labels: unknown): string {
  const entries = Object.entries(record(labels))
    .filter(([, v]) => typeof v === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return '<none>';
  return entries.map(([k, v]) => `${k}=${String(v)}`).join(',');
}

/** metav1.FormatLabelSelector: matchLabels and matchExpressions as kubectl prints a selector. */
export function formatLabelSelector(selector: unknown): string {
  if (!isObj(selector)) return '<none>';
  const parts: string[] = [];
  const ml = Object.entries(record(selector['matchLabels'])).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  for (const [k, v] of ml) parts.push(`${k}=${String(v)}`);
  for (const expr of objs(selector['matchExpressions'])) {
    const key = str(expr['key']);
    const values = arr(expr['values']).map(String).sort();
    switch (expr['operator']) {
      case 'In':
        parts.push(`${key} in (${values.join(',')})`);
        break;
      case 'NotIn':
        parts.push(`${key} notin (${values.join(',')})`);
        break;
      case 'Exists':
        parts.push(key);
        break;
      case 'DoesNotExist':
        parts.push(`!${key}`);
        break;
    }
  }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

/** Structural equality of JSON values, ignoring key order (stored and sent objects order keys differently). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
