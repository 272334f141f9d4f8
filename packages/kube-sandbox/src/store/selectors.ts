// Label and field selectors, parsed like k8s.io/apimachinery/pkg/labels and pkg/fields.
import { errors } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';

export type LabelRequirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'eq' | 'neq'; key: string; value: string };

export type LabelSelector = LabelRequirement[];

/** Splits on commas that are not inside parentheses. */
function splitTerms(input: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of input) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

const SET_TERM = /^([^\s!=()]+)\s+(in|notin)\s*\(([^()]*)\)$/;
const EQ_TERM = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/;
const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key) || key.length > 316) {
    throw errors.badRequest(
      `unable to parse requirement: invalid label key "${key}": in ${selector}`,
    );
  }
  return key;
}

export function parseLabelSelector(selector: string | undefined): LabelSelector {
  if (!selector) return [];
  return splitTerms(selector).map((term): LabelRequirement => {
    let m = SET_TERM.exec(term);
    if (m) {
      const values = m[3]
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      return { op: m[2] === 'in' ? 'in' : 'notin', key: checkKey(m[1], selector), values };
    }
    m = EQ_TERM.exec(term);
    if (m) {
      return { op: m[2] === '!=' ? 'neq' : 'eq', key: checkKey(m[1], selector), value: m[3] };
    }
    if (term.startsWith('!'))
      return { op: 'notexists', key: checkKey(term.slice(1).trim(), selector) };
    if (/^[^\s!=()]+$/.test(term)) return { op: 'exists', key: checkKey(term, selector) };
    throw errors.badRequest(
      `unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`,
    );
  });
}

export function matchLabels(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  for (const req of selector) {
    const value = labels?.[req.key];
    switch (req.op) {
      case 'exists':
        if (value === undefined) return false;
        break;
      case 'notexists':
        if (value !== undefined) return false;
        break;
      case 'eq':
        if (value !== req.value) return false;
        break;
      case 'neq':
        if (value === req.value) return false;
        break;
      case 'in':
        if (value === undefined || !req.values.includes(value)) return false;
        break;
      case 'notin':
        if (value !== undefined && req.values.includes(value)) return false;
        break;
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

export type FieldSelector = FieldRequirement[];

export type FieldGetter = (obj: KubeObject) => string | undefined;

/** Parses a field selector, rejecting fields the resource does not support like the real server. */
export function parseFieldSelector(
  selector: string | undefined,
  supported: Record<string, FieldGetter>,
): FieldSelector {
  if (!selector) return [];
  return splitTerms(selector).map((term) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = m[1].trim();
    if (!supported[field]) {
      throw errors.badRequest(`field label not supported: ${field}`);
    }
    return { field, value: m[3].trim(), negate: m[2] === '!=' };
  });
}

export function matchFields(
  selector: FieldSelector,
  obj: KubeObject,
  getters: Record<string, FieldGetter>,
): boolean {
  for (const req of selector) {
    const actual = getters[req.field]?.(obj) ?? '';
    if ((actual === req.value) === req.negate) return false;
  }
  return true;
}

/** metadata.name and metadata.namespace are supported for every kind. */
export function baseFieldGetters(): Record<string, FieldGetter> {
  return {
    'metadata.name': (o) => o.metadata?.name,
    'metadata.namespace': (o) => o.metadata?.namespace ?? '',
  };
}
