// Metadata validation for custom resources (built-in kinds validate theirs in src/builtin): names,
// labels, annotations, finalizers and ownerReferences, worded like the real server.
import { fieldErrors } from '../core/errors.ts';
import type { StatusCause } from '../core/errors.ts';
import type { ObjectMeta } from '../core/types.ts';
import { validateDns1123Label, validateDns1123Subdomain } from '../validation/names.ts';
import type { ResourceDef } from './registry.ts';
import { isPlainObject } from './util.ts';

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  if (name.includes('/')) return [`may not contain '/'`];
  if (name.includes('%')) return [`may not contain '%'`];
  return [];
}

export function validateObjectMeta(
  def: ResourceDef,
  meta: ObjectMeta,
  creating: boolean,
): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = meta.name ?? '';
  if (creating && !name) {
    causes.push(fieldErrors.required('metadata.name', 'name or generateName is required'));
    return causes;
  }
  if (typeof name !== 'string') {
    causes.push(fieldErrors.invalid('metadata.name', name, 'must be a string'));
    return causes;
  }
  let msgs: string[];
  if (def.info.group === 'rbac.authorization.k8s.io') msgs = pathSegmentErrors(name);
  else if (def.gr === '/namespaces' || def.gr === '/services') msgs = validateDns1123Label(name);
  else
    msgs = [
      ...pathSegmentErrors(name),
      ...(pathSegmentErrors(name).length ? [] : validateDns1123Subdomain(name)),
    ];
  if (
    def.gr === '/events' ||
    def.gr === 'events.k8s.io/events' ||
    def.gr === 'coordination.k8s.io/leases' ||
    def.gr === '/nodes'
  ) {
    msgs = pathSegmentErrors(name);
  }
  for (const m of msgs) causes.push(fieldErrors.invalid('metadata.name', name, m));
  if (meta.labels !== undefined) {
    if (!isPlainObject(meta.labels))
      causes.push(fieldErrors.invalid('metadata.labels', meta.labels, 'must be a map'));
    else
      for (const [k, v] of Object.entries(meta.labels)) {
        if (!QUALIFIED_NAME.test(k) || k.length > 316) {
          causes.push(
            fieldErrors.invalid(
              'metadata.labels',
              k,
              "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ),
          );
        }
        if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
          causes.push(
            fieldErrors.invalid(
              'metadata.labels',
              v,
              "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ),
          );
        }
      }
  }
  if (meta.annotations !== undefined) {
    if (!isPlainObject(meta.annotations)) {
      causes.push(fieldErrors.invalid('metadata.annotations', meta.annotations, 'must be a map'));
    } else {
      let size = 0;
      for (const [k, v] of Object.entries(meta.annotations)) {
        if (typeof v !== 'string')
          causes.push(fieldErrors.invalid(`metadata.annotations`, v, 'must be a string'));
        else size += k.length + v.length;
      }
      if (size > 262144) causes.push(fieldErrors.tooLong('metadata.annotations', 262144));
    }
  }
  if (meta.finalizers !== undefined && !Array.isArray(meta.finalizers)) {
    causes.push(fieldErrors.invalid('metadata.finalizers', meta.finalizers, 'must be a list'));
  }
  if (meta.ownerReferences !== undefined) {
    if (!Array.isArray(meta.ownerReferences)) {
      causes.push(
        fieldErrors.invalid('metadata.ownerReferences', meta.ownerReferences, 'must be a list'),
      );
    } else {
      meta.ownerReferences.forEach((ref, i) => {
        for (const f of ['apiVersion', 'kind', 'name', 'uid'] as const) {
          if (!isPlainObject(ref) || !ref[f])
            causes.push(fieldErrors.required(`metadata.ownerReferences[${i}].${f}`));
        }
      });
      if (meta.ownerReferences.filter((r) => r?.controller).length > 1) {
        causes.push(
          fieldErrors.invalid(
            'metadata.ownerReferences',
            meta.ownerReferences,
            'Only one reference can have Controller set to true',
          ),
        );
      }
    }
  }
  return causes;
}
