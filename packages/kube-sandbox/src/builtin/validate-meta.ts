// ObjectMeta validation (apimachinery ValidateObjectMeta / ValidateObjectMetaUpdate): names,
// generateName, labels, annotations, finalizers, owner references and the fields no update may change.
import { fieldErrors, type StatusCause } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import { objs, record, str } from './access.ts';
import { isQualifiedName, isValidLabelValue, type NameValidator } from './names.ts';

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export function validateLabels(labels: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(record(labels))) {
    for (const msg of isQualifiedName(k)) out.push(fieldErrors.invalid(field, k, msg));
    if (typeof v !== 'string') {
      out.push(fieldErrors.typeInvalid(`${field}.${k}`, v, 'must be of type string'));
      continue;
    }
    for (const msg of isValidLabelValue(v)) out.push(fieldErrors.invalid(field, v, msg));
  }
  return out;
}

export function validateAnnotations(annotations: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(record(annotations))) {
    for (const msg of isQualifiedName(k.toLowerCase()))
      out.push(fieldErrors.invalid(field, k, msg));
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE) out.push(fieldErrors.tooLong(field, TOTAL_ANNOTATION_SIZE));
  return out;
}

function validateOwnerReferences(refs: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  const controllers: string[] = [];
  objs(refs).forEach((ref, i) => {
    const at = `${field}[${i}]`;
    if (!str(ref['apiVersion']))
      out.push(
        fieldErrors.invalid(
          `${at}.apiVersion`,
          ref['apiVersion'] ?? '',
          'version must not be empty',
        ),
      );
    if (!str(ref['kind']))
      out.push(fieldErrors.invalid(`${at}.kind`, ref['kind'] ?? '', 'kind must not be empty'));
    if (!str(ref['name']))
      out.push(fieldErrors.invalid(`${at}.name`, ref['name'] ?? '', 'name must not be empty'));
    if (!str(ref['uid']))
      out.push(fieldErrors.invalid(`${at}.uid`, ref['uid'] ?? '', 'uid must not be empty'));
    if (ref['controller'] === true) controllers.push(`${str(ref['kind'])}/${str(ref['name'])}`);
  });
  if (controllers.length > 1) {
    out.push(
      fieldErrors.invalid(
        field,
        refs,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`,
      ),
    );
  }
  return out;
}

function validateFinalizers(finalizers: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  if (finalizers === undefined || finalizers === null) return out;
  if (!Array.isArray(finalizers))
    return [fieldErrors.typeInvalid(field, finalizers, 'must be of type array')];
  finalizers.forEach((f, i) => {
    const s = String(f);
    for (const msg of isQualifiedName(s)) out.push(fieldErrors.invalid(`${field}[${i}]`, s, msg));
    if (seen.has(s)) out.push(fieldErrors.duplicate(`${field}[${i}]`, s));
    seen.add(s);
  });
  return out;
}

export interface MetaRules {
  namespaced: boolean;
  nameValidator: NameValidator;
}

export function validateObjectMeta(obj: KubeObject, rules: MetaRules): StatusCause[] {
  const meta = record(obj.metadata);
  const out: StatusCause[] = [];
  const generateName = str(meta['generateName']);
  if (generateName) {
    for (const msg of rules.nameValidator(generateName, true)) {
      out.push(fieldErrors.invalid('metadata.generateName', generateName, msg));
    }
  }
  const name = meta['name'];
  if (typeof name !== 'string' || name === '') {
    out.push(fieldErrors.required('metadata.name', 'name or generateName is required'));
  } else {
    for (const msg of rules.nameValidator(name, false))
      out.push(fieldErrors.invalid('metadata.name', name, msg));
  }
  const namespace = str(meta['namespace']);
  if (rules.namespaced && namespace === '')
    out.push(fieldErrors.required('metadata.namespace', ''));
  if (!rules.namespaced && namespace !== '')
    out.push(fieldErrors.forbidden('metadata.namespace', 'not allowed on this type'));
  if (typeof meta['generation'] === 'number' && meta['generation'] < 0) {
    out.push(
      fieldErrors.invalid(
        'metadata.generation',
        meta['generation'],
        'must be greater than or equal to 0',
      ),
    );
  }
  out.push(...validateLabels(meta['labels'], 'metadata.labels'));
  out.push(...validateAnnotations(meta['annotations'], 'metadata.annotations'));
  out.push(...validateOwnerReferences(meta['ownerReferences'], 'metadata.ownerReferences'));
  out.push(...validateFinalizers(meta['finalizers'], 'metadata.finalizers'));
  return out;
}

export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const meta = record(obj.metadata);
  const oldMeta = record(old.metadata);
  const out: StatusCause[] = [];
  for (const key of ['name', 'namespace', 'uid', 'creationTimestamp']) {
    const now = meta[key];
    const before = oldMeta[key];
    if (before !== undefined && now !== before)
      out.push(fieldErrors.immutable(`metadata.${key}`, now ?? ''));
  }
  if (oldMeta['deletionTimestamp'] !== undefined) {
    const before = new Set(
      (Array.isArray(oldMeta['finalizers']) ? oldMeta['finalizers'] : []).map(String),
    );
    const added = (Array.isArray(meta['finalizers']) ? meta['finalizers'] : [])
      .map(String)
      .filter((f) => !before.has(f));
    if (added.length > 0) {
      out.push(
        fieldErrors.forbidden(
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
        ),
      );
    }
  }
  return out;
}
