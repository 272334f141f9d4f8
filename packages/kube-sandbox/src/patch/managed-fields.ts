// managedFields entries: who owns which fields, how entries are identified, encoded and sorted,
// and how ownership moves when a write changes fields (with apply conflicts).
import { StatusError } from '../core/errors.ts';
import type { KubeObject, ManagedFieldsEntry } from '../core/types.ts';
import {
  difference,
  fieldElement,
  fieldsV1ToSet,
  intersection,
  isEmptySet,
  memberPaths,
  pathToString,
  setToFieldsV1,
  union,
  type PathSet,
} from './fieldset.ts';
import { isObject, type JsonObject } from './json.ts';

export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: PathSet;
}

/** A manager's identity, as BuildManagerIdentifier: appliers are not split by apiVersion. */
export function managerId(
  m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
) {
  const version = m.operation === 'Apply' ? '' : m.apiVersion;
  return JSON.stringify([m.manager, m.operation, version, m.subresource ?? '']);
}

export function decodeManaged(entries: ManagedFieldsEntry[] | undefined): Map<string, Manager> {
  const out = new Map<string, Manager>();
  if (!Array.isArray(entries)) return out;
  for (const e of entries) {
    if (!e || typeof e !== 'object') continue;
    const m: Manager = {
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      ...(typeof e.time === 'string' && e.time ? { time: e.time } : {}),
      ...(typeof e.subresource === 'string' && e.subresource ? { subresource: e.subresource } : {}),
      set: fieldsV1ToSet(e.fieldsV1),
    };
    const id = managerId(m);
    const prev = out.get(id);
    if (prev) prev.set = union(prev.set, m.set);
    else out.set(id, m);
  }
  return out;
}

/** How many Update entries an object keeps (the field manager's DefaultMaxUpdateManagers). */
const MAX_UPDATE_MANAGERS = 10;

/**
 * Keeps at most MAX_UPDATE_MANAGERS Update entries: the oldest are merged, per apiVersion, into an
 * "ancient-changes" entry (capManagersManager), so objects written by many clients stay small.
 */
function capUpdateManagers(managers: Map<string, Manager>): void {
  const updaters = [...managers].filter(([, m]) => m.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort(([ia, a], [ib, b]) => cmp(a.time ?? '', b.time ?? '') || cmp(ia, ib));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (const [id, m] of updaters) {
    if (length <= MAX_UPDATE_MANAGERS) break;
    const first = firstByVersion.get(m.apiVersion);
    if (first === undefined) {
      firstByVersion.set(m.apiVersion, id);
      continue;
    }
    const bucketId = managerId({
      manager: 'ancient-changes',
      operation: 'Update',
      apiVersion: m.apiVersion,
    });
    if (id === bucketId) continue;
    let bucket = managers.get(bucketId);
    if (!bucket) {
      const firstManager = managers.get(first);
      if (!firstManager) continue;
      managers.delete(first);
      bucket = {
        manager: 'ancient-changes',
        operation: 'Update',
        apiVersion: m.apiVersion,
        set: firstManager.set,
      };
      managers.set(bucketId, bucket);
    }
    bucket.set = union(m.set, bucket.set);
    if (m.time) bucket.time = m.time;
    managers.delete(id);
    length--;
  }
}

export function encodeManaged(managers: Map<string, Manager>): ManagedFieldsEntry[] {
  for (const [id, m] of managers) if (isEmptySet(m.set)) managers.delete(id);
  capUpdateManagers(managers);
  const list = [...managers.values()].filter((m) => !isEmptySet(m.set));
  list.sort(
    (a, b) =>
      cmp(a.operation, b.operation) ||
      cmp(a.time ?? '', b.time ?? '') ||
      cmp(a.manager, b.manager) ||
      cmp(a.apiVersion, b.apiVersion) ||
      cmp(a.subresource ?? '', b.subresource ?? ''),
  );
  return list.map((m) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    ...(m.time ? { time: m.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: setToFieldsV1(m.set),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  }));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Metadata fields no manager ever owns (the field manager's stripMeta); apiVersion, kind and metadata itself neither. */
const STRIPPED_METADATA = [
  'name',
  'namespace',
  'creationTimestamp',
  'selfLink',
  'uid',
  'clusterName',
  'generation',
  'managedFields',
  'resourceVersion',
].map(fieldElement);

/**
 * What a write through `subresource` may own: never the stripped fields; the main resource never
 * owns status and status writes never own spec (the strategies' reset fields). Shares subtrees.
 */
export function ownable(set: PathSet, subresource: string | undefined): PathSet {
  const out: PathSet = { member: false, children: new Map(set.children) };
  out.children.delete(fieldElement('apiVersion'));
  out.children.delete(fieldElement('kind'));
  if (!subresource) out.children.delete(fieldElement('status'));
  else if (subresource === 'status') out.children.delete(fieldElement('spec'));
  const meta = set.children.get(fieldElement('metadata'));
  if (meta) {
    const m: PathSet = { member: false, children: new Map(meta.children) };
    for (const pe of STRIPPED_METADATA) {
      const c = m.children.get(pe);
      if (!c) continue;
      if (c.children.size === 0) m.children.delete(pe);
      else m.children.set(pe, { member: false, children: c.children });
    }
    if (isEmptySet(m)) out.children.delete(fieldElement('metadata'));
    else out.children.set(fieldElement('metadata'), m);
  }
  return out;
}

export function withoutManagedFields(obj: KubeObject | undefined): JsonObject {
  if (!obj) return {};
  const copy: JsonObject = { ...obj };
  if (isObject(obj.metadata)) {
    const meta = { ...obj.metadata };
    delete meta.managedFields;
    copy.metadata = meta;
  }
  return copy;
}

export function apiVersionOf(...objs: (KubeObject | undefined)[]): string {
  for (const o of objs) if (o && typeof o.apiVersion === 'string') return o.apiVersion;
  return '';
}

export interface Conflict {
  manager: Manager;
  path: string[];
}

function describeManager(m: Manager): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

export function conflictError(conflicts: Conflict[]): StatusError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: pathToString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    const c = conflicts[0];
    message = `Apply failed with 1 conflict: conflict with ${describeManager(c.manager)}: ${pathToString(c.path)}`;
  } else {
    const byManager = new Map<string, Conflict[]>();
    for (const c of conflicts) {
      const id = managerId(c.manager);
      byManager.set(id, [...(byManager.get(id) ?? []), c]);
    }
    const lines: string[] = [];
    for (const [, group] of [...byManager].sort(([a], [b]) => cmp(a, b))) {
      lines.push(`conflicts with ${describeManager(group[0].manager)}:`);
      for (const c of group) lines.push(`- ${pathToString(c.path)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

/** Fields of other managers that `self`'s write changes: apply conflicts. */
export function findConflicts(
  managers: Map<string, Manager>,
  selfId: string,
  changed: PathSet,
): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const [id, m] of managers) {
    if (id === selfId) continue;
    for (const path of memberPaths(intersection(m.set, changed))) {
      conflicts.push({ manager: m, path });
    }
  }
  return conflicts;
}

/**
 * Ownership after `self`'s write (merge.Updater.update, conflicts already settled): fields that
 * changed are taken from other managers, removed fields leave everyone else.
 */
export function takeChangedFields(
  managers: Map<string, Manager>,
  selfId: string,
  changed: PathSet,
  removed: PathSet,
): void {
  for (const [id, m] of managers) {
    if (id === selfId) continue;
    let set = difference(m.set, changed);
    if (!isEmptySet(removed)) set = difference(set, removed);
    if (isEmptySet(set)) managers.delete(id);
    else m.set = set;
  }
}
