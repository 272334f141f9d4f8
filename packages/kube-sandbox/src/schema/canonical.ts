// Deep equality of JSON values through a canonical encoding (object keys sorted).

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const obj = value as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Go's %#v rendering of a map[string]interface{} of scalars, as Duplicate value errors print list-map keys. */
export function goMapLiteral(entries: Record<string, unknown>): string {
  const parts = Object.keys(entries)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${goValue(entries[k])}`);
  return `map[string]interface {}{${parts.join(', ')}}`;
}

function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null) return 'interface {}(nil)';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
