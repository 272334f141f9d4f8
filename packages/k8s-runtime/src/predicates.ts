import type { KubeObject } from './types.ts';

/** Filters events before they enqueue a key. Missing methods let the event through. */
export interface Predicate<T extends KubeObject = KubeObject> {
  create?(obj: T): boolean;
  update?(oldObj: T, newObj: T): boolean;
  delete?(obj: T): boolean;
}

const sameMap = (a: Record<string, string> = {}, b: Record<string, string> = {}) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

/** Ignores updates that do not change metadata.generation (status-only writes). */
export const generationChanged: Predicate = {
  update: (o, n) => o.metadata?.generation !== n.metadata?.generation,
};

/** Ignores resyncs (updates whose resourceVersion did not change). */
export const resourceVersionChanged: Predicate = {
  update: (o, n) => o.metadata?.resourceVersion !== n.metadata?.resourceVersion,
};

export const labelsChanged: Predicate = {
  update: (o, n) => !sameMap(o.metadata?.labels, n.metadata?.labels),
};

export const annotationsChanged: Predicate = {
  update: (o, n) => !sameMap(o.metadata?.annotations, n.metadata?.annotations),
};

/** Passes objects whose labels include all the given labels. */
export function hasLabels(labels: Record<string, string>): Predicate {
  const match = (o: KubeObject) =>
    Object.entries(labels).every(([k, v]) => o.metadata?.labels?.[k] === v);
  return { create: match, update: (_o, n) => match(n), delete: match };
}

/** A predicate from one function applied to every event's (new) object. */
export function predicateFor<T extends KubeObject>(fn: (obj: T) => boolean): Predicate<T> {
  return { create: fn, update: (_o, n) => fn(n), delete: fn };
}

export function and<T extends KubeObject>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (o) => ps.every((p) => p.create?.(o) ?? true),
    update: (a, b) => ps.every((p) => p.update?.(a, b) ?? true),
    delete: (o) => ps.every((p) => p.delete?.(o) ?? true),
  };
}

export function or<T extends KubeObject>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (o) => ps.some((p) => p.create?.(o) ?? true),
    update: (a, b) => ps.some((p) => p.update?.(a, b) ?? true),
    delete: (o) => ps.some((p) => p.delete?.(o) ?? true),
  };
}

export function not<T extends KubeObject>(p: Predicate<T>): Predicate<T> {
  return {
    create: (o) => !(p.create?.(o) ?? true),
    update: (a, b) => !(p.update?.(a, b) ?? true),
    delete: (o) => !(p.delete?.(o) ?? true),
  };
}

export function passes<T extends KubeObject>(
  ps: Predicate<T>[],
  event: 'create' | 'update' | 'delete',
  obj: T,
  oldObj?: T,
): boolean {
  return ps.every((p) => {
    if (event === 'create') return p.create?.(obj) ?? true;
    if (event === 'delete') return p.delete?.(obj) ?? true;
    return p.update?.(oldObj ?? obj, obj) ?? true;
  });
}
