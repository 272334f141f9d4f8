// Value validations of one schema node, compiled into closures. Messages follow go-openapi's
// validate package as kube-openapi reports them ("spec.size in body should be ..."), converted to
// field errors the way apiextensions-apiserver does (maxLength -> TooLong, maxItems -> TooMany,
// enum -> NotSupported, format -> TypeInvalid).
import { fieldErrors } from '../core/errors.ts';
import type { StatusCause } from '../core/errors.ts';
import type { JSONSchemaProps } from '../core/contracts.ts';
import { canonicalJson, goMapLiteral } from './canonical.ts';
import { formatChecker } from './formats.ts';
import type { ValueCheck } from './node.ts';
import { bodyName, indexPath } from './paths.ts';
import { compilePattern } from './pattern.ts';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function runeLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function enumCheck(values: unknown[]): ValueCheck {
  const allowed = new Set(values.map(canonicalJson));
  const shown = values.map((v) => (typeof v === 'string' ? v : canonicalJson(v)));
  return (value, path, errs) => {
    if (!allowed.has(canonicalJson(value))) errs.push(fieldErrors.notSupported(path, value, shown));
  };
}

function numberChecks(raw: JSONSchemaProps): ValueCheck[] {
  const checks: ValueCheck[] = [];
  const max = num(raw['maximum']);
  const min = num(raw['minimum']);
  const multipleOf = num(raw['multipleOf']);
  if (max !== undefined) {
    const exclusive = raw['exclusiveMaximum'] === true;
    checks.push((v, path, errs) => {
      if (typeof v !== 'number') return;
      if (exclusive ? v >= max : v > max) {
        const rel = exclusive ? 'less than' : 'less than or equal to';
        errs.push(
          fieldErrors.invalid(path, v, `${bodyName(path)} in body should be ${rel} ${max}`),
        );
      }
    });
  }
  if (min !== undefined) {
    const exclusive = raw['exclusiveMinimum'] === true;
    checks.push((v, path, errs) => {
      if (typeof v !== 'number') return;
      if (exclusive ? v <= min : v < min) {
        const rel = exclusive ? 'greater than' : 'greater than or equal to';
        errs.push(
          fieldErrors.invalid(path, v, `${bodyName(path)} in body should be ${rel} ${min}`),
        );
      }
    });
  }
  if (multipleOf !== undefined && multipleOf > 0) {
    checks.push((v, path, errs) => {
      if (typeof v !== 'number') return;
      const q = v / multipleOf;
      if (Math.abs(q - Math.round(q)) > 1e-9) {
        errs.push(
          fieldErrors.invalid(
            path,
            v,
            `${bodyName(path)} in body should be a multiple of ${multipleOf}`,
          ),
        );
      }
    });
  }
  return checks;
}

function stringChecks(raw: JSONSchemaProps): ValueCheck[] {
  const checks: ValueCheck[] = [];
  const maxLength = num(raw['maxLength']);
  const minLength = num(raw['minLength']);
  if (maxLength !== undefined) {
    checks.push((v, path, errs) => {
      if (typeof v === 'string' && v.length > maxLength && runeLength(v) > maxLength) {
        errs.push(fieldErrors.tooLong(path, maxLength));
      }
    });
  }
  if (minLength !== undefined) {
    checks.push((v, path, errs) => {
      if (typeof v === 'string' && v.length < 2 * minLength && runeLength(v) < minLength) {
        errs.push(
          fieldErrors.invalid(
            path,
            v,
            `${bodyName(path)} in body should be at least ${minLength} chars long`,
          ),
        );
      }
    });
  }
  if (typeof raw['pattern'] === 'string') {
    const source = raw['pattern'];
    // an invalid pattern is a CRD error (validateCrd); nothing to check here
    const re = compilePattern(source);
    if (re) {
      const regex = re;
      checks.push((v, path, errs) => {
        if (typeof v === 'string' && !regex.test(v)) {
          errs.push(
            fieldErrors.invalid(path, v, `${bodyName(path)} in body should match '${source}'`),
          );
        }
      });
    }
  }
  if (typeof raw['format'] === 'string') {
    const format = raw['format'];
    const ok = formatChecker(format);
    if (ok) {
      checks.push((v, path, errs) => {
        if (typeof v === 'string' && !ok(v)) {
          errs.push(
            fieldErrors.typeInvalid(
              path,
              v,
              `${bodyName(path)} in body must be of type ${format}: ${JSON.stringify(v)}`,
            ),
          );
        }
      });
    }
  }
  return checks;
}

function arrayChecks(raw: JSONSchemaProps): ValueCheck[] {
  const checks: ValueCheck[] = [];
  const maxItems = num(raw['maxItems']);
  const minItems = num(raw['minItems']);
  if (maxItems !== undefined) {
    checks.push((v, path, errs) => {
      if (Array.isArray(v) && v.length > maxItems) {
        errs.push(fieldErrors.tooMany(path, v.length, maxItems));
      }
    });
  }
  if (minItems !== undefined) {
    checks.push((v, path, errs) => {
      if (Array.isArray(v) && v.length < minItems) {
        errs.push(
          fieldErrors.invalid(
            path,
            v,
            `${bodyName(path)} in body should have at least ${minItems} items`,
          ),
        );
      }
    });
  }
  if (raw['uniqueItems'] === true) {
    checks.push((v, path, errs) => {
      if (!Array.isArray(v)) return;
      const seen = new Set<string>();
      for (const item of v) {
        const key = canonicalJson(item);
        if (seen.has(key)) {
          errs.push(
            fieldErrors.invalid(path, v, `${bodyName(path)} in body shouldn't contain duplicates`),
          );
          return;
        }
        seen.add(key);
      }
    });
  }
  const listType = raw['x-kubernetes-list-type'];
  if (listType === 'set') checks.push(setUniqueness);
  if (listType === 'map' && Array.isArray(raw['x-kubernetes-list-map-keys'])) {
    checks.push(mapKeyUniqueness(raw['x-kubernetes-list-map-keys'].map(String)));
  }
  return checks;
}

const setUniqueness: ValueCheck = (v, path, errs) => {
  if (!Array.isArray(v)) return;
  const seen = new Set<string>();
  v.forEach((item, i) => {
    const key = canonicalJson(item);
    if (seen.has(key)) errs.push(fieldErrors.duplicate(indexPath(path, i), item));
    seen.add(key);
  });
};

function mapKeyUniqueness(keys: string[]): ValueCheck {
  return (v, path, errs) => {
    if (!Array.isArray(v)) return;
    const seen = new Set<string>();
    v.forEach((item, i) => {
      if (!isObject(item)) return;
      const keyValues: Record<string, unknown> = {};
      for (const k of keys) keyValues[k] = item[k];
      const key = canonicalJson(keyValues);
      if (seen.has(key)) {
        errs.push({
          reason: 'FieldValueDuplicate',
          message: `Duplicate value: ${goMapLiteral(keyValues)}`,
          field: indexPath(path, i),
        });
      }
      seen.add(key);
    });
  };
}

function objectChecks(raw: JSONSchemaProps): ValueCheck[] {
  const checks: ValueCheck[] = [];
  const maxProps = num(raw['maxProperties']);
  const minProps = num(raw['minProperties']);
  if (maxProps !== undefined) {
    checks.push((v, path, errs) => {
      if (isObject(v) && Object.keys(v).length > maxProps) {
        errs.push(fieldErrors.tooMany(path, Object.keys(v).length, maxProps));
      }
    });
  }
  if (minProps !== undefined) {
    checks.push((v, path, errs) => {
      if (isObject(v) && Object.keys(v).length < minProps) {
        errs.push(
          fieldErrors.invalid(
            path,
            v,
            `${bodyName(path)} in body should have at least ${minProps} properties`,
          ),
        );
      }
    });
  }
  return checks;
}

export function compileValueChecks(raw: JSONSchemaProps): ValueCheck[] {
  const checks: ValueCheck[] = [];
  if (Array.isArray(raw['enum'])) checks.push(enumCheck(raw['enum']));
  checks.push(
    ...numberChecks(raw),
    ...stringChecks(raw),
    ...arrayChecks(raw),
    ...objectChecks(raw),
  );
  return checks;
}

export type { StatusCause };
