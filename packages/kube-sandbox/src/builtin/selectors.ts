// LabelSelector validation and matching, as the workload validations use them.
import { fieldErrors, type StatusCause } from '../core/errors.ts';
import { arr, isObj, objs, record, str } from './access.ts';
import { validateLabels } from './validate-meta.ts';

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function validateLabelSelector(selector: unknown, field: string): StatusCause[] {
  if (!isObj(selector)) return [];
  const out = validateLabels(selector['matchLabels'], `${field}.matchLabels`);
  objs(selector['matchExpressions']).forEach((e, i) => {
    const f = `${field}.matchExpressions[${i}]`;
    const op = str(e['operator']);
    const values = arr(e['values']);
    if (!OPERATORS.includes(op))
      out.push(
        fieldErrors.invalid(`${f}.operator`, e['operator'] ?? '', 'not a valid selector operator'),
      );
    else if ((op === 'In' || op === 'NotIn') && values.length === 0) {
      out.push(
        fieldErrors.required(`${f}.values`, "must be specified when `operator` is 'In' or 'NotIn'"),
      );
    } else if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
      out.push(
        fieldErrors.forbidden(
          `${f}.values`,
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
      );
    }
  });
  return out;
}

export function isEmptySelector(selector: unknown): boolean {
  return (
    !isObj(selector) ||
    (Object.keys(record(selector['matchLabels'])).length === 0 &&
      arr(selector['matchExpressions']).length === 0)
  );
}

/** Whether `labels` satisfy a LabelSelector (an empty selector matches everything). */
export function selectorMatches(selector: unknown, labels: unknown): boolean {
  const l = record(labels);
  const sel = record(selector);
  for (const [k, v] of Object.entries(record(sel['matchLabels']))) if (l[k] !== v) return false;
  for (const e of objs(sel['matchExpressions'])) {
    const key = str(e['key']);
    const values = arr(e['values']).map(String);
    const has = typeof l[key] === 'string';
    switch (e['operator']) {
      case 'In':
        if (!has || !values.includes(String(l[key]))) return false;
        break;
      case 'NotIn':
        if (has && values.includes(String(l[key]))) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Go's %#v of a *metav1.LabelSelector, used in "field is immutable" messages. */
export function goLabelSelector(selector: unknown): string {
  const sel = record(selector);
  const ml = record(sel['matchLabels']);
  const keys = Object.keys(ml).sort();
  const labels =
    keys.length === 0
      ? 'map[string]string(nil)'
      : `map[string]string{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(ml[k]))}`).join(', ')}}`;
  const exprs = objs(sel['matchExpressions']);
  const expressions =
    exprs.length === 0
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map(
            (e) =>
              `v1.LabelSelectorRequirement{Key:${JSON.stringify(str(e['key']))}, Operator:${JSON.stringify(str(e['operator']))}, Values:[]string{${arr(
                e['values'],
              )
                .map((v) => JSON.stringify(String(v)))
                .join(', ')}}}`,
          )
          .join(', ')}}`;
  return `&v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${expressions}}`;
}
