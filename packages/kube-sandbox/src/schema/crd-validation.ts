// Validation of apiextensions.k8s.io/v1 CustomResourceDefinition objects: names, group, scope,
// versions, structural schemas, printer columns, scale subresource paths and CEL rules, with causes
// worded like apiextensions-apiserver's (pkg/apis/apiextensions/validation).
import { fieldErrors } from '../core/errors.ts';
import type { StatusCause } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import { validateDns1123Subdomain } from '../validation/names.ts';
import { compileRules } from './cel.ts';
import { isObject } from './json.ts';
import type { JsonObject } from './json.ts';
import { compileNode } from './node.ts';
import { validateStructuralSchema } from './structural-rules.ts';

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const SCOPES = ['Cluster', 'Namespaced'];

function dns1035(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  return DNS1035.test(value) ? undefined : DNS1035_MESSAGE;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function validateNames(names: JsonObject, errs: StatusCause[]): void {
  const p = 'spec.names';
  for (const field of ['plural', 'singular'] as const) {
    const v = str(names[field]);
    if (!v) {
      if (field === 'plural') errs.push(fieldErrors.required(`${p}.plural`));
      continue;
    }
    const msg = dns1035(v);
    if (msg) errs.push(fieldErrors.invalid(`${p}.${field}`, v, msg));
  }
  for (const field of ['kind', 'listKind'] as const) {
    const v = str(names[field]);
    if (!v) {
      if (field === 'kind') errs.push(fieldErrors.required(`${p}.kind`));
      continue;
    }
    const msg = dns1035(v.toLowerCase());
    if (msg)
      errs.push(
        fieldErrors.invalid(
          `${p}.${field}`,
          v,
          `may have mixed case, but should otherwise match: ${msg}`,
        ),
      );
  }
  if (str(names['kind']) && str(names['kind']) === str(names['listKind'])) {
    errs.push(
      fieldErrors.invalid(
        `${p}.listKind`,
        names['listKind'],
        'kind and listKind may not be the same',
      ),
    );
  }
  for (const field of ['shortNames', 'categories'] as const) {
    const list = names[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      errs.push(fieldErrors.invalid(`${p}.${field}`, list, 'must be a list of strings'));
      continue;
    }
    list.forEach((v, i) => {
      const msg = typeof v === 'string' ? dns1035(v) : 'must be a string';
      if (msg) errs.push(fieldErrors.invalid(`${p}.${field}[${i}]`, v, msg));
    });
  }
}

function simpleJsonPathError(path: string): string | undefined {
  if (!path.startsWith('.')) return 'must be a simple json path starting with .';
  return undefined;
}

function validateColumns(columns: unknown, path: string, errs: StatusCause[]): void {
  if (columns === undefined) return;
  if (!Array.isArray(columns)) {
    errs.push(fieldErrors.invalid(path, columns, 'must be a list'));
    return;
  }
  columns.forEach((c, i) => {
    const cp = `${path}[${i}]`;
    if (!isObject(c)) {
      errs.push(fieldErrors.invalid(cp, c, 'must be an object'));
      return;
    }
    if (!str(c['name'])) errs.push(fieldErrors.required(`${cp}.name`));
    if (!str(c['type'])) errs.push(fieldErrors.required(`${cp}.type`));
    else if (!COLUMN_TYPES.includes(str(c['type']))) {
      errs.push(fieldErrors.notSupported(`${cp}.type`, c['type'], COLUMN_TYPES));
    }
    const jsonPath = str(c['jsonPath']);
    if (!jsonPath) errs.push(fieldErrors.required(`${cp}.jsonPath`));
    else {
      const msg = simpleJsonPathError(jsonPath);
      if (msg) errs.push(fieldErrors.invalid(`${cp}.jsonPath`, jsonPath, msg));
    }
    if (c['priority'] !== undefined && (typeof c['priority'] !== 'number' || c['priority'] < 0)) {
      errs.push(
        fieldErrors.invalid(`${cp}.priority`, c['priority'], 'must be a non-negative integer'),
      );
    }
  });
}

function validateScale(sub: unknown, path: string, errs: StatusCause[]): void {
  if (!isObject(sub) || !isObject(sub['scale'])) return;
  const scale = sub['scale'];
  const sp = `${path}.scale`;
  const spec = str(scale['specReplicasPath']);
  const status = str(scale['statusReplicasPath']);
  if (!spec) errs.push(fieldErrors.required(`${sp}.specReplicasPath`));
  else if (!spec.startsWith('.spec.')) {
    errs.push(
      fieldErrors.invalid(`${sp}.specReplicasPath`, spec, 'should be a json path under .spec'),
    );
  }
  if (!status) errs.push(fieldErrors.required(`${sp}.statusReplicasPath`));
  else if (!status.startsWith('.status.')) {
    errs.push(
      fieldErrors.invalid(
        `${sp}.statusReplicasPath`,
        status,
        'should be a json path under .status',
      ),
    );
  }
  const selector = scale['labelSelectorPath'];
  if (
    typeof selector === 'string' &&
    !selector.startsWith('.spec.') &&
    !selector.startsWith('.status.')
  ) {
    errs.push(
      fieldErrors.invalid(
        `${sp}.labelSelectorPath`,
        selector,
        'should be a json path under either .spec or .status',
      ),
    );
  }
}

function validateSchemaOf(version: JsonObject, path: string, errs: StatusCause[]): void {
  const schemaPath = `${path}.schema.openAPIV3Schema`;
  const schema = isObject(version['schema']) ? version['schema']['openAPIV3Schema'] : undefined;
  const structural = validateStructuralSchema(schema, schemaPath);
  errs.push(...structural);
  if (!isObject(schema)) return;
  try {
    const celErrors = compileRules(compileNode(schema));
    for (const e of celErrors) {
      errs.push(
        fieldErrors.invalid(
          `${schemaPath}.${e.schemaPath}.${e.field}`,
          e.value,
          e.field === 'fieldPath' ? e.message : `compilation failed: ${e.message}`,
        ),
      );
    }
  } catch (e) {
    errs.push(
      fieldErrors.invalid(schemaPath, '', `schema could not be compiled: ${(e as Error).message}`),
    );
  }
}

function validateVersions(spec: JsonObject, errs: StatusCause[]): void {
  const versions = spec['versions'];
  if (!Array.isArray(versions) || versions.length === 0) {
    errs.push(
      fieldErrors.required(
        'spec.versions',
        'must have exactly one version marked as storage version',
      ),
    );
    return;
  }
  const seen = new Set<string>();
  let storage = 0;
  versions.forEach((v, i) => {
    const vp = `spec.versions[${i}]`;
    if (!isObject(v)) {
      errs.push(fieldErrors.invalid(vp, v, 'must be an object'));
      return;
    }
    const name = str(v['name']);
    if (!name) errs.push(fieldErrors.required(`${vp}.name`));
    else {
      const msg = dns1035(name);
      if (msg) errs.push(fieldErrors.invalid(`${vp}.name`, name, msg));
      if (seen.has(name)) errs.push(fieldErrors.duplicate(`${vp}.name`, name));
      seen.add(name);
    }
    if (typeof v['served'] !== 'boolean') errs.push(fieldErrors.required(`${vp}.served`));
    if (typeof v['storage'] !== 'boolean') errs.push(fieldErrors.required(`${vp}.storage`));
    if (v['storage'] === true) storage++;
    validateSchemaOf(v, vp, errs);
    validateColumns(v['additionalPrinterColumns'], `${vp}.additionalPrinterColumns`, errs);
    validateScale(v['subresources'], `${vp}.subresources`, errs);
  });
  if (storage !== 1) {
    errs.push(
      fieldErrors.invalid(
        'spec.versions',
        versions.map((v) => (isObject(v) ? str(v['name']) : '')),
        'must have exactly one version marked as storage version',
      ),
    );
  }
}

function validateConversion(spec: JsonObject, errs: StatusCause[]): void {
  const conversion = spec['conversion'];
  if (!isObject(conversion)) return;
  const strategy = conversion['strategy'];
  if (strategy !== undefined && strategy !== 'None' && strategy !== 'Webhook') {
    errs.push(fieldErrors.notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  }
}

function validateUpdate(crd: KubeObject, old: KubeObject, errs: StatusCause[]): void {
  const spec = isObject(crd['spec']) ? crd['spec'] : {};
  const oldSpec = isObject(old['spec']) ? old['spec'] : {};
  if (str(oldSpec['group']) && spec['group'] !== oldSpec['group']) {
    errs.push(fieldErrors.immutable('spec.group', spec['group']));
  }
  if (str(oldSpec['scope']) && spec['scope'] !== oldSpec['scope']) {
    errs.push(fieldErrors.immutable('spec.scope', spec['scope']));
  }
  const oldStatus = isObject(old['status']) ? old['status'] : {};
  const stored = Array.isArray(oldStatus['storedVersions']) ? oldStatus['storedVersions'] : [];
  const names = new Set(
    (Array.isArray(spec['versions']) ? spec['versions'] : []).map((v) =>
      isObject(v) ? str(v['name']) : '',
    ),
  );
  stored.forEach((v, i) => {
    if (typeof v === 'string' && !names.has(v)) {
      errs.push(
        fieldErrors.invalid(`status.storedVersions[${i}]`, v, 'must appear in spec.versions'),
      );
    }
  });
}

/** Validates a CRD on create (old undefined) or update. */
export function validateCrd(crd: KubeObject, old?: KubeObject): StatusCause[] {
  const errs: StatusCause[] = [];
  const spec = isObject(crd['spec']) ? crd['spec'] : undefined;
  if (!spec) return [fieldErrors.required('spec')];
  const group = str(spec['group']);
  if (!group) errs.push(fieldErrors.required('spec.group'));
  else {
    for (const msg of validateDns1123Subdomain(group))
      errs.push(fieldErrors.invalid('spec.group', group, msg));
    if (!group.includes('.')) {
      errs.push(
        fieldErrors.invalid('spec.group', group, 'should be a domain with at least one dot'),
      );
    }
  }
  const names = isObject(spec['names']) ? spec['names'] : {};
  validateNames(names, errs);
  const expected = `${str(names['plural'])}.${group}`;
  const name = crd.metadata?.name ?? '';
  if (name !== expected) {
    errs.push(
      fieldErrors.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'),
    );
  }
  const scope = spec['scope'];
  if (!scope) errs.push(fieldErrors.required('spec.scope'));
  else if (typeof scope !== 'string' || !SCOPES.includes(scope)) {
    errs.push(fieldErrors.notSupported('spec.scope', scope, SCOPES));
  }
  if (spec['preserveUnknownFields'] === true) {
    errs.push(
      fieldErrors.invalid(
        'spec.preserveUnknownFields',
        true,
        'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
      ),
    );
  }
  validateVersions(spec, errs);
  validateConversion(spec, errs);
  if (old) validateUpdate(crd, old, errs);
  return errs;
}
