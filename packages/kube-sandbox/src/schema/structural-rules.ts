// The structural-schema rules a CRD version's openAPIV3Schema must follow (apiextensions-apiserver
// validation of JSONSchemaProps + structural schema checks), reported at paths like
// `spec.versions[0].schema.openAPIV3Schema.properties[spec].type`.
import { fieldErrors } from '../core/errors.ts';
import type { StatusCause } from '../core/errors.ts';
import type { JSONSchemaProps } from '../core/contracts.ts';
import { isObject } from './json.ts';
import { compileNode } from './node.ts';
import { childPath, keyPath } from './paths.ts';
import { compilePattern } from './pattern.ts';
import { pruneValue } from './prune.ts';
import { validateValue } from './validate.ts';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const LIST_TYPES = ['atomic', 'map', 'set'];
const MAP_TYPES = ['atomic', 'granular'];
/** Keywords a structural schema must not use inside allOf/anyOf/oneOf/not. */
const JUNCTOR_FORBIDDEN = [
  'type',
  'default',
  'nullable',
  'description',
  'additionalProperties',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
];
const JUNCTORS = ['allOf', 'anyOf', 'oneOf'];

interface Ctx {
  errs: StatusCause[];
}

/** Validates a whole openAPIV3Schema; `path` is its field path in the CRD. */
export function validateStructuralSchema(schema: unknown, path: string): StatusCause[] {
  const ctx: Ctx = { errs: [] };
  if (!isObject(schema)) {
    ctx.errs.push(fieldErrors.required(path, 'schemas are required'));
    return ctx.errs;
  }
  if (schema['type'] === undefined) {
    ctx.errs.push(fieldErrors.required(`${path}.type`, 'must not be empty at the root'));
  } else if (schema['type'] !== 'object') {
    ctx.errs.push(
      fieldErrors.invalid(`${path}.type`, schema['type'], 'must be object at the root'),
    );
  }
  if (schema['nullable'] === true) {
    ctx.errs.push(fieldErrors.forbidden(`${path}.nullable`, 'must be false at the root'));
  }
  if (schema['x-kubernetes-embedded-resource'] === true) {
    ctx.errs.push(
      fieldErrors.forbidden(`${path}.x-kubernetes-embedded-resource`, 'must be false at the root'),
    );
  }
  validateRootMetadataSchema(schema, path, ctx);
  walk(schema, path, ctx, 'root');
  return ctx.errs;
}

function validateRootMetadataSchema(schema: JSONSchemaProps, path: string, ctx: Ctx): void {
  const props = schema['properties'];
  if (!isObject(props) || !isObject(props['metadata'])) return;
  const meta = props['metadata'];
  const metaPath = `${path}.properties[metadata]`;
  const allowedKeys = new Set(['type', 'properties', 'description']);
  const metaProps = isObject(meta['properties']) ? meta['properties'] : {};
  const extraProps = Object.keys(metaProps).filter((k) => k !== 'name' && k !== 'generateName');
  if (Object.keys(meta).some((k) => !allowedKeys.has(k)) || extraProps.length) {
    ctx.errs.push(
      fieldErrors.forbidden(
        metaPath,
        'must not specify anything other than name and generateName, but metadata is implicitly specified',
      ),
    );
  }
  if (meta['type'] !== undefined && meta['type'] !== 'object') {
    ctx.errs.push(fieldErrors.invalid(`${metaPath}.type`, meta['type'], 'must be object'));
  }
}

type Position = 'root' | 'property' | 'items' | 'additionalProperties' | 'junctor';

/** The one junctor shape structural schemas allow types in: int-or-string's anyOf/allOf of
 * `{type: integer}` and `{type: string}`. */
function isIntOrStringJunctor(parent: JSONSchemaProps, sub: unknown): boolean {
  return (
    parent['x-kubernetes-int-or-string'] === true &&
    isObject(sub) &&
    Object.keys(sub).length === 1 &&
    (sub['type'] === 'integer' || sub['type'] === 'string')
  );
}

function walk(s: JSONSchemaProps, path: string, ctx: Ctx, position: Position, dataPath = ''): void {
  const type = s['type'];
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (position === 'junctor') {
    for (const k of JUNCTOR_FORBIDDEN) {
      if (k in s)
        ctx.errs.push(fieldErrors.forbidden(`${path}.${k}`, 'must be empty to be structural'));
    }
  } else if (type === undefined || type === '') {
    // int-or-string and preserve-unknown-fields nodes may leave the type out
    if (!intOrString && !preserve && position !== 'root') {
      const where =
        position === 'items'
          ? 'for specified array items'
          : position === 'additionalProperties'
            ? 'for specified additionalProperties'
            : 'for specified object fields';
      ctx.errs.push(fieldErrors.required(`${path}.type`, `must not be empty ${where}`));
    }
  } else if (typeof type !== 'string' || !TYPES.includes(type)) {
    ctx.errs.push(fieldErrors.notSupported(`${path}.type`, type, TYPES));
  }
  if (intOrString && type !== undefined && position !== 'junctor') {
    ctx.errs.push(
      fieldErrors.invalid(
        `${path}.type`,
        type,
        'must be empty if x-kubernetes-int-or-string is true',
      ),
    );
  }
  if (s['x-kubernetes-embedded-resource'] === true && type !== 'object' && position !== 'junctor') {
    ctx.errs.push(
      fieldErrors.invalid(
        `${path}.type`,
        type ?? '',
        'must be object if x-kubernetes-embedded-resource is true',
      ),
    );
  }
  if (
    isObject(s['properties']) &&
    s['additionalProperties'] !== undefined &&
    s['additionalProperties'] !== true
  ) {
    ctx.errs.push(
      fieldErrors.forbidden(
        `${path}.additionalProperties`,
        'additionalProperties and properties are mutual exclusive',
      ),
    );
  }
  if (s['additionalProperties'] === false) {
    ctx.errs.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'must not be false'));
  }
  if (type === 'array' && !isObject(s['items'])) {
    ctx.errs.push(fieldErrors.required(`${path}.items`, 'must be specified'));
  }
  if (typeof s['pattern'] === 'string' && !compilePattern(s['pattern'])) {
    ctx.errs.push(
      fieldErrors.invalid(`${path}.pattern`, s['pattern'], 'must be a valid regular expression'),
    );
  }
  validateListAndMapTypes(s, path, ctx);
  validateRuleShapes(s, path, ctx);
  validateDefault(s, path, ctx, position, dataPath);
  const props = s['properties'];
  if (isObject(props)) {
    for (const [k, v] of Object.entries(props)) {
      if (position === 'root' && k === 'metadata') continue;
      if (isObject(v)) {
        walk(
          v,
          `${path}.properties[${k}]`,
          ctx,
          position === 'junctor' ? 'junctor' : 'property',
          childPath(dataPath, k),
        );
      }
    }
  }
  if (isObject(s['items'])) {
    walk(
      s['items'],
      `${path}.items`,
      ctx,
      position === 'junctor' ? 'junctor' : 'items',
      `${dataPath}[0]`,
    );
  }
  if (isObject(s['additionalProperties'])) {
    walk(
      s['additionalProperties'],
      `${path}.additionalProperties`,
      ctx,
      position === 'junctor' ? 'junctor' : 'additionalProperties',
      keyPath(dataPath, 'key'),
    );
  }
  for (const j of JUNCTORS) {
    const list = s[j];
    if (Array.isArray(list)) {
      list.forEach((sub, i) => {
        if (isObject(sub) && !isIntOrStringJunctor(s, sub))
          walk(sub, `${path}.${j}[${i}]`, ctx, 'junctor');
      });
    }
  }
  if (isObject(s['not'])) walk(s['not'], `${path}.not`, ctx, 'junctor');
}

function validateListAndMapTypes(s: JSONSchemaProps, path: string, ctx: Ctx): void {
  const listType = s['x-kubernetes-list-type'];
  if (listType !== undefined) {
    if (typeof listType !== 'string' || !LIST_TYPES.includes(listType)) {
      ctx.errs.push(
        fieldErrors.notSupported(`${path}.x-kubernetes-list-type`, listType, LIST_TYPES),
      );
    } else if (s['type'] !== 'array') {
      ctx.errs.push(
        fieldErrors.invalid(
          `${path}.type`,
          s['type'] ?? '',
          'must be array if x-kubernetes-list-type is specified',
        ),
      );
    }
  }
  const keys = s['x-kubernetes-list-map-keys'];
  if (listType === 'map') {
    if (!Array.isArray(keys) || keys.length === 0) {
      ctx.errs.push(
        fieldErrors.required(
          `${path}.x-kubernetes-list-map-keys`,
          'must not be empty if x-kubernetes-list-type is map',
        ),
      );
    } else {
      const items = isObject(s['items']) ? s['items'] : {};
      const itemProps = isObject(items['properties']) ? items['properties'] : {};
      const required = Array.isArray(items['required']) ? items['required'] : [];
      keys.forEach((k, i) => {
        const keySchema = itemProps[String(k)];
        if (!isObject(keySchema)) {
          ctx.errs.push(
            fieldErrors.invalid(
              `${path}.x-kubernetes-list-map-keys[${i}]`,
              k,
              'entries must all be names of item properties',
            ),
          );
        } else if (!required.includes(k) && !('default' in keySchema)) {
          ctx.errs.push(
            fieldErrors.required(
              `${path}.items.properties[${String(k)}]`,
              'all map keys must be required or have a default value',
            ),
          );
        }
      });
    }
  } else if (keys !== undefined) {
    ctx.errs.push(
      fieldErrors.forbidden(
        `${path}.x-kubernetes-list-map-keys`,
        'must be empty if x-kubernetes-list-type is not map',
      ),
    );
  }
  const mapType = s['x-kubernetes-map-type'];
  if (mapType !== undefined && (typeof mapType !== 'string' || !MAP_TYPES.includes(mapType))) {
    ctx.errs.push(fieldErrors.notSupported(`${path}.x-kubernetes-map-type`, mapType, MAP_TYPES));
  }
}

function validateDefault(
  s: JSONSchemaProps,
  path: string,
  ctx: Ctx,
  position: Position,
  dataPath: string,
): void {
  if (!('default' in s) || position === 'junctor') return;
  if (position === 'root') {
    ctx.errs.push(fieldErrors.forbidden(`${path}.default`, 'must not be set at the root'));
    return;
  }
  if (s['default'] === null && s['nullable'] !== true) {
    ctx.errs.push(
      fieldErrors.invalid(`${path}.default`, null, 'must not be null for non-nullable fields'),
    );
    return;
  }
  const errs: StatusCause[] = [];
  const unknown: string[] = [];
  try {
    const node = compileNode(s);
    validateValue(node, s['default'], dataPath, errs);
    pruneValue(node, structuredClone(s['default']), dataPath, unknown);
  } catch {
    return; // malformed sub-schemas are reported by their own checks
  }
  for (const e of errs) {
    ctx.errs.push({ ...e, field: `${path}.default` });
  }
  // defaults are applied after pruning, so a default must not bring fields the schema drops
  for (const u of unknown) {
    ctx.errs.push(
      fieldErrors.invalid(`${path}.default`, s['default'], `must not have unknown fields: ${u}`),
    );
  }
}

const RULE_REASONS = [
  'FieldValueDuplicate',
  'FieldValueForbidden',
  'FieldValueInvalid',
  'FieldValueRequired',
];

/** The parts of x-kubernetes-validations entries checked before compiling them. */
function validateRuleShapes(s: JSONSchemaProps, path: string, ctx: Ctx): void {
  const rules = s['x-kubernetes-validations'];
  if (rules === undefined) return;
  if (!Array.isArray(rules)) {
    ctx.errs.push(fieldErrors.invalid(`${path}.x-kubernetes-validations`, rules, 'must be a list'));
    return;
  }
  rules.forEach((r, i) => {
    const rp = `${path}.x-kubernetes-validations[${i}]`;
    if (!isObject(r)) {
      ctx.errs.push(fieldErrors.invalid(rp, r, 'must be an object'));
      return;
    }
    const rule = typeof r['rule'] === 'string' ? r['rule'] : '';
    if (!rule.trim()) ctx.errs.push(fieldErrors.required(`${rp}.rule`));
    const message = r['message'];
    if (typeof message === 'string' && /[\r\n]/.test(message)) {
      ctx.errs.push(
        fieldErrors.invalid(`${rp}.message`, message, 'message must not contain line breaks'),
      );
    }
    if (rule.includes('\n') && (typeof message !== 'string' || !message.trim())) {
      ctx.errs.push(
        fieldErrors.required(
          `${rp}.message`,
          'message must be specified if rule contains line breaks',
        ),
      );
    }
    if (r['reason'] !== undefined && !RULE_REASONS.includes(String(r['reason']))) {
      ctx.errs.push(fieldErrors.notSupported(`${rp}.reason`, r['reason'], RULE_REASONS));
    }
    if (r['optionalOldSelf'] === true && !/\boldSelf\b/.test(rule)) {
      ctx.errs.push(
        fieldErrors.forbidden(
          `${rp}.optionalOldSelf`,
          'may not be set if oldSelf is not used in rule',
        ),
      );
    }
  });
}
