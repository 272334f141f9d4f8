// Sets of field paths as server-side apply tracks them (sigs.k8s.io/structured-merge-diff
// fieldpath.Set), stored as a tree whose keys are FieldsV1 path elements:
//   f:<field>           a field of a struct or map
//   k:{"name":"x"}      an item of a list-map, by its key fields (sorted by name)
//   v:<json>            an item of a set
//   i:<n>               an item of an atomic-by-position list (rare)
// A node is a "member" when the path itself is in the set; FieldsV1 writes that as ".": {} when
// the node also has children, or as an empty object when it has none.

export interface PathSet {
  member: boolean;
  children: Map<string, PathSet>;
}

export const newSet = (): PathSet => ({ member: false, children: new Map() });

export function isEmptySet(set: PathSet): boolean {
  return !set.member && set.children.size === 0;
}

export function insertPath(set: PathSet, path: readonly string[]): void {
  let node = set;
  for (const pe of path) {
    let next = node.children.get(pe);
    if (!next) {
      next = newSet();
      node.children.set(pe, next);
    }
    node = next;
  }
  node.member = true;
}

/** Whether `path` itself is in the set. */
export function hasMember(set: PathSet, path: readonly string[]): boolean {
  let node: PathSet | undefined = set;
  for (const pe of path) {
    node = node.children.get(pe);
    if (!node) return false;
  }
  return node.member;
}

export function childSet(set: PathSet | undefined, pe: string): PathSet | undefined {
  return set?.children.get(pe);
}

/** The union of two sets; may share structure with its inputs (sets are never mutated after construction). */
export function union(a: PathSet, b: PathSet): PathSet {
  if (isEmptySet(a)) return b;
  if (isEmptySet(b)) return a;
  const out: PathSet = { member: a.member || b.member, children: new Map() };
  for (const [k, v] of a.children) {
    const other = b.children.get(k);
    out.children.set(k, other ? union(v, other) : v);
  }
  for (const [k, v] of b.children) if (!a.children.has(k)) out.children.set(k, v);
  return out;
}

/** Paths of `a` that are not in `b` (membership-wise, like fieldpath.Set.Difference); shares subtrees of `a`. */
export function difference(a: PathSet, b: PathSet | undefined): PathSet {
  if (!b) return a;
  const out: PathSet = { member: a.member && !b.member, children: new Map() };
  for (const [k, v] of a.children) {
    const other = b.children.get(k);
    if (!other) {
      out.children.set(k, v);
      continue;
    }
    const d = difference(v, other);
    if (!isEmptySet(d)) out.children.set(k, d);
  }
  return out;
}

export function intersection(a: PathSet, b: PathSet): PathSet {
  const out: PathSet = { member: a.member && b.member, children: new Map() };
  for (const [k, v] of a.children) {
    const other = b.children.get(k);
    if (!other) continue;
    const i = intersection(v, other);
    if (!isEmptySet(i)) out.children.set(k, i);
  }
  return out;
}

/** true when the set holds `set` itself or anything below it. */
export function hasAny(set: PathSet | undefined): boolean {
  return !!set && (set.member || set.children.size > 0);
}

/** Every member path, children in sorted order (as fieldpath.Set.Iterate). */
export function memberPaths(set: PathSet, prefix: string[] = [], out: string[][] = []): string[][] {
  if (set.member && prefix.length > 0) out.push(prefix);
  for (const [k, child] of sortedChildren(set)) memberPaths(child, [...prefix, k], out);
  return out;
}

function sortedChildren(set: PathSet): Iterable<[string, PathSet]> {
  if (set.children.size < 2) return set.children;
  return [...set.children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function setToFieldsV1(set: PathSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (set.member && set.children.size > 0) out['.'] = {};
  // Children keep the object's field order (JSON readers do not depend on the order Go sorts them in).
  for (const [k, child] of set.children) out[k] = setToFieldsV1(child);
  return out;
}

export function fieldsV1ToSet(fields: unknown): PathSet {
  const set = newSet();
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return set;
  for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
    if (k === '.') {
      set.member = true;
      continue;
    }
    const child = fieldsV1ToSet(v);
    // {} marks a member; anything that is not an object is read leniently as one too.
    if (typeof v !== 'object' || v === null || Object.keys(v).length === 0) child.member = true;
    set.children.set(k, child);
  }
  return set;
}

/** A path as the API server prints it in conflicts: .spec.containers[name="app"].image */
export function pathToString(path: readonly string[]): string {
  return path.map(elementToString).join('');
}

function elementToString(pe: string): string {
  const body = pe.slice(2);
  switch (pe.slice(0, 2)) {
    case 'f:':
      return `.${body}`;
    case 'k:': {
      try {
        const key = JSON.parse(body) as Record<string, unknown>;
        return `[${Object.keys(key)
          .map((k) => `${k}=${JSON.stringify(key[k])}`)
          .join(',')}]`;
      } catch {
        return `[${body}]`;
      }
    }
    case 'v:':
      return `[=${body}]`;
    case 'i:':
      return `[${body}]`;
    default:
      return pe;
  }
}

export const fieldElement = (name: string) => `f:${name}`;

/** k:{...} with the key fields sorted by name, encoded as Go's encoding/json does. */
export function keyElement(fields: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(fields).sort()) sorted[k] = fields[k];
  return `k:${goJson(sorted)}`;
}

export const valueElement = (value: unknown) => `v:${goJson(value)}`;

/** JSON.stringify plus Go's HTML-safe escaping of <, > and &. */
function goJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!/[<>&]/.test(json)) return json;
  return json.replaceAll('<', '\\u003c').replaceAll('>', '\\u003e').replaceAll('&', '\\u0026');
}
