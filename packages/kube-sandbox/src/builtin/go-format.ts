// Values in field errors are printed by the real server with Go's %#v for composite values
// (`map[string]string{"app":"web"}`, `[]string{"a", "b"}`); reproducing that keeps messages
// identical to a real cluster's where clients or people compare them.
import type { StatusCause } from '../core/errors.ts';
import { isObj } from './access.ts';

export function goStringMap(value: unknown): string {
  if (!isObj(value)) return 'map[string]string(nil)';
  const keys = Object.keys(value).sort();
  return `map[string]string{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(value[k]))}`).join(', ')}}`;
}

export function goStringSlice(value: unknown): string {
  if (!Array.isArray(value)) return '[]string(nil)';
  return `[]string{${value.map((v) => JSON.stringify(String(v))).join(', ')}}`;
}

/** A FieldValueInvalid cause whose value is already rendered. */
export function invalidRendered(field: string, rendered: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${rendered}: ${detail}`, field };
}

export function notFound(field: string, value: unknown): StatusCause {
  return { reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(value)}`, field };
}
