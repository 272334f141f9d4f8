// x-kubernetes-validations: rules compiled once per schema (per CRD version), evaluated with
// `self` (and `oldSelf` for transition rules on update) bound to the value at the rule's node.
// Errors are worded as apiextensions-apiserver's schema/cel validator words them.
import { Optional } from '@marcbachmann/cel-js';
import type { StatusCause } from '../core/errors.ts';
import { undefinedFieldIn } from './cel-fields.ts';
import { celFieldName, typeCheckError } from './cel-types.ts';
import { celDuration, celEnvironment } from './cel-library.ts';
import { deepEqual, hasOwn, isObject } from './json.ts';
import type { SchemaNode } from './node.ts';
import { childPath, indexPath, keyPath } from './paths.ts';

type Program = (ctx: Record<string, unknown>) => unknown;

export interface CelRule {
  rule: string;
  message: string | undefined;
  messageExpression: Program | undefined;
  reason: string | undefined;
  /** fieldPath turned into a path suffix (`.spec.x` -> `.spec.x`, `['a.b']` -> `.a.b`). */
  fieldPath: string | undefined;
  transition: boolean;
  optionalOldSelf: boolean;
  program: Program;
}

/** A rule that does not compile; validateCrd reports these. */
export interface CelCompileError {
  /** Path of the rule inside the schema, e.g. `properties[spec].x-kubernetes-validations[0]`. */
  schemaPath: string;
  field: 'rule' | 'messageExpression' | 'fieldPath';
  value: string;
  message: string;
}

function firstLine(msg: string): string {
  return msg.split('\n')[0] ?? msg;
}

function compileExpression(expression: string): Program {
  const env = celEnvironment();
  const checked = env.check(expression);
  if (!checked.valid) throw new Error(checked.error?.message ?? 'type check failed');
  const program: Program = env.parse(expression);
  return program;
}

const OLD_SELF = /\boldSelf\b/;

/** Segments of a CRD fieldPath (`.spec.foo`, `.m['a.b']`); undefined when it is not a valid one
 * (k8s supports field selection only, no list indexes). */
function fieldPathSegments(fieldPath: string): string[] | undefined {
  const segments: string[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\['((?:[^'\\]|\\.)*)'\]/y;
  let pos = 0;
  while (pos < fieldPath.length) {
    re.lastIndex = pos;
    const m = re.exec(fieldPath);
    if (!m) return undefined;
    segments.push(m[1] ?? m[2] ?? '');
    pos = re.lastIndex;
  }
  return segments.length ? segments : undefined;
}

/** Converts a CRD fieldPath into a field.Path suffix (`.m['a.b']` -> `.m.a.b`). */
export function fieldPathSuffix(fieldPath: string): string | undefined {
  return fieldPathSegments(fieldPath)
    ?.map((s) => `.${s}`)
    .join('');
}

/** Whether a fieldPath names a field the schema declares below `node`. */
function fieldPathExists(node: SchemaNode, fieldPath: string): boolean {
  const segments = fieldPathSegments(fieldPath);
  if (!segments) return false;
  let current: SchemaNode | undefined = node;
  for (const seg of segments) {
    if (!current) return false;
    if (current.preserveUnknown && !current.properties?.has(seg)) return true;
    current =
      current.properties?.get(seg) ??
      (typeof current.additional === 'object' ? current.additional : undefined);
  }
  return current !== undefined;
}

function compileRule(
  raw: Record<string, unknown>,
  at: string,
  errors: CelCompileError[],
  node: SchemaNode,
  isRoot: boolean,
): CelRule | undefined {
  const rule = typeof raw['rule'] === 'string' ? raw['rule'] : '';
  const fieldPath = raw['fieldPath'];
  if (typeof fieldPath === 'string' && fieldPath && !fieldPathExists(node, fieldPath)) {
    errors.push({
      schemaPath: at,
      field: 'fieldPath',
      value: fieldPath,
      message: 'fieldPath must be a valid path to a field of the schema',
    });
  }
  const missing = undefinedFieldIn(rule, node, isRoot);
  if (missing) {
    errors.push({
      schemaPath: at,
      field: 'rule',
      value: rule,
      message: `undefined field '${missing}'`,
    });
    return undefined;
  }
  const messageExpr = typeof raw['messageExpression'] === 'string' ? raw['messageExpression'] : '';
  const optionalOldSelf = raw['optionalOldSelf'] === true;
  /** Compiles and type-checks one expression of the rule; on failure records why. */
  const compileChecked = (
    field: 'rule' | 'messageExpression',
    expr: string,
    resultType: 'bool' | 'string',
  ): Program | undefined => {
    try {
      const compiled = compileExpression(expr);
      const typeError = typeCheckError(expr, node, isRoot, optionalOldSelf, resultType);
      if (typeError) throw new Error(typeError);
      return compiled;
    } catch (e) {
      errors.push({ schemaPath: at, field, value: expr, message: firstLine((e as Error).message) });
      return undefined;
    }
  };
  const program = compileChecked('rule', rule, 'bool');
  const messageExpression = messageExpr
    ? compileChecked('messageExpression', messageExpr, 'string')
    : undefined;
  if (!program || (messageExpr && !messageExpression)) return undefined;
  return {
    rule,
    message: typeof raw['message'] === 'string' ? raw['message'] : undefined,
    messageExpression,
    reason: typeof raw['reason'] === 'string' ? raw['reason'] : undefined,
    fieldPath: typeof raw['fieldPath'] === 'string' ? fieldPathSuffix(raw['fieldPath']) : undefined,
    transition: OLD_SELF.test(rule),
    optionalOldSelf,
    program,
  };
}

/**
 * Compiles every x-kubernetes-validations rule below `node` onto the nodes (node.rules) and marks
 * node.rulesBelow; returns the rules that failed to compile.
 */
export function compileRules(node: SchemaNode, schemaPath = ''): CelCompileError[] {
  const errors: CelCompileError[] = [];
  const raw = node.raw['x-kubernetes-validations'];
  if (Array.isArray(raw)) {
    raw.forEach((r, i) => {
      if (!isObject(r)) return;
      const at = `${schemaPath ? `${schemaPath}.` : ''}x-kubernetes-validations[${i}]`;
      const compiled = compileRule(r, at, errors, node, schemaPath === '');
      if (compiled) node.rules.push(compiled);
    });
  }
  const sub = (child: SchemaNode, p: string) => {
    errors.push(...compileRules(child, schemaPath ? `${schemaPath}.${p}` : p));
    if (child.rules.length || child.rulesBelow) node.rulesBelow = true;
  };
  if (node.properties) for (const [k, c] of node.properties) sub(c, `properties[${k}]`);
  if (typeof node.additional === 'object') sub(node.additional, 'additionalProperties');
  if (node.items) sub(node.items, 'items');
  return errors;
}

// ------------------------------------------------------------------ JSON -> CEL values

/** The CEL value of a JSON value under a schema node: integers become int (bigint), formats map to
 * timestamp/duration like the k8s CEL type mapping; data under preserve-unknown fields is typed by
 * its JSON shape. */
export function toCel(node: SchemaNode | undefined, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    if (node?.type === 'number') return v;
    if (node?.type === 'integer' || node?.intOrString || !node?.type) {
      return Number.isInteger(v) ? BigInt(v) : v;
    }
    return v;
  }
  if (typeof v === 'string') {
    const format = node?.raw['format'];
    if (node?.type === 'string' && (format === 'date-time' || format === 'date')) {
      const d = new Date(v);
      return Number.isNaN(d.getTime()) ? v : d;
    }
    if (node?.type === 'string' && format === 'duration') {
      try {
        return celDuration(v);
      } catch {
        return v;
      }
    }
    return v;
  }
  if (Array.isArray(v)) return v.map((item) => toCel(node?.items, item));
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      if (v[k] === undefined) continue;
      const declared = node?.properties?.get(k);
      const prop = declared ?? (typeof node?.additional === 'object' ? node.additional : undefined);
      out[declared ? (celFieldName(k) ?? k) : k] = toCel(prop, v[k]);
    }
    return out;
  }
  return v;
}

// ------------------------------------------------------------------ evaluation

function typeLabel(node: SchemaNode): string {
  return node.type ?? '';
}

function ruleMessage(rule: CelRule): string {
  return rule.message?.trim() || `failed rule: ${rule.rule}`;
}

function causeFor(rule: CelRule, node: SchemaNode, path: string, detail: string): StatusCause {
  const field = rule.fieldPath
    ? `${path}${path ? rule.fieldPath : rule.fieldPath.replace(/^\./, '')}`
    : path;
  const value = JSON.stringify(typeLabel(node));
  switch (rule.reason) {
    case 'FieldValueForbidden':
      return { reason: rule.reason, message: `Forbidden: ${detail}`, field };
    case 'FieldValueRequired':
      return { reason: rule.reason, message: `Required value: ${detail}`, field };
    case 'FieldValueDuplicate':
      return { reason: rule.reason, message: `Duplicate value: ${value}`, field };
    default:
      return { reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${detail}`, field };
  }
}

function evaluateRules(
  node: SchemaNode,
  value: unknown,
  old: unknown,
  hasOld: boolean,
  path: string,
  errs: StatusCause[],
): void {
  let self: unknown;
  let oldSelf: unknown;
  // ratcheting: rules without oldSelf are not re-evaluated on values the update left unchanged
  const unchanged = hasOld && deepEqual(old, value);
  for (const r of node.rules) {
    if (r.transition && !hasOld && !r.optionalOldSelf) continue;
    if (unchanged && !r.transition) continue;
    self ??= toCel(node, value);
    if (hasOld && oldSelf === undefined) oldSelf = toCel(node, old);
    const ctx: Record<string, unknown> = { self };
    if (r.transition) {
      ctx['oldSelf'] = r.optionalOldSelf
        ? hasOld
          ? Optional.of(oldSelf)
          : Optional.none()
        : oldSelf;
    }
    let result: unknown;
    try {
      result = r.program(ctx);
    } catch (e) {
      const msg = firstLine((e as Error).message);
      const detail = /overload/i.test(msg)
        ? `'${msg}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleMessage(r)}`
        : `${lowerFirst(msg)} evaluating rule: ${ruleMessage(r)}`;
      errs.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(typeLabel(node))}: ${detail}`,
        field: path,
      });
      continue;
    }
    if (result === true) continue;
    if (result !== false) {
      errs.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(typeLabel(node))}: rule did not evaluate to a bool: ${ruleMessage(r)}`,
        field: path,
      });
      continue;
    }
    errs.push(causeFor(r, node, path, messageFor(r, ctx)));
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function messageFor(rule: CelRule, ctx: Record<string, unknown>): string {
  if (rule.messageExpression) {
    try {
      const m = rule.messageExpression(ctx);
      if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) return m;
    } catch {
      // a failing messageExpression falls back to message, as the real server does
    }
  }
  return ruleMessage(rule);
}

/** Item identity of a list-type map item, for correlating old and new items. */
function listMapKey(item: unknown, keys: string[]): string | undefined {
  if (!isObject(item)) return undefined;
  return JSON.stringify(keys.map((k) => item[k] ?? null));
}

/**
 * Evaluates every rule at and below `node`. `old` is the correlated old value (update only):
 * properties and map values correlate by key, list-type map items by their keys; other list
 * items have no old value, so transition rules under them are skipped.
 */
export function validateCel(
  node: SchemaNode,
  value: unknown,
  old: unknown,
  hasOld: boolean,
  path: string,
  errs: StatusCause[],
): void {
  if (value === undefined || value === null) return;
  if (node.rules.length) evaluateRules(node, value, old, hasOld, path, errs);
  if (!node.rulesBelow) return;
  if (isObject(value)) {
    const oldObj = hasOld && isObject(old) ? old : undefined;
    if (node.properties) {
      for (const [k, child] of node.properties) {
        if (!hasOwn(value, k)) continue;
        const oh = oldObj !== undefined && hasOwn(oldObj, k);
        validateCel(child, value[k], oh ? oldObj[k] : undefined, oh, childPath(path, k), errs);
      }
    }
    const additional = node.additional;
    if (typeof additional === 'object') {
      for (const k of Object.keys(value)) {
        if (node.properties?.has(k)) continue;
        const oh = oldObj !== undefined && hasOwn(oldObj, k);
        validateCel(additional, value[k], oh ? oldObj[k] : undefined, oh, keyPath(path, k), errs);
      }
    }
  } else if (Array.isArray(value) && node.items) {
    const items = node.items;
    let oldByKey: Map<string, unknown> | undefined;
    if (hasOld && Array.isArray(old) && node.listType === 'map' && node.listMapKeys.length) {
      oldByKey = new Map();
      for (const o of old) {
        const key = listMapKey(o, node.listMapKeys);
        if (key !== undefined) oldByKey.set(key, o);
      }
    }
    value.forEach((item, i) => {
      const key = oldByKey ? listMapKey(item, node.listMapKeys) : undefined;
      const oh = key !== undefined && oldByKey !== undefined && oldByKey.has(key);
      validateCel(
        items,
        item,
        oh ? oldByKey?.get(key ?? '') : undefined,
        oh,
        indexPath(path, i),
        errs,
      );
    });
  }
}
