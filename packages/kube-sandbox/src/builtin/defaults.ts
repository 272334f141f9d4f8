// Defaulting as the real server does it (pkg/apis/*/v1/defaults.go plus the create-time bits of
// the registry strategies and admission that clients observe: pod phase Pending, serviceAccountName
// "default", the Job selector). Only fields our operators and `kubectl diff` care about.
import type { KubeObject, ResourceInfo } from '../core/types.ts';
import { at, ensureObj, isObj, objs, record, setDefault, type Obj } from './access.ts';
import { canonicalizeResourceList, canonicalQuantity } from './quantity.ts';
import { resourceKey } from './resources.ts';

type Defaulter = (obj: KubeObject) => void;

function defaultProbe(probe: unknown): void {
  if (!isObj(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  const httpGet = probe['httpGet'];
  if (isObj(httpGet)) {
    setDefault(httpGet, 'path', '/');
    setDefault(httpGet, 'scheme', 'HTTP');
  }
}

function defaultLifecycleHandler(handler: unknown): void {
  const httpGet = at(handler, 'httpGet');
  if (isObj(httpGet)) {
    setDefault(httpGet, 'path', '/');
    setDefault(httpGet, 'scheme', 'HTTP');
  }
}

/** imagePullPolicy: Always for ":latest" or an untagged image, IfNotPresent otherwise. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  if (lastColon <= lastSlash) return 'Always';
  return image.slice(lastColon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function canonicalizeRequirements(resources: unknown): void {
  if (!isObj(resources)) return;
  canonicalizeResourceList(resources['limits']);
  canonicalizeResourceList(resources['requests']);
}

function defaultContainer(c: Obj): void {
  canonicalizeRequirements(c['resources']);
  if (typeof c['image'] === 'string')
    setDefault(c, 'imagePullPolicy', defaultPullPolicy(c['image']));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const p of objs(c['ports'])) setDefault(p, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[probe]);
  defaultLifecycleHandler(at(c, 'lifecycle', 'postStart'));
  defaultLifecycleHandler(at(c, 'lifecycle', 'preStop'));
  for (const env of objs(c['env'])) {
    const fieldRef = at(env, 'valueFrom', 'fieldRef');
    if (isObj(fieldRef)) setDefault(fieldRef, 'apiVersion', 'v1');
  }
}

function defaultVolume(v: Obj): void {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v['emptyDir'] = {};
  for (const kind of ['secret', 'configMap', 'projected', 'downwardAPI']) {
    const src = v[kind];
    if (isObj(src)) setDefault(src, 'defaultMode', 420);
  }
  for (const item of objs(at(v, 'downwardAPI', 'items'))) {
    const fieldRef = item['fieldRef'];
    if (isObj(fieldRef)) setDefault(fieldRef, 'apiVersion', 'v1');
  }
  const hostPath = v['hostPath'];
  if (isObj(hostPath)) setDefault(hostPath, 'type', '');
  const emptyDir = v['emptyDir'];
  if (isObj(emptyDir) && emptyDir['sizeLimit'] !== undefined)
    emptyDir['sizeLimit'] = canonicalQuantity(emptyDir['sizeLimit']);
}

/** SetDefaults_PodSpec and the container/volume defaults: shared by pods and pod templates. */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  for (const c of [...objs(spec['containers']), ...objs(spec['initContainers'])])
    defaultContainer(c);
  for (const c of objs(spec['ephemeralContainers'])) {
    setDefault(c, 'terminationMessagePath', '/dev/termination-log');
    setDefault(c, 'terminationMessagePolicy', 'File');
    if (typeof c['image'] === 'string')
      setDefault(c, 'imagePullPolicy', defaultPullPolicy(c['image']));
  }
  for (const v of objs(spec['volumes'])) defaultVolume(v);
}

function defaultTemplate(owner: Obj): void {
  const template = owner['template'];
  if (!isObj(template)) return;
  defaultPodSpec(ensureObj(template, 'spec'));
}

function qosClass(spec: Obj): string {
  const containers = [...objs(spec['containers']), ...objs(spec['initContainers'])];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const requests = record(at(c, 'resources', 'requests'));
    const limits = record(at(c, 'resources', 'limits'));
    if (Object.keys(requests).length || Object.keys(limits).length) anySet = true;
    for (const r of ['cpu', 'memory']) {
      if (limits[r] === undefined || (requests[r] !== undefined && requests[r] !== limits[r])) {
        guaranteed = false;
      }
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const NO_EXECUTE_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/** The DefaultTolerationSeconds admission plugin: tolerate a not-ready/unreachable node for 300 s. */
function addDefaultTolerations(spec: Obj): void {
  const tolerations = Array.isArray(spec['tolerations']) ? (spec['tolerations'] as unknown[]) : [];
  const existing = tolerations.filter(isObj);
  const toleratesAll = existing.some(
    (t) => !t['key'] && t['operator'] === 'Exists' && (!t['effect'] || t['effect'] === 'NoExecute'),
  );
  if (toleratesAll) return;
  const added = NO_EXECUTE_TAINTS.filter(
    (key) =>
      !existing.some((t) => t['key'] === key && (!t['effect'] || t['effect'] === 'NoExecute')),
  ).map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }));
  if (added.length > 0) spec['tolerations'] = [...tolerations, ...added];
}

const defaultPod: Defaulter = (pod) => {
  const spec = ensureObj(pod, 'spec');
  // Requests default to limits (SetDefaults_Pod), before the pod spec defaults.
  for (const c of [...objs(spec['containers']), ...objs(spec['initContainers'])]) {
    const limits = at(c, 'resources', 'limits');
    if (isObj(limits)) {
      const requests = ensureObj(ensureObj(c, 'resources'), 'requests');
      for (const [k, v] of Object.entries(limits)) setDefault(requests, k, v);
    }
  }
  defaultPodSpec(spec);
  setDefault(spec, 'enableServiceLinks', true);
  // With host networking a container port is a host port (defaultHostNetworkPorts).
  if (spec['hostNetwork'] === true) {
    for (const c of [...objs(spec['containers']), ...objs(spec['initContainers'])]) {
      for (const p of objs(c['ports'])) setDefault(p, 'hostPort', p['containerPort']);
    }
  }
  // The ServiceAccount and Priority admission plugins.
  setDefault(spec, 'serviceAccountName', 'default');
  setDefault(spec, 'serviceAccount', spec['serviceAccountName']);
  setDefault(spec, 'priority', 0);
  if (spec['preemptionPolicy'] === undefined) spec['preemptionPolicy'] = 'PreemptLowerPriority';
  addDefaultTolerations(spec);
  // The pod strategy's PrepareForCreate.
  const status = ensureObj(pod, 'status');
  setDefault(status, 'phase', 'Pending');
  setDefault(status, 'qosClass', qosClass(spec));
};

const defaultService: Defaulter = (svc) => {
  const spec = ensureObj(svc, 'spec');
  setDefault(spec, 'type', 'ClusterIP');
  const type = spec['type'];
  if (type === 'ExternalName') return;
  setDefault(spec, 'sessionAffinity', 'None');
  setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'NodePort' || type === 'LoadBalancer')
    setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  for (const p of objs(spec['ports'])) {
    setDefault(p, 'protocol', 'TCP');
    setDefault(p, 'targetPort', p['port']);
  }
  setDefault(spec, 'ipFamilies', ['IPv4']);
  setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
  if (
    typeof spec['clusterIP'] === 'string' &&
    spec['clusterIP'] !== '' &&
    spec['clusterIPs'] === undefined
  ) {
    spec['clusterIPs'] = [spec['clusterIP']];
  }
  if (spec['sessionAffinity'] === 'ClientIP') {
    const cfg = ensureObj(ensureObj(spec, 'sessionAffinityConfig'), 'clientIP');
    setDefault(cfg, 'timeoutSeconds', 10800);
  }
};

const defaultDeployment: Defaulter = (d) => {
  const spec = ensureObj(d, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = ensureObj(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate') {
    const ru = ensureObj(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec);
};

function defaultClaimTemplate(pvc: Obj): void {
  setDefault(pvc, 'apiVersion', 'v1');
  setDefault(pvc, 'kind', 'PersistentVolumeClaim');
  const spec = ensureObj(pvc, 'spec');
  setDefault(spec, 'volumeMode', 'Filesystem');
  canonicalizeRequirements(spec['resources']);
  setDefault(ensureObj(pvc, 'status'), 'phase', 'Pending');
}

const defaultStatefulSet: Defaulter = (s) => {
  const spec = ensureObj(s, 'spec');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = ensureObj(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate')
    setDefault(ensureObj(strategy, 'rollingUpdate'), 'partition', 0);
  setDefault(spec, 'revisionHistoryLimit', 10);
  const retention = ensureObj(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  for (const pvc of objs(spec['volumeClaimTemplates'])) defaultClaimTemplate(pvc);
  defaultTemplate(spec);
};

const defaultReplicaSet: Defaulter = (rs) => {
  const spec = ensureObj(rs, 'spec');
  setDefault(spec, 'replicas', 1);
  defaultTemplate(spec);
};

const defaultReplicationController: Defaulter = (rc) => {
  const spec = ensureObj(rc, 'spec');
  setDefault(spec, 'replicas', 1);
  const templateLabels = at(spec, 'template', 'metadata', 'labels');
  if (isObj(templateLabels)) {
    if (!isObj(spec['selector']) || Object.keys(spec['selector']).length === 0)
      spec['selector'] = { ...templateLabels };
    const meta = ensureObj(rc, 'metadata');
    if (!isObj(meta['labels']) || Object.keys(meta['labels']).length === 0)
      meta['labels'] = { ...templateLabels };
  }
  defaultTemplate(spec);
};

const defaultDaemonSet: Defaulter = (ds) => {
  const spec = ensureObj(ds, 'spec');
  const strategy = ensureObj(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate') {
    const ru = ensureObj(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec);
};

const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

const defaultJob: Defaulter = (job) => {
  const spec = ensureObj(job, 'spec');
  if (spec['completions'] === undefined && spec['parallelism'] === undefined) {
    spec['completions'] = 1;
    spec['parallelism'] = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec['backoffLimitPerIndex'] !== undefined ? 2147483647 : 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(
    spec,
    'podReplacementPolicy',
    spec['podFailurePolicy'] ? 'Failed' : 'TerminatingOrFailed',
  );
  const meta = ensureObj(job, 'metadata');
  // generateSelector (job strategy): label the pods with the job's uid unless manualSelector.
  const uid = meta['uid'];
  const name = meta['name'];
  const template = ensureObj(spec, 'template');
  if (spec['manualSelector'] !== true && typeof uid === 'string' && typeof name === 'string') {
    const templateMeta = ensureObj(template, 'metadata');
    const labels = ensureObj(templateMeta, 'labels');
    setDefault(labels, JOB_UID_LABEL, uid);
    setDefault(labels, JOB_NAME_LABEL, name);
    setDefault(labels, 'controller-uid', uid);
    setDefault(labels, 'job-name', name);
    if (spec['selector'] === undefined)
      spec['selector'] = { matchLabels: { [JOB_UID_LABEL]: uid } };
  }
  // A job without labels of its own takes its template's labels.
  const templateLabels = at(template, 'metadata', 'labels');
  if (
    isObj(templateLabels) &&
    (!isObj(meta['labels']) || Object.keys(meta['labels']).length === 0)
  ) {
    meta['labels'] = { ...templateLabels };
  }
  defaultPodSpec(ensureObj(template, 'spec'));
};

const defaultCronJob: Defaulter = (cj) => {
  const spec = ensureObj(cj, 'spec');
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jobSpec = at(spec, 'jobTemplate', 'spec');
  if (isObj(jobSpec)) defaultTemplate(jobSpec);
};

const defaultPvc: Defaulter = (pvc) => {
  const spec = ensureObj(pvc, 'spec');
  setDefault(spec, 'volumeMode', 'Filesystem');
  canonicalizeRequirements(spec['resources']);
  const status = ensureObj(pvc, 'status');
  setDefault(status, 'phase', 'Pending');
  canonicalizeResourceList(status['capacity']);
};

const defaultPv: Defaulter = (pv) => {
  const spec = ensureObj(pv, 'spec');
  setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setDefault(spec, 'volumeMode', 'Filesystem');
  canonicalizeResourceList(spec['capacity']);
  setDefault(ensureObj(pv, 'status'), 'phase', 'Pending');
};

const defaultNode: Defaulter = (node) => {
  const status = node['status'];
  if (!isObj(status)) return;
  canonicalizeResourceList(status['capacity']);
  canonicalizeResourceList(status['allocatable']);
};

const defaultNamespace: Defaulter = (ns) => {
  const spec = ensureObj(ns, 'spec');
  setDefault(spec, 'finalizers', ['kubernetes']);
  setDefault(ensureObj(ns, 'status'), 'phase', 'Active');
  // The namespace name label (NamespaceDefaultLabelName feature, GA).
  const meta = ensureObj(ns, 'metadata');
  if (typeof meta['name'] === 'string') {
    ensureObj(meta, 'labels')['kubernetes.io/metadata.name'] = meta['name'];
  }
};

const defaultEndpoints: Defaulter = (ep) => {
  for (const subset of objs(ep['subsets']))
    for (const p of objs(subset['ports'])) setDefault(p, 'protocol', 'TCP');
};

const defaultEndpointSlice: Defaulter = (es) => {
  for (const p of objs(es['ports'])) {
    setDefault(p, 'protocol', 'TCP');
    setDefault(p, 'name', '');
  }
};

const defaultStorageClass: Defaulter = (sc) => {
  setDefault(sc, 'reclaimPolicy', 'Delete');
  setDefault(sc, 'volumeBindingMode', 'Immediate');
};

/** stringData is write-only: the real server folds it into data (base64) and drops it. */
const defaultSecret: Defaulter = (s) => {
  setDefault(s, 'type', 'Opaque');
  const stringData = s['stringData'];
  if (isObj(stringData)) {
    const data = ensureObj(s, 'data');
    for (const [k, v] of Object.entries(stringData)) {
      if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
    }
    delete s['stringData'];
  }
};

function defaultSubjects(binding: KubeObject): void {
  for (const s of objs(binding['subjects'])) {
    if (s['kind'] === 'ServiceAccount') setDefault(s, 'apiGroup', '');
    else if (s['kind'] === 'User' || s['kind'] === 'Group')
      setDefault(s, 'apiGroup', 'rbac.authorization.k8s.io');
  }
}

const defaultCrd: Defaulter = (crd) => {
  const spec = ensureObj(crd, 'spec');
  const names = ensureObj(spec, 'names');
  if (typeof names['kind'] === 'string') {
    setDefault(names, 'singular', names['kind'].toLowerCase());
    setDefault(names, 'listKind', `${names['kind']}List`);
  }
  setDefault(spec, 'conversion', { strategy: 'None' });
};

const defaultNetworkPolicy: Defaulter = (np) => {
  const spec = ensureObj(np, 'spec');
  if (spec['policyTypes'] === undefined) {
    spec['policyTypes'] =
      Array.isArray(spec['egress']) && spec['egress'].length > 0
        ? ['Ingress', 'Egress']
        : ['Ingress'];
  }
  setDefault(spec, 'podSelector', {});
};

const defaultHpa: Defaulter = (hpa) => {
  const spec = ensureObj(hpa, 'spec');
  setDefault(spec, 'minReplicas', 1);
  if (!Array.isArray(spec['metrics']) || spec['metrics'].length === 0) {
    spec['metrics'] = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
  }
};

const defaultPriorityClass: Defaulter = (pc) =>
  setDefault(pc, 'preemptionPolicy', 'PreemptLowerPriority');

function defaultWebhooks(mutating: boolean): Defaulter {
  return (cfg) => {
    for (const hook of objs(cfg['webhooks'])) {
      setDefault(hook, 'failurePolicy', 'Fail');
      setDefault(hook, 'matchPolicy', 'Equivalent');
      setDefault(hook, 'namespaceSelector', {});
      setDefault(hook, 'objectSelector', {});
      setDefault(hook, 'timeoutSeconds', 10);
      if (mutating) setDefault(hook, 'reinvocationPolicy', 'Never');
      for (const rule of objs(hook['rules'])) setDefault(rule, 'scope', '*');
      const service = at(hook, 'clientConfig', 'service');
      if (isObj(service)) setDefault(service, 'port', 443);
    }
  };
}

const defaulters: Record<string, Defaulter> = {
  '/pods': defaultPod,
  '/services': defaultService,
  '/endpoints': defaultEndpoints,
  '/secrets': defaultSecret,
  '/persistentvolumeclaims': defaultPvc,
  '/persistentvolumes': defaultPv,
  '/nodes': defaultNode,
  '/namespaces': defaultNamespace,
  '/replicationcontrollers': defaultReplicationController,
  'apps/deployments': defaultDeployment,
  'apps/statefulsets': defaultStatefulSet,
  'apps/replicasets': defaultReplicaSet,
  'apps/daemonsets': defaultDaemonSet,
  'batch/jobs': defaultJob,
  'batch/cronjobs': defaultCronJob,
  'discovery.k8s.io/endpointslices': defaultEndpointSlice,
  'storage.k8s.io/storageclasses': defaultStorageClass,
  'rbac.authorization.k8s.io/rolebindings': defaultSubjects,
  'rbac.authorization.k8s.io/clusterrolebindings': defaultSubjects,
  'apiextensions.k8s.io/customresourcedefinitions': defaultCrd,
  'networking.k8s.io/networkpolicies': defaultNetworkPolicy,
  'autoscaling/horizontalpodautoscalers': defaultHpa,
  'scheduling.k8s.io/priorityclasses': defaultPriorityClass,
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': defaultWebhooks(true),
  'admissionregistration.k8s.io/validatingwebhookconfigurations': defaultWebhooks(false),
};

export function applyBuiltinDefaults(info: ResourceInfo, obj: KubeObject): void {
  defaulters[resourceKey(info.group, info.resource)]?.(obj);
}
