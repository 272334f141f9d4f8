// Pod spec validation (pkg/apis/core/validation ValidatePodSpec) for the fields we use, shared by
// pods and every pod template, plus the pod update rule.
import { fieldErrors, type StatusCause } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import { at, deepEqual, isObj, objs, record, str, type Obj } from './access.ts';
import { notFound } from './go-format.ts';
import { isDns1123Label, isDns1123Subdomain, isValidPortName, isValidPortNum } from './names.ts';
import { parseQuantity } from './quantity.ts';
import { validateAnnotations, validateLabels } from './validate-meta.ts';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

function validatePorts(ports: Obj[], field: string): StatusCause[] {
  const out: StatusCause[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const at = `${field}[${i}]`;
    const name = p['name'];
    if (typeof name === 'string' && name !== '') {
      for (const msg of isValidPortName(name))
        out.push(fieldErrors.invalid(`${at}.name`, name, msg));
      if (names.has(name)) out.push(fieldErrors.duplicate(`${at}.name`, name));
      names.add(name);
    }
    const containerPort = p['containerPort'];
    if (containerPort === undefined || containerPort === 0)
      out.push(fieldErrors.required(`${at}.containerPort`));
    else
      for (const msg of isValidPortNum(Number(containerPort)))
        out.push(fieldErrors.invalid(`${at}.containerPort`, containerPort, msg));
    if (p['hostPort'] !== undefined && p['hostPort'] !== 0) {
      for (const msg of isValidPortNum(Number(p['hostPort'])))
        out.push(fieldErrors.invalid(`${at}.hostPort`, p['hostPort'], msg));
    }
    if (p['protocol'] === undefined || p['protocol'] === '')
      out.push(fieldErrors.required(`${at}.protocol`));
    else if (!PROTOCOLS.includes(str(p['protocol'])))
      out.push(fieldErrors.notSupported(`${at}.protocol`, p['protocol'], PROTOCOLS));
  });
  return out;
}

function validateProbe(probe: unknown, field: string): StatusCause[] {
  if (!isObj(probe)) return [];
  const out: StatusCause[] = [];
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => probe[h] !== undefined);
  if (handlers.length === 0) out.push(fieldErrors.required(field, 'must specify a handler type'));
  else if (handlers.length > 1)
    out.push(
      fieldErrors.forbidden(`${field}.${handlers[1]}`, 'may not specify more than 1 handler type'),
    );
  for (const key of ['periodSeconds', 'successThreshold', 'failureThreshold', 'timeoutSeconds']) {
    const v = probe[key];
    if (typeof v === 'number' && v < 0)
      out.push(fieldErrors.invalid(`${field}.${key}`, v, 'must be greater than or equal to 0'));
  }
  const port = at(probe, 'httpGet', 'port') ?? at(probe, 'tcpSocket', 'port');
  const portField =
    probe['httpGet'] !== undefined ? `${field}.httpGet.port` : `${field}.tcpSocket.port`;
  if (typeof port === 'number') {
    for (const msg of isValidPortNum(port)) out.push(fieldErrors.invalid(portField, port, msg));
  } else if (typeof port === 'string') {
    for (const msg of isValidPortName(port)) out.push(fieldErrors.invalid(portField, port, msg));
  }
  return out;
}

function validateResources(c: Obj, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  const requests = record(at(c, 'resources', 'requests'));
  const limits = record(at(c, 'resources', 'limits'));
  for (const [kind, values] of [
    ['limits', limits],
    ['requests', requests],
  ] as const) {
    for (const [name, q] of Object.entries(values)) {
      const v = parseQuantity(q);
      const f = `${field}.resources.${kind}[${name}]`;
      if (v === undefined)
        out.push(
          fieldErrors.invalid(
            f,
            q,
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
          ),
        );
      else if (v < 0) out.push(fieldErrors.invalid(f, q, 'must be greater than or equal to 0'));
    }
  }
  for (const [name, q] of Object.entries(requests)) {
    const limit = parseQuantity(limits[name]);
    const request = parseQuantity(q);
    if (limit !== undefined && request !== undefined && request > limit) {
      out.push(
        fieldErrors.invalid(
          `${field}.resources.requests`,
          String(q),
          `must be less than or equal to ${name} limit of ${String(limits[name])}`,
        ),
      );
    }
  }
  return out;
}

function validateContainer(
  c: Obj,
  field: string,
  volumes: Set<string>,
  names: Set<string>,
): StatusCause[] {
  const out: StatusCause[] = [];
  const name = c['name'];
  if (typeof name !== 'string' || name === '') {
    out.push(fieldErrors.required(`${field}.name`));
  } else {
    for (const msg of isDns1123Label(name))
      out.push(fieldErrors.invalid(`${field}.name`, name, msg));
    if (names.has(name)) out.push(fieldErrors.duplicate(`${field}.name`, name));
    names.add(name);
  }
  if (typeof c['image'] !== 'string' || c['image'].trim() === '')
    out.push(fieldErrors.required(`${field}.image`));
  const pull = c['imagePullPolicy'];
  if (pull !== undefined && !PULL_POLICIES.includes(str(pull)))
    out.push(fieldErrors.notSupported(`${field}.imagePullPolicy`, pull, PULL_POLICIES));
  const tmp = c['terminationMessagePolicy'];
  if (tmp !== undefined && !MESSAGE_POLICIES.includes(str(tmp)))
    out.push(fieldErrors.notSupported(`${field}.terminationMessagePolicy`, tmp, MESSAGE_POLICIES));
  out.push(...validatePorts(objs(c['ports']), `${field}.ports`));
  objs(c['env']).forEach((env, i) => {
    const name = str(env['name']);
    if (!name) out.push(fieldErrors.required(`${field}.env[${i}].name`));
    // RelaxedEnvironmentVariableValidation (on by default since v1.32).
    else if (!/^[\x20-\x3c\x3e-\x7e]+$/.test(name)) {
      out.push(
        fieldErrors.invalid(
          `${field}.env[${i}].name`,
          name,
          "a valid environment variable name must consist only of printable ASCII characters other than '='",
        ),
      );
    }
  });
  const mountPaths = new Set<string>();
  objs(c['volumeMounts']).forEach((m, i) => {
    const f = `${field}.volumeMounts[${i}]`;
    const volume = str(m['name']);
    if (!volume) out.push(fieldErrors.required(`${f}.name`));
    else if (!volumes.has(volume)) out.push(notFound(`${f}.name`, volume));
    const path = str(m['mountPath']);
    if (!path) out.push(fieldErrors.required(`${f}.mountPath`));
    else if (mountPaths.has(path))
      out.push(fieldErrors.invalid(`${f}.mountPath`, path, 'must be unique'));
    mountPaths.add(path);
  });
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'])
    out.push(...validateProbe(c[probe], `${field}.${probe}`));
  out.push(...validateResources(c, field));
  return out;
}

const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

function validateVolumes(
  volumes: Obj[],
  field: string,
): { causes: StatusCause[]; names: Set<string> } {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const f = `${field}[${i}]`;
    const name = v['name'];
    if (typeof name !== 'string' || name === '') causes.push(fieldErrors.required(`${f}.name`));
    else {
      for (const msg of isDns1123Label(name))
        causes.push(fieldErrors.invalid(`${f}.name`, name, msg));
      if (names.has(name)) causes.push(fieldErrors.duplicate(`${f}.name`, name));
      names.add(name);
    }
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) causes.push(fieldErrors.required(f, 'must specify a volume type'));
    else if (sources.length > 1)
      causes.push(
        fieldErrors.forbidden(`${f}.${sources[1]}`, 'may not specify more than 1 volume type'),
      );
    const claim = at(v, 'persistentVolumeClaim', 'claimName');
    if (v['persistentVolumeClaim'] !== undefined && !str(claim))
      causes.push(fieldErrors.required(`${f}.persistentVolumeClaim.claimName`));
    if (v['secret'] !== undefined && !str(at(v, 'secret', 'secretName')))
      causes.push(fieldErrors.required(`${f}.secret.secretName`));
    if (v['configMap'] !== undefined && !str(at(v, 'configMap', 'name')))
      causes.push(fieldErrors.required(`${f}.configMap.name`));
    if (v['hostPath'] !== undefined && !str(at(v, 'hostPath', 'path')))
      causes.push(fieldErrors.required(`${f}.hostPath.path`));
  });
  return { causes, names };
}

/** ValidatePodSpec for `spec` found at `field` ("spec" or "spec.template.spec"). */
export function validatePodSpec(spec: unknown, field: string): StatusCause[] {
  const s = record(spec);
  const { causes: out, names: volumes } = validateVolumes(objs(s['volumes']), `${field}.volumes`);
  const containers = objs(s['containers']);
  const containerNames = new Set<string>();
  if (containers.length === 0) out.push(fieldErrors.required(`${field}.containers`));
  objs(s['initContainers']).forEach((c, i) =>
    out.push(...validateContainer(c, `${field}.initContainers[${i}]`, volumes, containerNames)),
  );
  containers.forEach((c, i) =>
    out.push(...validateContainer(c, `${field}.containers[${i}]`, volumes, containerNames)),
  );
  const restartPolicy = s['restartPolicy'];
  if (restartPolicy === undefined || restartPolicy === '')
    out.push(fieldErrors.required(`${field}.restartPolicy`));
  else if (!RESTART_POLICIES.includes(str(restartPolicy)))
    out.push(fieldErrors.notSupported(`${field}.restartPolicy`, restartPolicy, RESTART_POLICIES));
  const dnsPolicy = s['dnsPolicy'];
  if (dnsPolicy !== undefined && !DNS_POLICIES.includes(str(dnsPolicy)))
    out.push(fieldErrors.notSupported(`${field}.dnsPolicy`, dnsPolicy, DNS_POLICIES));
  const sa = s['serviceAccountName'];
  if (typeof sa === 'string' && sa !== '')
    for (const msg of isDns1123Subdomain(sa))
      out.push(fieldErrors.invalid(`${field}.serviceAccountName`, sa, msg));
  const hostname = s['hostname'];
  if (typeof hostname === 'string' && hostname !== '')
    for (const msg of isDns1123Label(hostname))
      out.push(fieldErrors.invalid(`${field}.hostname`, hostname, msg));
  const subdomain = s['subdomain'];
  if (typeof subdomain === 'string' && subdomain !== '')
    for (const msg of isDns1123Label(subdomain))
      out.push(fieldErrors.invalid(`${field}.subdomain`, subdomain, msg));
  const grace = s['terminationGracePeriodSeconds'];
  if (typeof grace === 'number' && grace < 0 && field !== 'spec') {
    out.push(
      fieldErrors.invalid(
        `${field}.terminationGracePeriodSeconds`,
        grace,
        'must be greater than or equal to 0',
      ),
    );
  }
  const deadline = s['activeDeadlineSeconds'];
  if (deadline !== undefined && (typeof deadline !== 'number' || deadline < 1)) {
    out.push(
      fieldErrors.invalid(
        `${field}.activeDeadlineSeconds`,
        deadline,
        'must be between 1 and 2147483647, inclusive',
      ),
    );
  }
  out.push(...validateLabels(s['nodeSelector'], `${field}.nodeSelector`));
  return out;
}

/** ValidatePodTemplateSpec: labels plus the pod spec, at `field` ("spec.template"). */
export function validatePodTemplate(template: unknown, field: string): StatusCause[] {
  if (!isObj(template)) return [fieldErrors.required(field, '')];
  return [
    ...validatePodTemplateMeta(template, field),
    ...validatePodSpec(template['spec'], `${field}.spec`),
  ];
}

/**
 * Only the template's labels and annotations. The real server validates a StatefulSet's template
 * this far and no further (ValidatePodTemplateSpecForStatefulSet): its pod spec may mount volumes
 * that only the claim templates provide, and a bad spec surfaces as FailedCreate on the pods.
 */
export function validatePodTemplateMeta(template: unknown, field: string): StatusCause[] {
  if (!isObj(template)) return [fieldErrors.required(field, '')];
  return [
    // The real server reports template metadata without "metadata" in the path.
    ...validateLabels(at(template, 'metadata', 'labels'), `${field}.labels`),
    ...validateAnnotations(at(template, 'metadata', 'annotations'), `${field}.annotations`),
  ];
}

const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** The mutable parts of a pod spec, blanked so the rest can be compared. */
function immutablePart(spec: Obj, old: Obj): Obj {
  const copy = structuredClone(spec);
  const blankImages = (key: string) => {
    const oldContainers = objs(old[key]);
    objs(copy[key]).forEach((c, i) => {
      if (oldContainers[i]) c['image'] = oldContainers[i]['image'];
    });
  };
  blankImages('containers');
  blankImages('initContainers');
  copy['activeDeadlineSeconds'] = old['activeDeadlineSeconds'];
  // Tolerations may only grow: compare the old prefix.
  const oldTolerations = objs(old['tolerations']);
  const tolerations = objs(copy['tolerations']);
  if (tolerations.length >= oldTolerations.length) copy['tolerations'] = old['tolerations'];
  if (
    typeof old['terminationGracePeriodSeconds'] === 'number' &&
    old['terminationGracePeriodSeconds'] < 0 &&
    copy['terminationGracePeriodSeconds'] === 1
  ) {
    copy['terminationGracePeriodSeconds'] = old['terminationGracePeriodSeconds'];
  }
  // The node and the binding subresource set these; ephemeral containers have their own subresource.
  copy['nodeName'] = old['nodeName'];
  copy['ephemeralContainers'] = old['ephemeralContainers'];
  // Scheduling gates may only be removed.
  const oldGates = objs(old['schedulingGates']).map((g) => g['name']);
  if (objs(copy['schedulingGates']).every((g) => oldGates.includes(g['name']))) {
    copy['schedulingGates'] = old['schedulingGates'];
  }
  return copy;
}

export function validatePodUpdate(pod: KubeObject, old: KubeObject): StatusCause[] {
  const spec = record(pod['spec']);
  const oldSpec = record(old['spec']);
  const out: StatusCause[] = [];
  objs(spec['containers']).forEach((c, i) => {
    if (typeof c['image'] !== 'string' || c['image'] === '')
      out.push(fieldErrors.required(`spec.containers[${i}].image`));
  });
  const oldDeadline = oldSpec['activeDeadlineSeconds'];
  const deadline = spec['activeDeadlineSeconds'];
  if (typeof oldDeadline === 'number' && (typeof deadline !== 'number' || deadline > oldDeadline)) {
    out.push(
      fieldErrors.invalid(
        'spec.activeDeadlineSeconds',
        deadline ?? null,
        'must be less than or equal to previous value',
      ),
    );
  }
  if (!deepEqual(immutablePart(spec, oldSpec), oldSpec)) {
    out.push(fieldErrors.forbidden('spec', POD_UPDATE_FORBIDDEN));
  }
  return out;
}
