// Server-side apply and managedFields bookkeeping, following the API server's field manager
// (k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager over structured-merge-diff):
// - Apply: the applied object is the manager's full intent. It is merged into the live object
//   (list-maps by key, sets by value, atomic values replaced); the manager then owns exactly the
//   fields it applied; fields it applied before and omits now are removed unless another manager
//   owns them; changing a field another manager owns is a conflict unless forced, which takes it.
// - Update (create, update, patch): the manager owns what it changed; others lose those fields.
import type { TypeInfo } from '../core/contracts.ts';
import type { KubeObject, ManagedFieldsEntry } from '../core/types.ts';
import { difference, hasMember, isEmptySet, newSet, union, type PathSet } from './fieldset.ts';
import { cloneJson, isObject, type JsonObject } from './json.ts';
import {
  apiVersionOf,
  conflictError,
  decodeManaged,
  encodeManaged,
  findConflicts,
  managerId,
  ownable,
  takeChangedFields,
  withoutManagedFields,
  type Conflict,
  type Manager,
} from './managed-fields.ts';
import { appliedFieldSet, compareObjects, TypedValueError } from './ssa-fieldsets.ts';
import { mergeApplied, pruneFields } from './ssa-merge.ts';
import { typeNodeFor, type TypeNode } from './type-meta.ts';
import { untypedServerError } from './untyped-error.ts';

export interface ApplyArgs {
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  type: TypeInfo;
  subresource?: string;
  now: string;
}

export function serverSideApply(args: ApplyArgs): KubeObject {
  const node = typeNodeFor(args.type);
  const builtin = args.type.source === 'builtin';
  const applied = withoutManagedFields(cloneJson(args.applied));
  const live = withoutManagedFields(args.live ? cloneJson(args.live) : undefined);
  const managers = decodeManaged(args.live?.metadata?.managedFields);

  // An object nobody tracked yet belongs to "before-first-apply", so applying over it can conflict.
  if (args.live && managers.size === 0) {
    const existing = ownable(compareObjects({}, live, node, builtin).added, args.subresource);
    if (!isEmptySet(existing)) {
      const m: Manager = {
        manager: 'before-first-apply',
        operation: 'Update',
        apiVersion: apiVersionOf(args.applied, args.live),
        set: existing,
      };
      managers.set(managerId(m), m);
    }
  }

  const self: Manager = {
    manager: args.manager,
    operation: 'Apply',
    apiVersion: apiVersionOf(args.applied, args.live),
    ...(args.subresource ? { subresource: args.subresource } : {}),
    set: ownable(typedFieldSet(applied, node), args.subresource),
  };
  const selfId = managerId(self);
  const previous = managers.get(selfId);
  managers.set(selfId, self);

  const merged = mergeApplied(live, applied, node) as JsonObject;
  if (previous) {
    let owned = newSet();
    for (const m of managers.values()) owned = union(owned, m.set);
    const dropped = difference(previous.set, owned);
    if (!isEmptySet(dropped)) pruneFields(merged, node, dropped, owned);
  }

  const diff = compareObjects(live, merged, node, builtin);
  const changed = ownable(union(diff.modified, diff.added), args.subresource);
  if (!args.force) {
    let conflicts = findConflicts(managers, selfId, changed);
    if (conflicts.length > 0 && args.manager === 'kubectl') {
      conflicts = withoutClientSideApplyConflicts(conflicts, live, node, builtin);
    }
    if (conflicts.length > 0) throw conflictError(conflicts);
  }
  takeChangedFields(managers, selfId, changed, diff.removed);

  const objectChanged = !isEmptySet(changed) || !isEmptySet(diff.removed);
  self.time = objectChanged || !previous?.time ? args.now : previous.time;
  const meta: JsonObject = isObject(merged.metadata) ? merged.metadata : {};
  if (args.manager === 'kubectl') syncLastApplied(meta, applied);
  meta.managedFields = encodeManaged(managers);
  merged.metadata = meta;
  return merged;
}

/** The applied fields, or the API server's error for a configuration its schema cannot take. */
function typedFieldSet(applied: JsonObject, node: TypeNode): PathSet {
  try {
    return appliedFieldSet(applied, node);
  } catch (err) {
    if (!(err instanceof TypedValueError)) throw err;
    const meta = isObject(applied.metadata) ? applied.metadata : {};
    const apiVersion = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
    const gv = apiVersion.includes('/') ? apiVersion : `/${apiVersion}`;
    const what = `${String(meta.namespace ?? '')}/${String(meta.name ?? '')}; ${gv}, Kind=${String(applied.kind ?? '')}`;
    throw untypedServerError(`failed to create typed patch object (${what}): ${err.message}`);
  }
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * `kubectl apply --server-side` after client-side `kubectl apply` (the lastAppliedManager): conflicts
 * on fields whose last-applied-configuration value still matches the live object are the user's
 * own earlier intent, so they are taken over instead of reported.
 */
function withoutClientSideApplyConflicts(
  conflicts: Conflict[],
  live: JsonObject,
  node: TypeNode,
  builtin: boolean,
): Conflict[] {
  const annotations = isObject(live.metadata) ? live.metadata.annotations : undefined;
  const raw = isObject(annotations) ? annotations[LAST_APPLIED] : undefined;
  if (typeof raw !== 'string' || raw === '') return conflicts;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(raw);
  } catch {
    return conflicts;
  }
  if (!isObject(lastApplied) || lastApplied.apiVersion !== live.apiVersion) return conflicts;
  let allowed: PathSet;
  try {
    const diff = compareObjects(lastApplied, live, node, builtin);
    allowed = difference(
      difference(difference(appliedFieldSet(lastApplied, node), diff.modified), diff.added),
      diff.removed,
    );
  } catch {
    return conflicts;
  }
  return conflicts.filter((c) => !hasMember(allowed, c.path));
}

/**
 * `kubectl apply --server-side` keeps an existing client-side-apply annotation in step with what
 * it applied (the field manager's lastAppliedUpdater), so a later client-side apply diffs correctly.
 */
function syncLastApplied(meta: JsonObject, applied: JsonObject): void {
  const annotations = meta.annotations;
  if (!isObject(annotations) || typeof annotations[LAST_APPLIED] !== 'string') return;
  const config = cloneJson(applied);
  if (isObject(config.metadata) && isObject(config.metadata.annotations)) {
    const own = { ...config.metadata.annotations };
    delete own[LAST_APPLIED];
    if (Object.keys(own).length > 0) config.metadata.annotations = own;
    else delete config.metadata.annotations;
  }
  meta.annotations = { ...annotations, [LAST_APPLIED]: JSON.stringify(config) };
}

export interface UpdateArgs {
  old: KubeObject | undefined;
  updated: KubeObject;
  manager: string;
  type: TypeInfo;
  subresource?: string;
  now: string;
}

export function updateManagedFields(args: UpdateArgs): ManagedFieldsEntry[] {
  const node = typeNodeFor(args.type);
  const sent = args.updated.metadata?.managedFields;
  // Clients may set managedFields explicitly on the main resource; otherwise the live ones stand.
  const source =
    !args.subresource && Array.isArray(sent) && sent.length > 0
      ? sent
      : args.old?.metadata?.managedFields;
  const managers = decodeManaged(source);
  // Like the API server, an existing object that nobody tracks stays untracked on update.
  if (args.old && managers.size === 0) return [];

  const diff = compareObjects(
    withoutManagedFields(args.old),
    withoutManagedFields(args.updated),
    node,
    args.type.source === 'builtin',
  );
  const changed = ownable(union(diff.modified, diff.added), args.subresource);
  const self: Manager = {
    manager: args.manager,
    operation: 'Update',
    apiVersion: apiVersionOf(args.updated, args.old),
    ...(args.subresource ? { subresource: args.subresource } : {}),
    set: newSet(),
  };
  const selfId = managerId(self);
  const existing = managers.get(selfId);
  takeChangedFields(managers, selfId, changed, diff.removed);
  if (!isEmptySet(changed)) {
    const base = existing ? difference(existing.set, diff.removed) : newSet();
    self.set = union(base, changed);
    self.time = args.now;
    managers.set(selfId, self);
  } else if (existing) {
    existing.set = difference(existing.set, diff.removed);
  }
  return encodeManaged(managers);
}
