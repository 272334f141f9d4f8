// Validation of the non-workload kinds (core/v1 services, claims, secrets, config maps, events;
// policy, rbac, storage, discovery, coordination) for the fields we use.
import { fieldErrors, type StatusCause } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import { arr, at, deepEqual, isObj, objs, record, str, type Obj } from './access.ts';
import { goStringSlice, invalidRendered } from './go-format.ts';
import {
  isConfigMapKey,
  isDns1123Subdomain,
  isPathSegmentName,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
} from './names.ts';
import { parseQuantity } from './quantity.ts';
import { validateLabelSelector } from './selectors.ts';
import { validateLabels } from './validate-meta.ts';
import { validateClaimSpec } from './validate-workloads.ts';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function validateServicePorts(spec: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  const ports = objs(spec['ports']);
  const type = spec['type'];
  if (ports.length === 0 && type !== 'ExternalName' && spec['clusterIP'] !== 'None') {
    out.push(fieldErrors.required('spec.ports', ''));
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    const name = str(p['name']);
    if (ports.length > 1 && name === '') out.push(fieldErrors.required(`${f}.name`, ''));
    if (name !== '') {
      for (const msg of isValidPortName(name))
        out.push(fieldErrors.invalid(`${f}.name`, name, msg));
      if (names.has(name)) out.push(fieldErrors.duplicate(`${f}.name`, name));
      names.add(name);
    }
    for (const msg of isValidPortNum(Number(p['port'] ?? 0)))
      out.push(fieldErrors.invalid(`${f}.port`, p['port'] ?? 0, msg));
    const protocol = p['protocol'];
    if (protocol !== undefined && !PROTOCOLS.includes(str(protocol)))
      out.push(fieldErrors.notSupported(`${f}.protocol`, protocol, PROTOCOLS));
    const key = `${String(p['port'])}/${str(protocol) || 'TCP'}`;
    if (seen.has(key))
      out.push(
        fieldErrors.duplicate(`${f}`, { port: p['port'], protocol: str(protocol) || 'TCP' }),
      );
    seen.add(key);
    const target = p['targetPort'];
    if (typeof target === 'number') {
      for (const msg of isValidPortNum(target))
        out.push(fieldErrors.invalid(`${f}.targetPort`, target, msg));
    } else if (typeof target === 'string') {
      for (const msg of isValidPortName(target))
        out.push(fieldErrors.invalid(`${f}.targetPort`, target, msg));
    }
    const nodePort = p['nodePort'];
    if (
      nodePort !== undefined &&
      nodePort !== 0 &&
      type !== 'NodePort' &&
      type !== 'LoadBalancer'
    ) {
      out.push(
        fieldErrors.forbidden(`${f}.nodePort`, `may not be used when \`type\` is '${str(type)}'`),
      );
    }
  });
  return out;
}

export function validateService(svc: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = record(svc['spec']);
  const out: StatusCause[] = [];
  const type = spec['type'];
  if (type !== undefined && !SERVICE_TYPES.includes(str(type)))
    out.push(fieldErrors.notSupported('spec.type', type, SERVICE_TYPES));
  if (type === 'ExternalName') {
    const name = str(spec['externalName']);
    if (name === '') out.push(fieldErrors.required('spec.externalName', ''));
    else
      for (const msg of isDns1123Subdomain(name.replace(/\.$/, '')))
        out.push(fieldErrors.invalid('spec.externalName', name, msg));
  }
  out.push(...validateServicePorts(spec));
  const clusterIP = spec['clusterIP'];
  if (
    typeof clusterIP === 'string' &&
    clusterIP !== '' &&
    clusterIP !== 'None' &&
    !IPV4.test(clusterIP)
  ) {
    out.push(
      fieldErrors.invalid(
        'spec.clusterIPs[0]',
        clusterIP,
        'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ),
    );
  }
  if (clusterIP === 'None' && type !== undefined && type !== 'ClusterIP') {
    out.push(
      fieldErrors.invalid(
        'spec.clusterIPs[0]',
        'None',
        'may only be set to "None" for ClusterIP services',
      ),
    );
  }
  const affinity = spec['sessionAffinity'];
  if (affinity !== undefined && affinity !== 'None' && affinity !== 'ClientIP') {
    out.push(fieldErrors.notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  }
  out.push(...validateLabels(spec['selector'], 'spec.selector'));
  if (old) {
    const oldSpec = record(old['spec']);
    const oldIP = str(oldSpec['clusterIP']);
    const newIP = str(clusterIP);
    const toOrFromExternalName = type === 'ExternalName' || oldSpec['type'] === 'ExternalName';
    if (!toOrFromExternalName && oldIP !== '' && newIP !== '' && newIP !== oldIP) {
      out.push(
        invalidRendered(
          'spec.clusterIPs[0]',
          goStringSlice(spec['clusterIPs'] ?? [newIP]),
          'may not change once set',
        ),
      );
    }
  }
  return out;
}

function immutableWhenSet(
  obj: KubeObject,
  old: KubeObject | undefined,
  dataKeys: string[],
): StatusCause[] {
  if (!old || old['immutable'] !== true) return [];
  const out: StatusCause[] = [];
  const detail = 'field is immutable when `immutable` is set';
  for (const key of dataKeys) {
    if (!deepEqual(obj[key] ?? {}, old[key] ?? {})) out.push(fieldErrors.forbidden(key, detail));
  }
  if (obj['immutable'] !== true) out.push(fieldErrors.forbidden('immutable', detail));
  return out;
}

function validateDataKeys(data: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const key of Object.keys(record(data))) {
    for (const msg of isConfigMapKey(key))
      out.push(fieldErrors.invalid(`${field}[${key}]`, key, msg));
  }
  return out;
}

const MAX_SECRET_SIZE = 1024 * 1024;

export function validateSecret(secret: KubeObject, old?: KubeObject): StatusCause[] {
  const data = record(secret['data']);
  const out = validateDataKeys(data, 'data');
  out.push(...validateDataKeys(secret['stringData'], 'stringData'));
  let size = 0;
  for (const v of Object.values(data))
    size += typeof v === 'string' ? Math.floor((v.length * 3) / 4) : 0;
  if (size > MAX_SECRET_SIZE) out.push(fieldErrors.tooLong('data', MAX_SECRET_SIZE));
  for (const v of Object.values(data)) {
    if (typeof v === 'string' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
      out.push(fieldErrors.invalid('data', '<secret contents redacted>', 'illegal base64 data'));
      break;
    }
  }
  const type = str(secret['type']);
  const need = (keys: string[]) => {
    for (const k of keys)
      if (data[k] === undefined && record(secret['stringData'])[k] === undefined)
        out.push(fieldErrors.required(`data[${k}]`, ''));
  };
  if (type === 'kubernetes.io/tls') need(['tls.crt', 'tls.key']);
  if (type === 'kubernetes.io/dockerconfigjson') need(['.dockerconfigjson']);
  if (type === 'kubernetes.io/dockercfg') need(['.dockercfg']);
  if (
    type === 'kubernetes.io/basic-auth' &&
    data['username'] === undefined &&
    data['password'] === undefined
  ) {
    out.push(fieldErrors.required('data[username]', ''));
  }
  if (
    type === 'kubernetes.io/service-account-token' &&
    !secret.metadata?.annotations?.['kubernetes.io/service-account.name']
  ) {
    out.push(fieldErrors.required('metadata.annotations[kubernetes.io/service-account.name]', ''));
  }
  if (old && str(old['type']) !== type) out.push(fieldErrors.immutable('type', type));
  out.push(...immutableWhenSet(secret, old, ['data']));
  return out;
}

export function validateConfigMap(cm: KubeObject, old?: KubeObject): StatusCause[] {
  const out = [
    ...validateDataKeys(cm['data'], 'data'),
    ...validateDataKeys(cm['binaryData'], 'binaryData'),
  ];
  const binary = record(cm['binaryData']);
  for (const key of Object.keys(record(cm['data']))) {
    if (binary[key] !== undefined)
      out.push(fieldErrors.invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
  }
  out.push(...immutableWhenSet(cm, old, ['data', 'binaryData']));
  return out;
}

export function validatePvc(pvc: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = record(pvc['spec']);
  const out = validateClaimSpec(spec, 'spec');
  if (old) {
    const oldSpec = record(old['spec']);
    const strip = (s: Obj) => {
      const copy = structuredClone(s);
      const requests = at(copy, 'resources', 'requests');
      if (isObj(requests)) delete requests['storage'];
      delete copy['volumeAttributesClassName'];
      // The binder fills volumeName once; setting it is allowed while it was empty.
      if (!str(oldSpec['volumeName'])) delete copy['volumeName'];
      return JSON.stringify(sorted(copy));
    };
    const oldCompare = structuredClone(oldSpec);
    if (!str(oldSpec['volumeName'])) delete oldCompare['volumeName'];
    // Retroactive default StorageClass (GA in 1.28): a class may be set once on a claim created
    // without one, unless the legacy beta annotation names a different class. An explicit ""
    // means "no class" and stays immutable.
    if (storageClassMayBeSet(old, oldSpec, spec))
      oldCompare['storageClassName'] = spec['storageClassName'];
    if (strip(spec) !== strip(oldCompare)) {
      out.push(
        fieldErrors.forbidden(
          'spec',
          'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
        ),
      );
    }
    const before = parseQuantity(at(oldSpec, 'resources', 'requests', 'storage'));
    const now = parseQuantity(at(spec, 'resources', 'requests', 'storage'));
    if (before !== undefined && now !== undefined && now < before) {
      out.push(
        fieldErrors.forbidden(
          'spec.resources.requests.storage',
          'field can not be less than previous value',
        ),
      );
    }
  }
  return out;
}

const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

/** True when an update sets spec.storageClassName on a claim that had none (nil, not ""). */
function storageClassMayBeSet(old: KubeObject, oldSpec: Obj, spec: Obj): boolean {
  const before = oldSpec['storageClassName'];
  const after = spec['storageClassName'];
  if ((before !== undefined && before !== null) || typeof after !== 'string') return false;
  const annotation = at(old, 'metadata', 'annotations', BETA_STORAGE_CLASS);
  return annotation === undefined || annotation === after;
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (isObj(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted(v[k])]),
    );
  return v;
}

export function validatePv(pv: KubeObject): StatusCause[] {
  const spec = record(pv['spec']);
  const out: StatusCause[] = [];
  if (arr(spec['accessModes']).length === 0) out.push(fieldErrors.required('spec.accessModes', ''));
  if (at(spec, 'capacity', 'storage') === undefined)
    out.push(fieldErrors.required('spec.capacity', ''));
  const policy = spec['persistentVolumeReclaimPolicy'];
  if (policy !== undefined && !['Delete', 'Recycle', 'Retain'].includes(str(policy))) {
    out.push(
      fieldErrors.notSupported('spec.persistentVolumeReclaimPolicy', policy, [
        'Delete',
        'Recycle',
        'Retain',
      ]),
    );
  }
  return out;
}

export function validateNamespace(ns: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  arr(at(ns, 'spec', 'finalizers')).forEach((f, i) => {
    const s = String(f);
    for (const msg of isQualifiedName(s))
      out.push(fieldErrors.invalid(`spec.finalizers[${i}]`, s, msg));
  });
  return out;
}

export function validateEvent(ev: KubeObject, coreV1: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const refField = coreV1 ? 'involvedObject' : 'regarding';
  const ref = record(ev[refField]);
  const ns = str(ev.metadata?.namespace);
  const refNs = str(ref['namespace']);
  if (coreV1 && refNs !== '' && ns !== '' && refNs !== ns) {
    out.push(fieldErrors.invalid(`${refField}.namespace`, refNs, 'does not match event.namespace'));
  }
  if (!coreV1) {
    // events.k8s.io/v1 creates are validated strictly (ValidateEventCreate).
    const required = ['reportingController', 'reportingInstance', 'action', 'reason'];
    for (const key of required) if (!str(ev[key])) out.push(fieldErrors.required(key, ''));
    for (const key of ['reportingInstance', 'action', 'reason']) {
      if (str(ev[key]).length > 128) out.push(fieldErrors.tooLong(key, 128));
    }
    if (!ev['eventTime']) out.push(fieldErrors.required('eventTime', ''));
    const type = ev['type'];
    if (type !== 'Normal' && type !== 'Warning') {
      out.push(fieldErrors.invalid('type', '', `has invalid value: ${str(type)}`));
    }
    if (str(ev['note']).length > 1024) out.push(fieldErrors.tooLong('note', 1024));
  }
  return out;
}

export function validateLease(lease: KubeObject): StatusCause[] {
  const spec = record(lease['spec']);
  const out: StatusCause[] = [];
  for (const key of ['leaseDurationSeconds', 'leaseTransitions']) {
    const v = spec[key];
    if (typeof v !== 'number') continue;
    if (key === 'leaseDurationSeconds' && v <= 0)
      out.push(fieldErrors.invalid(`spec.${key}`, v, 'must be greater than 0'));
    if (key === 'leaseTransitions' && v < 0)
      out.push(fieldErrors.invalid(`spec.${key}`, v, 'must be greater than or equal to 0'));
  }
  return out;
}

export function validatePdb(pdb: KubeObject): StatusCause[] {
  const spec = record(pdb['spec']);
  const out: StatusCause[] = [];
  const min = spec['minAvailable'];
  const max = spec['maxUnavailable'];
  if (min !== undefined && min !== null && max !== undefined && max !== null) {
    out.push(
      invalidRendered(
        'spec',
        `policy.PodDisruptionBudgetSpec{MinAvailable:${JSON.stringify(min)}, MaxUnavailable:${JSON.stringify(max)}}`,
        'minAvailable and maxUnavailable cannot be both set',
      ),
    );
  }
  for (const [key, v] of [
    ['minAvailable', min],
    ['maxUnavailable', max],
  ] as const) {
    if (typeof v === 'number' && v < 0)
      out.push(fieldErrors.invalid(`spec.${key}`, v, 'must be greater than or equal to 0'));
    if (typeof v === 'string') {
      const m = /^(\d+)%$/.exec(v);
      if (!m)
        out.push(
          fieldErrors.invalid(
            `spec.${key}`,
            v,
            "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
          ),
        );
      else if (Number(m[1]) > 100)
        out.push(fieldErrors.invalid(`spec.${key}`, v, 'must not be greater than 100%'));
    }
  }
  out.push(...validateLabelSelector(spec['selector'], 'spec.selector'));
  const policy = spec['unhealthyPodEvictionPolicy'];
  if (policy !== undefined && policy !== 'IfHealthyBudget' && policy !== 'AlwaysAllow') {
    out.push(
      fieldErrors.notSupported('spec.unhealthyPodEvictionPolicy', policy, [
        'AlwaysAllow',
        'IfHealthyBudget',
      ]),
    );
  }
  return out;
}

export function validateStorageClass(sc: KubeObject, old?: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const provisioner = str(sc['provisioner']);
  if (provisioner === '') out.push(fieldErrors.required('provisioner', ''));
  const policy = sc['reclaimPolicy'];
  if (policy !== undefined && policy !== 'Delete' && policy !== 'Retain')
    out.push(fieldErrors.notSupported('reclaimPolicy', policy, ['Delete', 'Retain']));
  const mode = sc['volumeBindingMode'];
  if (mode !== undefined && mode !== 'Immediate' && mode !== 'WaitForFirstConsumer') {
    out.push(
      fieldErrors.notSupported('volumeBindingMode', mode, ['Immediate', 'WaitForFirstConsumer']),
    );
  }
  if (old) {
    if (provisioner !== str(old['provisioner']))
      out.push(fieldErrors.forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (
      JSON.stringify(sorted(sc['parameters'] ?? {})) !==
      JSON.stringify(sorted(old['parameters'] ?? {}))
    ) {
      out.push(fieldErrors.forbidden('parameters', 'updates to parameters are forbidden.'));
    }
    if ((sc['reclaimPolicy'] ?? 'Delete') !== (old['reclaimPolicy'] ?? 'Delete'))
      out.push(fieldErrors.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    if ((mode ?? 'Immediate') !== (old['volumeBindingMode'] ?? 'Immediate'))
      out.push(fieldErrors.immutable('volumeBindingMode', mode ?? ''));
  }
  return out;
}

export function validateEndpointSlice(es: KubeObject, old?: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const type = es['addressType'];
  const types = ['FQDN', 'IPv4', 'IPv6'];
  if (type === undefined || type === '') out.push(fieldErrors.required('addressType', ''));
  else if (!types.includes(str(type)))
    out.push(fieldErrors.notSupported('addressType', type, types));
  objs(es['endpoints']).forEach((ep, i) => {
    const addrs = arr(ep['addresses']);
    if (addrs.length === 0)
      out.push(
        fieldErrors.required(`endpoints[${i}].addresses`, 'must contain at least 1 address'),
      );
    if (addrs.length > 100)
      out.push(fieldErrors.tooMany(`endpoints[${i}].addresses`, addrs.length, 100));
  });
  if (old && old['addressType'] !== type)
    out.push(fieldErrors.immutable('addressType', type ?? ''));
  return out;
}

// ---------------------------------------------------------------------------- rbac

function validatePolicyRule(rule: Obj, namespaced: boolean, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (arr(rule['verbs']).length === 0)
    out.push(fieldErrors.required(`${field}.verbs`, 'verbs must contain at least one value'));
  const urls = arr(rule['nonResourceURLs']);
  if (urls.length > 0) {
    if (namespaced)
      out.push(
        invalidRendered(
          `${field}.nonResourceURLs`,
          goStringSlice(urls),
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    if (
      arr(rule['apiGroups']).length > 0 ||
      arr(rule['resources']).length > 0 ||
      arr(rule['resourceNames']).length > 0
    ) {
      out.push(
        invalidRendered(
          `${field}.nonResourceURLs`,
          goStringSlice(urls),
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return out;
  }
  if (arr(rule['apiGroups']).length === 0)
    out.push(
      fieldErrors.required(
        `${field}.apiGroups`,
        'resource rules must supply at least one api group',
      ),
    );
  if (arr(rule['resources']).length === 0)
    out.push(
      fieldErrors.required(
        `${field}.resources`,
        'resource rules must supply at least one resource',
      ),
    );
  return out;
}

export function validateRole(role: KubeObject, namespaced: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  objs(role['rules']).forEach((r, i) =>
    out.push(...validatePolicyRule(r, namespaced, `rules[${i}]`)),
  );
  const aggregation = role['aggregationRule'];
  if (!namespaced && isObj(aggregation)) {
    const selectors = objs(aggregation['clusterRoleSelectors']);
    if (selectors.length === 0)
      out.push(
        fieldErrors.required(
          'aggregationRule.clusterRoleSelectors',
          'at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    selectors.forEach((s, i) =>
      out.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)),
    );
  }
  return out;
}

export function validateBinding(
  binding: KubeObject,
  namespaced: boolean,
  old?: KubeObject,
): StatusCause[] {
  const out: StatusCause[] = [];
  const ref = record(binding['roleRef']);
  if (ref['apiGroup'] !== 'rbac.authorization.k8s.io') {
    out.push(
      fieldErrors.notSupported('roleRef.apiGroup', ref['apiGroup'] ?? '', [
        'rbac.authorization.k8s.io',
      ]),
    );
  }
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref['kind'])))
    out.push(fieldErrors.notSupported('roleRef.kind', ref['kind'] ?? '', kinds));
  const refName = str(ref['name']);
  if (refName === '') out.push(fieldErrors.required('roleRef.name', ''));
  else
    for (const msg of isPathSegmentName(refName))
      out.push(fieldErrors.invalid('roleRef.name', refName, msg));
  objs(binding['subjects']).forEach((s, i) => {
    const f = `subjects[${i}]`;
    const name = str(s['name']);
    if (name === '') out.push(fieldErrors.required(`${f}.name`, ''));
    switch (s['kind']) {
      case 'ServiceAccount':
        if (str(s['apiGroup']) !== '')
          out.push(fieldErrors.notSupported(`${f}.apiGroup`, s['apiGroup'], ['']));
        if (!namespaced && str(s['namespace']) === '')
          out.push(fieldErrors.required(`${f}.namespace`, ''));
        break;
      case 'User':
      case 'Group':
        if (s['apiGroup'] !== 'rbac.authorization.k8s.io') {
          out.push(
            fieldErrors.notSupported(`${f}.apiGroup`, s['apiGroup'] ?? '', [
              'rbac.authorization.k8s.io',
            ]),
          );
        }
        break;
      default:
        out.push(
          fieldErrors.notSupported(`${f}.kind`, s['kind'] ?? '', [
            'ServiceAccount',
            'User',
            'Group',
          ]),
        );
    }
  });
  if (
    old &&
    JSON.stringify(sorted(old['roleRef'])) !== JSON.stringify(sorted(binding['roleRef']))
  ) {
    out.push(
      invalidRendered(
        'roleRef',
        `rbac.RoleRef{APIGroup:${JSON.stringify(str(ref['apiGroup']))}, Kind:${JSON.stringify(str(ref['kind']))}, Name:${JSON.stringify(refName)}}`,
        'cannot change roleRef',
      ),
    );
  }
  return out;
}
