// apps/v1 and batch/v1 validation (pkg/apis/apps/validation, pkg/apis/batch/validation).
import { fieldErrors, type StatusCause } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import { at, deepEqual, isObj, objs, record, str, type Obj } from './access.ts';
import { goStringMap, invalidRendered } from './go-format.ts';
import { parseQuantity } from './quantity.ts';
import {
  goLabelSelector,
  isEmptySelector,
  selectorMatches,
  validateLabelSelector,
} from './selectors.ts';
import { validatePodTemplate, validatePodTemplateMeta } from './validate-pod.ts';

function nonNegative(spec: Obj, key: string, field: string): StatusCause[] {
  const v = spec[key];
  if (v === undefined || v === null) return [];
  if (typeof v !== 'number' || !Number.isInteger(v))
    return [fieldErrors.typeInvalid(`${field}.${key}`, v, 'must be of type integer')];
  return v < 0
    ? [fieldErrors.invalid(`${field}.${key}`, v, 'must be greater than or equal to 0')]
    : [];
}

/** Selector required, non-empty, valid, and matching the template labels. */
function validateSelectorAndTemplate(
  spec: Obj,
  kindWord: string,
  requireSelector = true,
  validateTemplate = validatePodTemplate,
): StatusCause[] {
  const out: StatusCause[] = [];
  const selector = spec['selector'];
  if (selector === undefined || selector === null) {
    if (requireSelector) out.push(fieldErrors.required('spec.selector', ''));
  } else {
    out.push(...validateLabelSelector(selector, 'spec.selector'));
    if (isEmptySelector(selector)) {
      out.push(
        invalidRendered(
          'spec.selector',
          goLabelSelector(selector),
          `empty selector is invalid for ${kindWord}`,
        ),
      );
    }
  }
  const template = spec['template'];
  if (!isObj(template)) {
    out.push(fieldErrors.required('spec.template', ''));
    return out;
  }
  const labels = at(template, 'metadata', 'labels');
  if (
    selector !== undefined &&
    selector !== null &&
    !isEmptySelector(selector) &&
    !selectorMatches(selector, labels)
  ) {
    out.push(
      invalidRendered(
        'spec.template.metadata.labels',
        goStringMap(labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  out.push(...validateTemplate(template, 'spec.template'));
  return out;
}

function onlyAlwaysRestart(spec: Obj, field = 'spec.template.spec.restartPolicy'): StatusCause[] {
  const policy = at(spec, 'template', 'spec', 'restartPolicy');
  return policy !== undefined && policy !== 'Always'
    ? [fieldErrors.notSupported(field, policy, ['Always'])]
    : [];
}

function selectorImmutable(spec: Obj, oldSpec: Obj): StatusCause[] {
  return deepEqual(spec['selector'] ?? null, oldSpec['selector'] ?? null)
    ? []
    : [invalidRendered('spec.selector', goLabelSelector(spec['selector']), 'field is immutable')];
}

/** intstr percent or integer, as maxSurge/maxUnavailable. */
function intOrPercent(
  v: unknown,
  field: string,
): { value?: number; percent?: boolean; causes: StatusCause[] } {
  if (v === undefined || v === null) return { causes: [] };
  if (typeof v === 'number') {
    return {
      value: v,
      causes: v < 0 ? [fieldErrors.invalid(field, v, 'must be greater than or equal to 0')] : [],
    };
  }
  if (typeof v === 'string') {
    const m = /^(\d+)%$/.exec(v);
    if (!m)
      return {
        causes: [
          fieldErrors.invalid(
            field,
            v,
            "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
          ),
        ],
      };
    const pct = Number(m[1]);
    return {
      value: pct,
      percent: true,
      causes: pct > 100 ? [fieldErrors.invalid(field, v, 'must not be greater than 100%')] : [],
    };
  }
  return { causes: [fieldErrors.typeInvalid(field, v, 'must be an integer or percentage')] };
}

export function validateDeployment(d: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = record(d['spec']);
  const out = [
    ...nonNegative(spec, 'replicas', 'spec'),
    ...validateSelectorAndTemplate(spec, 'deployment'),
    ...onlyAlwaysRestart(spec),
    ...nonNegative(spec, 'minReadySeconds', 'spec'),
    ...nonNegative(spec, 'revisionHistoryLimit', 'spec'),
  ];
  const strategy = record(spec['strategy']);
  const type = strategy['type'];
  if (type !== undefined && type !== 'Recreate' && type !== 'RollingUpdate') {
    out.push(fieldErrors.notSupported('spec.strategy.type', type, ['Recreate', 'RollingUpdate']));
  }
  if (
    type === 'Recreate' &&
    strategy['rollingUpdate'] !== undefined &&
    strategy['rollingUpdate'] !== null
  ) {
    out.push(
      fieldErrors.forbidden(
        'spec.strategy.rollingUpdate',
        "may not be specified when strategy `type` is 'Recreate'",
      ),
    );
  }
  if (type === 'RollingUpdate' && isObj(strategy['rollingUpdate'])) {
    const ru = strategy['rollingUpdate'];
    const unavailable = intOrPercent(
      ru['maxUnavailable'],
      'spec.strategy.rollingUpdate.maxUnavailable',
    );
    const surge = intOrPercent(ru['maxSurge'], 'spec.strategy.rollingUpdate.maxSurge');
    out.push(...unavailable.causes, ...surge.causes);
    if (unavailable.value === 0 && surge.value === 0) {
      out.push(
        fieldErrors.invalid(
          'spec.strategy.rollingUpdate.maxUnavailable',
          ru['maxUnavailable'],
          'may not be 0 when `maxSurge` is 0',
        ),
      );
    }
  }
  const deadline = spec['progressDeadlineSeconds'];
  if (typeof deadline === 'number') {
    out.push(...nonNegative(spec, 'progressDeadlineSeconds', 'spec'));
    const minReady = typeof spec['minReadySeconds'] === 'number' ? spec['minReadySeconds'] : 0;
    if (deadline <= minReady)
      out.push(
        fieldErrors.invalid(
          'spec.progressDeadlineSeconds',
          deadline,
          'must be greater than minReadySeconds',
        ),
      );
  }
  if (old) out.push(...selectorImmutable(spec, record(old['spec'])));
  return out;
}

export function validateReplicaSet(rs: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = record(rs['spec']);
  const out = [
    ...nonNegative(spec, 'replicas', 'spec'),
    ...nonNegative(spec, 'minReadySeconds', 'spec'),
    ...validateSelectorAndTemplate(spec, 'deployment'),
    ...onlyAlwaysRestart(spec),
  ];
  if (old) out.push(...selectorImmutable(spec, record(old['spec'])));
  return out;
}

export function validateDaemonSet(ds: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = record(ds['spec']);
  const out = [
    ...validateSelectorAndTemplate(spec, 'daemonset'),
    ...onlyAlwaysRestart(spec),
    ...nonNegative(spec, 'minReadySeconds', 'spec'),
    ...nonNegative(spec, 'revisionHistoryLimit', 'spec'),
  ];
  const type = at(spec, 'updateStrategy', 'type');
  if (type !== undefined && type !== 'OnDelete' && type !== 'RollingUpdate') {
    out.push(
      fieldErrors.notSupported('spec.updateStrategy.type', type, ['OnDelete', 'RollingUpdate']),
    );
  }
  if (old) out.push(...selectorImmutable(spec, record(old['spec'])));
  return out;
}

const STS_UPDATABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];
const STS_FORBIDDEN =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

export function validateClaimSpec(spec: unknown, field: string): StatusCause[] {
  const s = record(spec);
  const out: StatusCause[] = [];
  const modes = Array.isArray(s['accessModes']) ? s['accessModes'] : [];
  const valid = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
  if (modes.length === 0 && s['dataSourceRef'] === undefined)
    out.push(fieldErrors.required(`${field}.accessModes`, 'at least 1 access mode is required'));
  for (const m of modes)
    if (!valid.includes(String(m)))
      out.push(fieldErrors.notSupported(`${field}.accessModes`, m, valid));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) {
    out.push(
      fieldErrors.forbidden(
        `${field}.accessModes`,
        'may not use ReadWriteOncePod with other access modes',
      ),
    );
  }
  const storage = at(s, 'resources', 'requests', 'storage');
  if (storage === undefined) out.push(fieldErrors.required(`${field}.resources[storage]`, ''));
  else {
    const q = parseQuantity(storage);
    if (q === undefined)
      out.push(
        fieldErrors.invalid(
          `${field}.resources.requests[storage]`,
          storage,
          "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
      );
    else if (q <= 0)
      out.push(
        fieldErrors.invalid(`${field}.resources[storage]`, storage, 'must be greater than zero'),
      );
  }
  const volumeMode = s['volumeMode'];
  if (volumeMode !== undefined && volumeMode !== 'Block' && volumeMode !== 'Filesystem') {
    out.push(fieldErrors.notSupported(`${field}.volumeMode`, volumeMode, ['Block', 'Filesystem']));
  }
  return out;
}

export function validateStatefulSet(sts: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = record(sts['spec']);
  const out = [
    ...nonNegative(spec, 'replicas', 'spec'),
    ...nonNegative(spec, 'minReadySeconds', 'spec'),
    ...validateSelectorAndTemplate(spec, 'statefulset', true, validatePodTemplateMeta),
    ...onlyAlwaysRestart(spec),
  ];
  if (at(spec, 'template', 'spec', 'activeDeadlineSeconds') !== undefined) {
    out.push(
      fieldErrors.forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        'activeDeadlineSeconds in StatefulSet is not Supported',
      ),
    );
  }
  const policy = spec['podManagementPolicy'];
  if (policy !== undefined && policy !== 'OrderedReady' && policy !== 'Parallel') {
    out.push(
      fieldErrors.notSupported('spec.podManagementPolicy', policy, ['OrderedReady', 'Parallel']),
    );
  }
  const type = at(spec, 'updateStrategy', 'type');
  if (type !== undefined && type !== 'OnDelete' && type !== 'RollingUpdate') {
    out.push(
      fieldErrors.notSupported('spec.updateStrategy.type', type, ['OnDelete', 'RollingUpdate']),
    );
  }
  if (type === 'OnDelete' && at(spec, 'updateStrategy', 'rollingUpdate') !== undefined) {
    out.push(
      fieldErrors.invalid(
        'spec.updateStrategy.rollingUpdate',
        at(spec, 'updateStrategy', 'rollingUpdate'),
        "only allowed for updateStrategy 'RollingUpdate'",
      ),
    );
  }
  out.push(
    ...nonNegative(
      record(at(spec, 'updateStrategy', 'rollingUpdate')),
      'partition',
      'spec.updateStrategy.rollingUpdate',
    ),
  );
  const retention = record(spec['persistentVolumeClaimRetentionPolicy']);
  for (const key of ['whenDeleted', 'whenScaled']) {
    const v = retention[key];
    if (v !== undefined && v !== 'Retain' && v !== 'Delete') {
      out.push(
        fieldErrors.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${key}`, v, [
          'Retain',
          'Delete',
        ]),
      );
    }
  }
  const serviceName = spec['serviceName'];
  if (typeof serviceName === 'string' && serviceName !== '') {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(serviceName) || serviceName.length > 63) {
      out.push(
        fieldErrors.invalid(
          'spec.serviceName',
          serviceName,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
      );
    }
  }
  objs(spec['volumeClaimTemplates']).forEach((pvc, i) => {
    const f = `spec.volumeClaimTemplates[${i}]`;
    if (!str(at(pvc, 'metadata', 'name')))
      out.push(fieldErrors.required(`${f}.metadata.name`, 'name or generateName is required'));
    out.push(...validateClaimSpec(pvc['spec'], `${f}.spec`));
  });
  if (old) {
    const oldSpec = record(old['spec']);
    const strip = (s: Obj) => {
      const copy: Obj = { ...s };
      for (const k of STS_UPDATABLE) delete copy[k];
      return copy;
    };
    if (!deepEqual(strip(spec), strip(oldSpec)))
      out.push(fieldErrors.forbidden('spec', STS_FORBIDDEN));
  }
  return out;
}

const JOB_RESTART = ['OnFailure', 'Never'];

function jobSpecCauses(spec: Obj, prefix: string, generatedSelector: boolean): StatusCause[] {
  const out = [
    ...nonNegative(spec, 'parallelism', prefix),
    ...nonNegative(spec, 'completions', prefix),
    ...nonNegative(spec, 'backoffLimit', prefix),
  ];
  const deadline = spec['activeDeadlineSeconds'];
  if (deadline !== undefined && (typeof deadline !== 'number' || deadline <= 0)) {
    out.push(
      fieldErrors.invalid(`${prefix}.activeDeadlineSeconds`, deadline, 'must be greater than 0'),
    );
  }
  const mode = spec['completionMode'];
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
    out.push(fieldErrors.notSupported(`${prefix}.completionMode`, mode, ['NonIndexed', 'Indexed']));
  }
  if (mode === 'Indexed' && spec['completions'] === undefined) {
    out.push(fieldErrors.required(`${prefix}.completions`, 'when completion mode is Indexed'));
  }
  const template = spec['template'];
  const selector = spec['selector'];
  if (!generatedSelector) {
    if (selector === undefined || selector === null)
      out.push(fieldErrors.required(`${prefix}.selector`, ''));
    else {
      out.push(...validateLabelSelector(selector, `${prefix}.selector`));
      const labels = at(template, 'metadata', 'labels');
      if (!selectorMatches(selector, labels)) {
        out.push(
          invalidRendered(
            `${prefix}.template.metadata.labels`,
            goStringMap(labels),
            '`selector` does not match template `labels`',
          ),
        );
      }
    }
  }
  if (!isObj(template)) {
    out.push(fieldErrors.required(`${prefix}.template`, ''));
    return out;
  }
  out.push(...validatePodTemplate(template, `${prefix}.template`));
  const restart = at(template, 'spec', 'restartPolicy');
  if (!JOB_RESTART.includes(str(restart))) {
    out.push(
      fieldErrors.notSupported(`${prefix}.template.spec.restartPolicy`, restart ?? '', JOB_RESTART),
    );
  }
  return out;
}

export function validateJob(job: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = record(job['spec']);
  // A generated selector is only checked for presence when the job is not manualSelector.
  const out = jobSpecCauses(
    spec,
    'spec',
    spec['manualSelector'] !== true && spec['selector'] === undefined,
  );
  if (old) {
    const oldSpec = record(old['spec']);
    out.push(...selectorImmutable(spec, oldSpec));
    if (!deepEqual(spec['template'], oldSpec['template']) && oldSpec['suspend'] !== true) {
      out.push(invalidRendered('spec.template', 'core.PodTemplateSpec{...}', 'field is immutable'));
    }
    if (spec['completionMode'] !== oldSpec['completionMode'])
      out.push(fieldErrors.immutable('spec.completionMode', spec['completionMode'] ?? ''));
    if (spec['completions'] !== oldSpec['completions'] && spec['completionMode'] !== 'Indexed') {
      out.push(fieldErrors.immutable('spec.completions', spec['completions'] ?? null));
    }
  }
  return out;
}

function validateSchedule(schedule: unknown): StatusCause[] {
  if (typeof schedule !== 'string' || schedule === '')
    return [fieldErrors.required('spec.schedule', '')];
  if (/^\s*(CRON_)?TZ=/.test(schedule) || /(^|\s)(CRON_)?TZ=/.test(schedule)) {
    return [
      fieldErrors.invalid(
        'spec.schedule',
        schedule,
        'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ),
    ];
  }
  const trimmed = schedule.trim();
  if (trimmed.startsWith('@')) {
    const ok =
      ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'].includes(
        trimmed,
      ) || trimmed.startsWith('@every ');
    return ok
      ? []
      : [fieldErrors.invalid('spec.schedule', schedule, `unrecognized descriptor: ${trimmed}`)];
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) {
    return [
      fieldErrors.invalid(
        'spec.schedule',
        schedule,
        `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`,
      ),
    ];
  }
  const fieldRe =
    /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?)*$/;
  for (const f of fields) {
    if (!fieldRe.test(f))
      return [fieldErrors.invalid('spec.schedule', schedule, `failed to parse int from ${f}`)];
  }
  return [];
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function validateCronJob(cj: KubeObject): StatusCause[] {
  const spec = record(cj['spec']);
  const out: StatusCause[] = [];
  const name = cj.metadata?.name;
  if (typeof name === 'string' && name.length > 52)
    out.push(fieldErrors.invalid('metadata.name', name, 'must be no more than 52 characters'));
  out.push(...validateSchedule(spec['schedule']));
  const tz = spec['timeZone'];
  if (typeof tz === 'string' && (tz === '' || !isValidTimeZone(tz))) {
    out.push(fieldErrors.invalid('spec.timeZone', tz, `unknown time zone ${tz}`));
  }
  const policy = spec['concurrencyPolicy'];
  if (policy !== undefined && !['Allow', 'Forbid', 'Replace'].includes(str(policy))) {
    out.push(
      fieldErrors.notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']),
    );
  }
  out.push(...nonNegative(spec, 'startingDeadlineSeconds', 'spec'));
  out.push(...nonNegative(spec, 'successfulJobsHistoryLimit', 'spec'));
  out.push(...nonNegative(spec, 'failedJobsHistoryLimit', 'spec'));
  const jobSpec = at(spec, 'jobTemplate', 'spec');
  if (!isObj(jobSpec)) out.push(fieldErrors.required('spec.jobTemplate.spec', ''));
  else
    out.push(
      ...jobSpecCauses(jobSpec, 'spec.jobTemplate.spec', jobSpec['manualSelector'] !== true),
    );
  return out;
}
