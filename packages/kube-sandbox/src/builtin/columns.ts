// Printer columns of the built-in kinds, matching the real server's table printers
// (pkg/printers/internalversion). The server always sends wide (priority 1) cells too; kubectl
// hides them unless `-o wide`. Each list is complete: it starts with NAME (format "name") except
// events, whose NAME is a trailing wide column as on a real cluster.
import type { KubeObject, PrinterColumn } from '../core/types.ts';
import {
  arr,
  at,
  formatLabelSelector,
  formatLabels,
  num,
  objs,
  record,
  spec,
  status,
  str,
  type Obj,
} from './access.ts';
import { ageSince, humanDuration } from './duration.ts';
import { podRow } from './pod-status.ts';

type Cell = (obj: KubeObject, now: Date) => unknown;

function column(
  name: string,
  type: PrinterColumn['type'],
  cell: Cell,
  extra: Partial<PrinterColumn> = {},
): PrinterColumn {
  return { name, type, description: extra.description ?? name, priority: 0, ...extra, cell };
}

const wide = { priority: 1 };

export const nameColumn: PrinterColumn = column('Name', 'string', (o) => o.metadata?.name ?? '', {
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.',
});

export const ageColumn: PrinterColumn = column(
  'Age',
  'string',
  (o, now) => ageSince(o.metadata?.creationTimestamp, now),
  {
    description:
      'CreationTimestamp is a timestamp representing the server time when this object was created.',
  },
);

/** The default table of resources without a printer: NAME and CREATED AT (RFC 3339). */
export const createdAtColumn: PrinterColumn = column(
  'Created At',
  'date',
  (o) => o.metadata?.creationTimestamp ?? '',
);

const orNone = (v: string): string => (v === '' ? '<none>' : v);

function podTemplateSpec(obj: KubeObject, ...path: string[]): Obj {
  return record(at(obj, ...path));
}

function containerColumns(templatePath: string[]): PrinterColumn[] {
  const containers = (o: KubeObject) => objs(at(podTemplateSpec(o, ...templatePath), 'containers'));
  return [
    column(
      'Containers',
      'string',
      (o) =>
        containers(o)
          .map((c) => str(c['name']))
          .join(','),
      wide,
    ),
    column(
      'Images',
      'string',
      (o) =>
        containers(o)
          .map((c) => str(c['image']))
          .join(','),
      wide,
    ),
  ];
}

const selectorColumn = (path: string[]): PrinterColumn =>
  column('Selector', 'string', (o) => formatLabelSelector(at(o, ...path)), wide);

// ---------------------------------------------------------------------------- core/v1

const podColumns: PrinterColumn[] = [
  nameColumn,
  column('Ready', 'string', (o, now) => podRow(o, now).ready, {
    description: 'The aggregate readiness state of this pod for accepting traffic.',
  }),
  column('Status', 'string', (o, now) => podRow(o, now).status, {
    description: 'The aggregate status of the containers in this pod.',
  }),
  column('Restarts', 'string', (o, now) => podRow(o, now).restarts, {
    description:
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  }),
  ageColumn,
  column('IP', 'string', (o) => orNone(str(at(o, 'status', 'podIPs', 0, 'ip'))), wide),
  column('Node', 'string', (o) => orNone(str(spec(o)['nodeName'])), wide),
  column('Nominated Node', 'string', (o) => orNone(str(status(o)['nominatedNodeName'])), wide),
  column(
    'Readiness Gates',
    'string',
    (o) => {
      const gates = objs(spec(o)['readinessGates']);
      if (gates.length === 0) return '<none>';
      const conditions = objs(status(o)['conditions']);
      const passed = gates.filter((g) =>
        conditions.some((c) => c['type'] === g['conditionType'] && c['status'] === 'True'),
      ).length;
      return `${passed}/${gates.length}`;
    },
    wide,
  ),
];

function servicePorts(o: KubeObject): string {
  const ports = objs(spec(o)['ports']).map((p) => {
    const protocol = str(p['protocol']) || 'TCP';
    const nodePort = num(p['nodePort']);
    return nodePort ? `${num(p['port'])}:${nodePort}/${protocol}` : `${num(p['port'])}/${protocol}`;
  });
  return ports.length === 0 ? '<none>' : ports.join(',');
}

function serviceExternalIP(o: KubeObject): string {
  const s = spec(o);
  const externalIPs = arr(s['externalIPs']).map(String);
  switch (s['type']) {
    case 'ExternalName':
      return str(s['externalName']);
    case 'LoadBalancer': {
      const ingress = objs(at(o, 'status', 'loadBalancer', 'ingress')).map(
        (i) => str(i['ip']) || str(i['hostname']),
      );
      const all = [...ingress.filter((x) => x !== ''), ...externalIPs];
      return all.length === 0 ? '<pending>' : all.join(',');
    }
    default:
      return externalIPs.length === 0 ? '<none>' : externalIPs.join(',');
  }
}

const serviceColumns: PrinterColumn[] = [
  nameColumn,
  column('Type', 'string', (o) => str(spec(o)['type'])),
  column('Cluster-IP', 'string', (o) => orNone(str(spec(o)['clusterIP']))),
  column('External-IP', 'string', serviceExternalIP),
  column('Port(s)', 'string', servicePorts),
  ageColumn,
  column('Selector', 'string', (o) => formatLabels(spec(o)['selector']), wide),
];

function formatEndpoints(o: KubeObject): string {
  const out: string[] = [];
  let count = 0;
  for (const subset of objs(o['subsets'])) {
    const ports = objs(subset['ports']);
    for (const addr of objs(subset['addresses'])) {
      const targets = ports.length === 0 ? [undefined] : ports;
      for (const port of targets) {
        count++;
        if (out.length < 3) {
          out.push(port ? `${str(addr['ip'])}:${num(port['port'])}` : str(addr['ip']));
        }
      }
    }
  }
  if (count === 0) return '<none>';
  return count > 3 ? `${out.join(',')} + ${count - 3} more...` : out.join(',');
}

const endpointsColumns = [nameColumn, column('Endpoints', 'string', formatEndpoints), ageColumn];

const configMapColumns = [
  nameColumn,
  column(
    'Data',
    'integer',
    (o) => Object.keys(record(o['data'])).length + Object.keys(record(o['binaryData'])).length,
  ),
  ageColumn,
];

const secretColumns = [
  nameColumn,
  column('Type', 'string', (o) => str(o['type'])),
  column('Data', 'integer', (o) => Object.keys(record(o['data'])).length),
  ageColumn,
];

const serviceAccountColumns = [
  nameColumn,
  column('Secrets', 'integer', (o) => arr(o['secrets']).length),
  ageColumn,
];

const namespaceColumns = [
  nameColumn,
  column('Status', 'string', (o) => str(status(o)['phase'])),
  ageColumn,
];

function nodeStatus(o: KubeObject): string {
  const ready = objs(status(o)['conditions']).find((c) => c['type'] === 'Ready');
  const parts: string[] = [];
  if (ready) parts.push(ready['status'] === 'True' ? 'Ready' : 'NotReady');
  else parts.push('Unknown');
  if (spec(o)['unschedulable'] === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(o: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(o.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/'))
      roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return orNone(
    [...roles]
      .filter((r) => r !== '')
      .sort()
      .join(','),
  );
}

function nodeAddress(o: KubeObject, type: string): string {
  const a = objs(status(o)['addresses']).find((x) => x['type'] === type);
  return a ? str(a['address']) : '<none>';
}

const nodeColumns = [
  nameColumn,
  column('Status', 'string', nodeStatus),
  column('Roles', 'string', nodeRoles),
  ageColumn,
  column('Version', 'string', (o) => str(at(o, 'status', 'nodeInfo', 'kubeletVersion'))),
  column('Internal-IP', 'string', (o) => nodeAddress(o, 'InternalIP'), wide),
  column('External-IP', 'string', (o) => nodeAddress(o, 'ExternalIP'), wide),
  column('OS-Image', 'string', (o) => str(at(o, 'status', 'nodeInfo', 'osImage')), wide),
  column(
    'Kernel-Version',
    'string',
    (o) => str(at(o, 'status', 'nodeInfo', 'kernelVersion')),
    wide,
  ),
  column(
    'Container-Runtime',
    'string',
    (o) => str(at(o, 'status', 'nodeInfo', 'containerRuntimeVersion')),
    wide,
  ),
];

const ACCESS_MODE_SHORT: Record<string, string> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};

function accessModes(modes: unknown): string {
  const seen: string[] = [];
  for (const m of arr(modes).map(String)) {
    const short = ACCESS_MODE_SHORT[m];
    if (short && !seen.includes(short)) seen.push(short);
  }
  return seen.join(',');
}

function storageClassOf(o: KubeObject): string {
  return (
    o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ??
    str(spec(o)['storageClassName'])
  );
}

const pvcColumns = [
  nameColumn,
  column('Status', 'string', (o) =>
    o.metadata?.deletionTimestamp ? 'Terminating' : str(status(o)['phase']),
  ),
  column('Volume', 'string', (o) => str(spec(o)['volumeName'])),
  column('Capacity', 'string', (o) => str(at(o, 'status', 'capacity', 'storage'))),
  column('Access Modes', 'string', (o) => accessModes(status(o)['accessModes'])),
  column('StorageClass', 'string', storageClassOf),
  column(
    'VolumeAttributesClass',
    'string',
    (o) => str(spec(o)['volumeAttributesClassName']) || '<unset>',
  ),
  ageColumn,
  column('VolumeMode', 'string', (o) => str(spec(o)['volumeMode']), wide),
];

const pvColumns = [
  nameColumn,
  column('Capacity', 'string', (o) => str(at(o, 'spec', 'capacity', 'storage'))),
  column('Access Modes', 'string', (o) => accessModes(spec(o)['accessModes'])),
  column('Reclaim Policy', 'string', (o) => str(spec(o)['persistentVolumeReclaimPolicy'])),
  column('Status', 'string', (o) =>
    o.metadata?.deletionTimestamp ? 'Terminating' : str(status(o)['phase']),
  ),
  column('Claim', 'string', (o) => {
    const ref = record(spec(o)['claimRef']);
    return ref['name'] ? `${str(ref['namespace'])}/${str(ref['name'])}` : '';
  }),
  column('StorageClass', 'string', storageClassOf),
  column(
    'VolumeAttributesClass',
    'string',
    (o) => str(spec(o)['volumeAttributesClassName']) || '<unset>',
  ),
  column('Reason', 'string', (o) => str(status(o)['reason'])),
  ageColumn,
  column('VolumeMode', 'string', (o) => str(spec(o)['volumeMode']), wide),
];

function microAge(v: unknown, now: Date): string {
  return ageSince(v, now);
}

/** Event rows for both core/v1 (involvedObject, source) and events.k8s.io/v1 (regarding, note). */
function eventColumns(v1: boolean): PrinterColumn[] {
  const regarding = (o: KubeObject) => record(o[v1 ? 'involvedObject' : 'regarding']);
  const first = (o: KubeObject, now: Date) => {
    const ts = o[v1 ? 'firstTimestamp' : 'deprecatedFirstTimestamp'];
    return ts ? ageSince(ts, now) : microAge(o['eventTime'], now);
  };
  const last = (o: KubeObject, now: Date) => {
    const series = record(o['series']);
    if (series['lastObservedTime']) return microAge(series['lastObservedTime'], now);
    const ts = o[v1 ? 'lastTimestamp' : 'deprecatedLastTimestamp'];
    return ts ? ageSince(ts, now) : first(o, now);
  };
  const count = (o: KubeObject) => {
    const series = record(o['series']);
    if (series['count'] !== undefined) return num(series['count']);
    const c = num(o[v1 ? 'count' : 'deprecatedCount']);
    return c === 0 ? 1 : c;
  };
  const source = (o: KubeObject) => {
    const src = record(o[v1 ? 'source' : 'deprecatedSource']);
    const component = str(src['component']) || str(o['reportingController']);
    const host = str(src['host']) || str(o['reportingInstance']);
    return host ? `${component}, ${host}` : component;
  };
  return [
    column('Last Seen', 'string', last),
    column('Type', 'string', (o) => str(o['type'])),
    column('Reason', 'string', (o) => str(o['reason'])),
    column('Object', 'string', (o) => {
      const r = regarding(o);
      const kind = str(r['kind']).toLowerCase();
      return r['name'] ? `${kind}/${str(r['name'])}` : kind;
    }),
    column('Subobject', 'string', (o) => str(regarding(o)['fieldPath']), wide),
    column('Source', 'string', source, wide),
    column('Message', 'string', (o) => str(o[v1 ? 'message' : 'note']).trim()),
    column('First Seen', 'string', first, wide),
    column('Count', 'integer', count, wide),
    column('Name', 'string', (o) => o.metadata?.name ?? '', { ...wide, format: 'name' }),
  ];
}

const replicationControllerColumns = [
  nameColumn,
  column('Desired', 'integer', (o) => num(spec(o)['replicas'])),
  column('Current', 'integer', (o) => num(status(o)['replicas'])),
  column('Ready', 'integer', (o) => num(status(o)['readyReplicas'])),
  ageColumn,
  ...containerColumns(['spec', 'template', 'spec']),
  column('Selector', 'string', (o) => formatLabels(spec(o)['selector']), wide),
];

// ---------------------------------------------------------------------------- apps/v1

const deploymentColumns = [
  nameColumn,
  column(
    'Ready',
    'string',
    (o) => `${num(status(o)['readyReplicas'])}/${num(spec(o)['replicas'])}`,
  ),
  column('Up-to-date', 'integer', (o) => num(status(o)['updatedReplicas'])),
  column('Available', 'integer', (o) => num(status(o)['availableReplicas'])),
  ageColumn,
  ...containerColumns(['spec', 'template', 'spec']),
  selectorColumn(['spec', 'selector']),
];

const statefulSetColumns = [
  nameColumn,
  column(
    'Ready',
    'string',
    (o) => `${num(status(o)['readyReplicas'])}/${num(spec(o)['replicas'])}`,
  ),
  ageColumn,
  ...containerColumns(['spec', 'template', 'spec']),
];

const replicaSetColumns = [
  nameColumn,
  column('Desired', 'integer', (o) => num(spec(o)['replicas'])),
  column('Current', 'integer', (o) => num(status(o)['replicas'])),
  column('Ready', 'integer', (o) => num(status(o)['readyReplicas'])),
  ageColumn,
  ...containerColumns(['spec', 'template', 'spec']),
  selectorColumn(['spec', 'selector']),
];

const daemonSetColumns = [
  nameColumn,
  column('Desired', 'integer', (o) => num(status(o)['desiredNumberScheduled'])),
  column('Current', 'integer', (o) => num(status(o)['currentNumberScheduled'])),
  column('Ready', 'integer', (o) => num(status(o)['numberReady'])),
  column('Up-to-date', 'integer', (o) => num(status(o)['updatedNumberScheduled'])),
  column('Available', 'integer', (o) => num(status(o)['numberAvailable'])),
  column('Node Selector', 'string', (o) =>
    formatLabels(at(o, 'spec', 'template', 'spec', 'nodeSelector')),
  ),
  ageColumn,
  ...containerColumns(['spec', 'template', 'spec']),
  selectorColumn(['spec', 'selector']),
];

// ---------------------------------------------------------------------------- batch/v1

function conditionIsTrue(o: KubeObject, type: string): boolean {
  return objs(status(o)['conditions']).some((c) => c['type'] === type && c['status'] === 'True');
}

export function jobStatus(o: KubeObject): string {
  if (conditionIsTrue(o, 'Complete')) return 'Complete';
  if (conditionIsTrue(o, 'Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (conditionIsTrue(o, 'Suspended')) return 'Suspended';
  if (conditionIsTrue(o, 'FailureTarget')) return 'FailureTarget';
  if (conditionIsTrue(o, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobCompletions(o: KubeObject): string {
  const succeeded = num(status(o)['succeeded']);
  const completions = spec(o)['completions'];
  if (typeof completions === 'number') return `${succeeded}/${completions}`;
  const parallelism = num(spec(o)['parallelism']);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: KubeObject, now: Date): string {
  const start = Date.parse(str(status(o)['startTime']));
  if (Number.isNaN(start)) return '';
  const end = Date.parse(str(status(o)['completionTime']));
  return humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
}

const jobColumns = [
  nameColumn,
  column('Status', 'string', jobStatus),
  column('Completions', 'string', jobCompletions),
  column('Duration', 'string', jobDuration),
  ageColumn,
  ...containerColumns(['spec', 'template', 'spec']),
  selectorColumn(['spec', 'selector']),
];

const cronJobColumns = [
  nameColumn,
  column('Schedule', 'string', (o) => str(spec(o)['schedule'])),
  column('Timezone', 'string', (o) => orNone(str(spec(o)['timeZone']))),
  column('Suspend', 'boolean', (o) => {
    const s = spec(o)['suspend'];
    return typeof s === 'boolean' ? (s ? 'True' : 'False') : '<unset>';
  }),
  column('Active', 'integer', (o) => arr(status(o)['active']).length),
  column('Last Schedule', 'string', (o, now) => {
    const t = status(o)['lastScheduleTime'];
    return t ? ageSince(t, now) : '<none>';
  }),
  ageColumn,
  ...containerColumns(['spec', 'jobTemplate', 'spec', 'template', 'spec']),
  selectorColumn(['spec', 'jobTemplate', 'spec', 'selector']),
];

// ---------------------------------------------------------------------------- other groups

const pdbColumns = [
  nameColumn,
  column('Min Available', 'string', (o) => {
    const v = spec(o)['minAvailable'];
    return v === undefined || v === null ? 'N/A' : String(v);
  }),
  column('Max Unavailable', 'string', (o) => {
    const v = spec(o)['maxUnavailable'];
    return v === undefined || v === null ? 'N/A' : String(v);
  }),
  column('Allowed Disruptions', 'integer', (o) => num(status(o)['disruptionsAllowed'])),
  ageColumn,
];

const leaseColumns = [
  nameColumn,
  column('Holder', 'string', (o) => str(spec(o)['holderIdentity'])),
  ageColumn,
];

const storageClassColumns = [
  column(
    'Name',
    'string',
    (o) =>
      o.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true'
        ? `${o.metadata.name ?? ''} (default)`
        : (o.metadata?.name ?? ''),
    { format: 'name' },
  ),
  column('Provisioner', 'string', (o) => str(o['provisioner'])),
  column('ReclaimPolicy', 'string', (o) => str(o['reclaimPolicy']) || 'Delete'),
  column('VolumeBindingMode', 'string', (o) => str(o['volumeBindingMode']) || 'Immediate'),
  column('AllowVolumeExpansion', 'string', (o) =>
    o['allowVolumeExpansion'] === true ? 'true' : 'false',
  ),
  ageColumn,
];

const endpointSliceColumns = [
  nameColumn,
  column('AddressType', 'string', (o) => str(o['addressType'])),
  column('Ports', 'string', (o) => {
    const ports = objs(o['ports']).map((p) => String(num(p['port'])));
    if (ports.length === 0) return '<unset>';
    return ports.length > 3
      ? `${ports.slice(0, 3).join(',')} + ${ports.length - 3} more...`
      : ports.join(',');
  }),
  column('Endpoints', 'string', (o) => {
    const addrs = objs(o['endpoints']).flatMap((e) => arr(e['addresses']).map(String));
    if (addrs.length === 0) return '<unset>';
    return addrs.length > 3
      ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...`
      : addrs.join(',');
  }),
  ageColumn,
];

const roleColumns = [nameColumn, createdAtColumn];

function subjectsOf(o: KubeObject, kind: string): string {
  return objs(o['subjects'])
    .filter((s) => s['kind'] === kind)
    .map((s) =>
      kind === 'ServiceAccount' ? `${str(s['namespace'])}/${str(s['name'])}` : str(s['name']),
    )
    .join(', ');
}

const roleBindingColumns = [
  nameColumn,
  column('Role', 'string', (o) => {
    const ref = record(o['roleRef']);
    return `${str(ref['kind'])}/${str(ref['name'])}`;
  }),
  ageColumn,
  column('Users', 'string', (o) => subjectsOf(o, 'User'), wide),
  column('Groups', 'string', (o) => subjectsOf(o, 'Group'), wide),
  column('ServiceAccounts', 'string', (o) => subjectsOf(o, 'ServiceAccount'), wide),
];

const podTemplateColumns = [
  nameColumn,
  ...containerColumns(['template', 'spec']).map((c) => ({ ...c, priority: 0 })),
  column('Pod Labels', 'string', (o) => formatLabels(at(o, 'template', 'metadata', 'labels'))),
];

const controllerRevisionColumns = [
  nameColumn,
  column('Controller', 'string', (o) => {
    const owner = objs(o.metadata?.ownerReferences).find((r) => r['controller'] === true);
    if (!owner) return '<none>';
    const group = str(owner['apiVersion']).split('/')[0] ?? '';
    const kind = str(owner['kind']).toLowerCase();
    return `${str(owner['apiVersion']).includes('/') ? `${kind}.${group}` : kind}/${str(owner['name'])}`;
  }),
  column('Revision', 'integer', (o) => num(o['revision'])),
  ageColumn,
];

/** formatHPAMetrics: "cpu: 50%/80%", "<unknown>" until the status reports a value, at most two shown. */
function hpaTargets(o: KubeObject): string {
  const metrics = objs(spec(o)['metrics']);
  if (metrics.length === 0) return '<none>';
  const current = objs(status(o)['currentMetrics']);
  const shown = metrics.slice(0, 2).map((m, i) => {
    if (m['type'] !== 'Resource' && m['type'] !== 'ContainerResource') return '<unknown>/<unknown>';
    const key = m['type'] === 'Resource' ? 'resource' : 'containerResource';
    const res = record(m[key]);
    const target = record(res['target']);
    const now = record(at(current[i], key, 'current'));
    if (target['type'] === 'Utilization') {
      const value = now['averageUtilization'];
      const shownValue = typeof value === 'number' ? `${value}%` : '<unknown>';
      return `${str(res['name'])}: ${shownValue}/${num(target['averageUtilization'])}%`;
    }
    const value = now['averageValue'] ?? now['value'];
    const want = target['averageValue'] ?? target['value'];
    return `${str(res['name'])}: ${typeof value === 'string' ? value : '<unknown>'}/${typeof want === 'string' ? want : '<unknown>'}`;
  });
  return metrics.length > 2
    ? `${shown.join(', ')} + ${metrics.length - 2} more...`
    : shown.join(', ');
}

const hpaColumns = [
  nameColumn,
  column('Reference', 'string', (o) => {
    const ref = record(spec(o)['scaleTargetRef']);
    return `${str(ref['kind'])}/${str(ref['name'])}`;
  }),
  column('Targets', 'string', hpaTargets),
  column('MinPods', 'string', (o) => String(num(spec(o)['minReplicas']) || 1)),
  column('MaxPods', 'integer', (o) => num(spec(o)['maxReplicas'])),
  column('Replicas', 'integer', (o) => num(status(o)['currentReplicas'])),
  ageColumn,
];

const ingressColumns = [
  nameColumn,
  column('Class', 'string', (o) => str(spec(o)['ingressClassName']) || '<none>'),
  column('Hosts', 'string', (o) => {
    const hosts = objs(spec(o)['rules'])
      .map((r) => str(r['host']))
      .filter((h) => h !== '');
    if (hosts.length === 0) return '*';
    return hosts.length > 4
      ? `${hosts.slice(0, 4).join(',')} + ${hosts.length - 4} more...`
      : hosts.join(',');
  }),
  column('Address', 'string', (o) =>
    objs(at(o, 'status', 'loadBalancer', 'ingress'))
      .map((i) => str(i['ip']) || str(i['hostname']))
      .join(','),
  ),
  column('Ports', 'string', (o) => (arr(spec(o)['tls']).length > 0 ? '80, 443' : '80')),
  ageColumn,
];

const ingressClassColumns = [
  nameColumn,
  column('Controller', 'string', (o) => str(spec(o)['controller'])),
  column('Parameters', 'string', (o) => {
    const p = record(spec(o)['parameters']);
    return p['kind'] ? `${str(p['kind'])}/${str(p['name'])}` : '<none>';
  }),
  ageColumn,
];

const networkPolicyColumns = [
  nameColumn,
  column('Pod-Selector', 'string', (o) => {
    const sel = formatLabelSelector(spec(o)['podSelector']);
    return sel === '<none>' ? '<none>' : sel;
  }),
  ageColumn,
];

const priorityClassColumns = [
  nameColumn,
  column('Value', 'integer', (o) => num(o['value'])),
  column('Global-Default', 'boolean', (o) => o['globalDefault'] === true),
  ageColumn,
  column('PreemptionPolicy', 'string', (o) => str(o['preemptionPolicy']) || 'PreemptLowerPriority'),
];

const webhookColumns = [
  nameColumn,
  column('Webhooks', 'integer', (o) => arr(o['webhooks']).length),
  ageColumn,
];

/** Columns per "<group>/<resource>" ('' group for core). */
export const builtinColumns: Record<string, PrinterColumn[]> = {
  '/pods': podColumns,
  '/services': serviceColumns,
  '/endpoints': endpointsColumns,
  '/configmaps': configMapColumns,
  '/secrets': secretColumns,
  '/serviceaccounts': serviceAccountColumns,
  '/namespaces': namespaceColumns,
  '/nodes': nodeColumns,
  '/persistentvolumeclaims': pvcColumns,
  '/persistentvolumes': pvColumns,
  '/events': eventColumns(true),
  '/replicationcontrollers': replicationControllerColumns,
  'apps/deployments': deploymentColumns,
  'apps/statefulsets': statefulSetColumns,
  'apps/replicasets': replicaSetColumns,
  'apps/daemonsets': daemonSetColumns,
  'batch/jobs': jobColumns,
  'batch/cronjobs': cronJobColumns,
  'policy/poddisruptionbudgets': pdbColumns,
  'coordination.k8s.io/leases': leaseColumns,
  'events.k8s.io/events': eventColumns(false),
  'storage.k8s.io/storageclasses': storageClassColumns,
  'discovery.k8s.io/endpointslices': endpointSliceColumns,
  'rbac.authorization.k8s.io/roles': roleColumns,
  'rbac.authorization.k8s.io/clusterroles': roleColumns,
  'rbac.authorization.k8s.io/rolebindings': roleBindingColumns,
  'rbac.authorization.k8s.io/clusterrolebindings': roleBindingColumns,
  'apiextensions.k8s.io/customresourcedefinitions': [nameColumn, createdAtColumn],
  '/limitranges': [nameColumn, createdAtColumn],
  '/podtemplates': podTemplateColumns,
  'apps/controllerrevisions': controllerRevisionColumns,
  'autoscaling/horizontalpodautoscalers': hpaColumns,
  'networking.k8s.io/ingresses': ingressColumns,
  'networking.k8s.io/ingressclasses': ingressClassColumns,
  'networking.k8s.io/networkpolicies': networkPolicyColumns,
  'scheduling.k8s.io/priorityclasses': priorityClassColumns,
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': webhookColumns,
  'admissionregistration.k8s.io/validatingwebhookconfigurations': webhookColumns,
};

/** Default table for any other resource (the real server's default table convertor). */
export const defaultColumns: PrinterColumn[] = [nameColumn, createdAtColumn];
