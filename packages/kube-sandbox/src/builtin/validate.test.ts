import { describe, expect, it } from 'vitest';
import type { StatusCause } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import { createBuiltinKinds } from './index.ts';

const kinds = createBuiltinKinds();

function fail(group: string, resource: string): never {
  throw new Error(`no built-in resource ${group}/${resource}`);
}

function infoOf(group: string, resource: string) {
  return (
    kinds.resources().find((r) => r.group === group && r.resource === resource) ??
    fail(group, resource)
  );
}

/** Defaults then validates, as the server does; returns "field: message" lines. */
function check(group: string, resource: string, obj: KubeObject, old?: KubeObject): string[] {
  const info = infoOf(group, resource);
  const copy = structuredClone(obj);
  kinds.applyDefaults(info, copy);
  let oldCopy: KubeObject | undefined;
  if (old) {
    oldCopy = structuredClone(old);
    kinds.applyDefaults(info, oldCopy);
  }
  return kinds
    .validate(info, copy, oldCopy)
    .map((c: StatusCause) => `${c.field ?? ''}: ${c.message}`);
}

const c = { name: 'app', image: 'nginx:1.25' };
const podSpec = { containers: [c] };
const labels = { app: 'web' };
const template = { metadata: { labels }, spec: podSpec };
const ns = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'default',
  ...extra,
});

describe('metadata', () => {
  it('accepts a valid pod', () => {
    expect(check('', 'pods', { metadata: ns('web-0'), spec: podSpec })).toEqual([]);
  });

  it('rejects bad names with the real wording', () => {
    expect(check('', 'pods', { metadata: ns('Web_0'), spec: podSpec })).toEqual([
      `metadata.name: Invalid value: "Web_0": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
    expect(check('', 'namespaces', { metadata: { name: 'a.b' } })).toEqual([
      `metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    ]);
    expect(
      check('', 'services', { metadata: ns('1web'), spec: { ports: [{ port: 80 }] } })[0],
    ).toMatch(
      /^metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/,
    );
    expect(check('', 'configmaps', { metadata: { namespace: 'default' } })).toEqual([
      'metadata.name: Required value: name or generateName is required',
    ]);
    expect(check('', 'configmaps', { metadata: ns('x'.repeat(254)) })[0]).toBe(
      `metadata.name: Invalid value: "${'x'.repeat(254)}": must be no more than 253 characters`,
    );
  });

  it('allows a generateName prefix ending in a dash', () => {
    expect(
      check('', 'pods', { metadata: ns('web-abcde', { generateName: 'web-' }), spec: podSpec }),
    ).toEqual([]);
    expect(
      check('', 'pods', { metadata: ns('w', { generateName: 'Web-' }), spec: podSpec })[0],
    ).toMatch(/^metadata.generateName: Invalid value: "Web-"/);
  });

  it('validates label keys, label values and annotation keys', () => {
    const errs = check('', 'configmaps', {
      metadata: ns('c', {
        labels: { 'bad key': 'v', ok: 'bad value!' },
        annotations: { 'a/b/c': 'x' },
      }),
    });
    expect(errs).toEqual([
      `metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      `metadata.labels: Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      `metadata.annotations: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]);
    expect(
      check('', 'configmaps', {
        metadata: ns('c', { labels: { 'example.com/x': 'y'.repeat(64) } }),
      }),
    ).toEqual([
      `metadata.labels: Invalid value: "${'y'.repeat(64)}": must be no more than 63 characters`,
    ]);
  });

  it('namespace presence follows the scope', () => {
    expect(check('', 'configmaps', { metadata: { name: 'c' } })).toEqual([
      'metadata.namespace: Required value',
    ]);
    expect(check('', 'nodes', { metadata: { name: 'n', namespace: 'x' } })).toEqual([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });

  it('rejects two controller owner references', () => {
    const refs = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
    ];
    expect(check('', 'configmaps', { metadata: ns('c', { ownerReferences: refs }) })[0]).toMatch(
      /Only one reference can have Controller set to true. Found "true" in references for ReplicaSet\/a and ReplicaSet\/b$/,
    );
  });

  it('keeps namespace, uid and creationTimestamp immutable; no new finalizers while deleting', () => {
    const old = { metadata: ns('c', { uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z' }) };
    expect(
      check(
        '',
        'configmaps',
        { metadata: ns('c', { uid: 'u2', creationTimestamp: '2024-01-01T00:00:00Z' }) },
        old,
      ),
    ).toEqual(['metadata.uid: Invalid value: "u2": field is immutable']);
    expect(
      check(
        '',
        'configmaps',
        {
          metadata: {
            name: 'c',
            namespace: 'other',
            uid: 'u1',
            creationTimestamp: '2024-01-01T00:00:00Z',
          },
        },
        old,
      ),
    ).toEqual(['metadata.namespace: Invalid value: "other": field is immutable']);
    const deleting = {
      metadata: ns('c', { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['a.io/x'] }),
    };
    expect(
      check(
        '',
        'configmaps',
        {
          metadata: ns('c', {
            deletionTimestamp: '2024-01-01T00:00:00Z',
            finalizers: ['a.io/x', 'b.io/y'],
          }),
        },
        deleting,
      ),
    ).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
    ]);
  });
});

describe('pods', () => {
  it('requires containers, names and images', () => {
    expect(check('', 'pods', { metadata: ns('p'), spec: {} })).toEqual([
      'spec.containers: Required value',
    ]);
    expect(
      check('', 'pods', {
        metadata: ns('p'),
        spec: { containers: [{ name: 'a' }, { name: 'a', image: 'x' }, { image: 'y' }] },
      }),
    ).toEqual([
      'spec.containers[0].image: Required value',
      'spec.containers[1].name: Duplicate value: "a"',
      'spec.containers[2].name: Required value',
    ]);
  });

  it('checks enums, ports and volume mounts', () => {
    const errs = check('', 'pods', {
      metadata: ns('p'),
      spec: {
        restartPolicy: 'Sometimes',
        containers: [
          {
            name: 'a',
            image: 'x',
            ports: [{ containerPort: 70000, protocol: 'XTP' }],
            volumeMounts: [{ name: 'data', mountPath: '/d' }],
          },
        ],
      },
    });
    expect(errs).toEqual([
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[0].protocol: Unsupported value: "XTP": supported values: "SCTP", "TCP", "UDP"',
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
  });

  it('checks environment variable names', () => {
    expect(
      check('', 'pods', {
        metadata: ns('p'),
        spec: {
          containers: [
            {
              name: 'a',
              image: 'x',
              env: [{ name: 'A=B' }, { name: 'ok.name-1' }, { value: 'v' }],
            },
          ],
        },
      }),
    ).toEqual([
      `spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
      'spec.containers[0].env[2].name: Required value',
    ]);
  });

  it('rejects requests above limits', () => {
    expect(
      check('', 'pods', {
        metadata: ns('p'),
        spec: {
          containers: [
            {
              name: 'a',
              image: 'x',
              resources: { requests: { cpu: '2' }, limits: { cpu: '500m' } },
            },
          ],
        },
      }),
    ).toEqual([
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 500m',
    ]);
  });

  it('allows image updates and forbids other spec changes', () => {
    const old = { metadata: ns('p'), spec: { containers: [{ name: 'a', image: 'x:1' }] } };
    expect(
      check(
        '',
        'pods',
        { metadata: ns('p'), spec: { containers: [{ name: 'a', image: 'x:2' }] } },
        old,
      ),
    ).toEqual([]);
    const errs = check(
      '',
      'pods',
      { metadata: ns('p'), spec: { containers: [{ name: 'a', image: 'x:1', command: ['sh'] }] } },
      old,
    );
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(
      /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\)/,
    );
    expect(
      check(
        '',
        'pods',
        {
          metadata: ns('p'),
          spec: {
            containers: [{ name: 'a', image: 'x:1' }],
            tolerations: [{ key: 'k', operator: 'Exists' }],
          },
        },
        old,
      ),
    ).toEqual([]);
  });
});

describe('pod scheduling gates', () => {
  it('may only be removed', () => {
    const spec = { containers: [{ name: 'a', image: 'x:1' }] };
    const gated = { metadata: ns('p'), spec: { ...spec, schedulingGates: [{ name: 'wait' }] } };
    expect(check('', 'pods', { metadata: ns('p'), spec }, gated)).toEqual([]);
    const added = check(
      '',
      'pods',
      { metadata: ns('p'), spec: { ...spec, schedulingGates: [{ name: 'new' }] } },
      { metadata: ns('p'), spec },
    );
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than/);
  });
});

describe('workloads', () => {
  it('deployment requires a selector matching the template labels', () => {
    expect(check('apps', 'deployments', { metadata: ns('web'), spec: { template } })).toEqual([
      'spec.selector: Required value',
    ]);
    expect(
      check('apps', 'deployments', {
        metadata: ns('web'),
        spec: { selector: { matchLabels: { app: 'other' } }, template },
      }),
    ).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]);
    expect(
      check('apps', 'deployments', {
        metadata: ns('web'),
        spec: { selector: { matchLabels: labels }, template },
      }),
    ).toEqual([]);
  });

  it('deployment template must restart Always; selector immutable', () => {
    const t = { metadata: { labels }, spec: { ...podSpec, restartPolicy: 'OnFailure' } };
    expect(
      check('apps', 'deployments', {
        metadata: ns('web'),
        spec: { selector: { matchLabels: labels }, template: t },
      }),
    ).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    ]);
    const old = { metadata: ns('web'), spec: { selector: { matchLabels: labels }, template } };
    const changed = {
      metadata: ns('web'),
      spec: {
        selector: { matchLabels: { app: 'web', tier: 'x' } },
        template: { metadata: { labels: { app: 'web', tier: 'x' } }, spec: podSpec },
      },
    };
    expect(check('apps', 'deployments', changed, old)).toEqual([
      'spec.selector: Invalid value: &v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });

  it('deployment strategy rules', () => {
    const base = { selector: { matchLabels: labels }, template };
    expect(
      check('apps', 'deployments', {
        metadata: ns('w'),
        spec: {
          ...base,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
        },
      }),
    ).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]);
    expect(
      check('apps', 'deployments', { metadata: ns('w'), spec: { ...base, replicas: -1 } }),
    ).toEqual(['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  });

  it('statefulset spec updates outside the allowed fields are forbidden', () => {
    const base = {
      selector: { matchLabels: labels },
      serviceName: 'web',
      template,
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    };
    const old = { metadata: ns('web'), spec: base };
    expect(check('apps', 'statefulsets', old)).toEqual([]);
    expect(
      check(
        'apps',
        'statefulsets',
        {
          metadata: ns('web'),
          spec: {
            ...base,
            replicas: 5,
            template: { ...template, spec: { containers: [{ name: 'app', image: 'nginx:2' }] } },
          },
        },
        old,
      ),
    ).toEqual([]);
    const bigger = {
      ...base,
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
        },
      ],
    };
    expect(check('apps', 'statefulsets', { metadata: ns('web'), spec: bigger }, old)).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
    expect(
      check(
        'apps',
        'statefulsets',
        { metadata: ns('web'), spec: { ...base, serviceName: 'other' } },
        old,
      ),
    ).toHaveLength(1);
  });

  it('statefulset updates compare specs regardless of key order', () => {
    const old = {
      metadata: ns('web'),
      spec: { selector: { matchLabels: labels }, template, serviceName: 'web' },
    };
    const reordered = {
      metadata: ns('web'),
      spec: {
        serviceName: 'web',
        template: { spec: podSpec, metadata: { labels } },
        selector: { matchLabels: labels },
      },
    };
    expect(check('apps', 'statefulsets', reordered, old)).toEqual([]);
  });

  it('statefulset containers may mount claim templates, which become volumes', () => {
    const mounting = {
      selector: { matchLabels: labels },
      serviceName: 'db',
      template: {
        metadata: { labels },
        spec: { containers: [{ ...c, volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    };
    expect(check('apps', 'statefulsets', { metadata: ns('db'), spec: mounting })).toEqual([]);
    // As on the real server the pod spec itself is left to pod creation; template metadata and
    // the restart and deadline rules are still checked here.
    expect(
      check('apps', 'statefulsets', {
        metadata: ns('db'),
        spec: {
          ...mounting,
          template: {
            metadata: { labels, annotations: { 'bad key!': 'x' } },
            spec: { ...mounting.template.spec, activeDeadlineSeconds: 5 },
          },
        },
      }).map((line) => line.split(':')[0]),
    ).toEqual(['spec.template.annotations', 'spec.template.spec.activeDeadlineSeconds']);
    // Deployments have no claim templates: an unknown volume is still rejected there.
    expect(
      check('apps', 'deployments', {
        metadata: ns('db'),
        spec: { selector: mounting.selector, template: mounting.template },
      }),
    ).toEqual(['spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"']);
  });

  it('statefulset claim templates need access modes and storage', () => {
    expect(
      check('apps', 'statefulsets', {
        metadata: ns('db'),
        spec: {
          selector: { matchLabels: labels },
          template,
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }],
        },
      }),
    ).toEqual([
      'spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required',
      'spec.volumeClaimTemplates[0].spec.resources[storage]: Required value',
    ]);
  });

  it('jobs need restartPolicy OnFailure or Never; selector and template are immutable', () => {
    expect(
      check('batch', 'jobs', {
        metadata: ns('pi', { uid: 'u' }),
        spec: { template: { spec: podSpec } },
      }),
    ).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
    const job = {
      metadata: ns('pi', { uid: 'u' }),
      spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } },
    };
    expect(check('batch', 'jobs', job)).toEqual([]);
    const changed = {
      metadata: ns('pi', { uid: 'u' }),
      spec: {
        template: {
          spec: { containers: [{ name: 'app', image: 'other' }], restartPolicy: 'Never' },
        },
      },
    };
    expect(check('batch', 'jobs', changed, job)).toEqual([
      'spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable',
    ]);
    const manual = {
      metadata: ns('m', { uid: 'u' }),
      spec: {
        manualSelector: true,
        template: { metadata: { labels }, spec: { ...podSpec, restartPolicy: 'Never' } },
      },
    };
    expect(check('batch', 'jobs', manual)).toEqual(['spec.selector: Required value']);
  });

  it('cronjobs: schedule, time zone, name length', () => {
    const jobTemplate = {
      spec: { template: { spec: { ...podSpec, restartPolicy: 'OnFailure' } } },
    };
    expect(
      check('batch', 'cronjobs', {
        metadata: ns('nightly'),
        spec: { schedule: '0 3 * * *', jobTemplate },
      }),
    ).toEqual([]);
    expect(
      check('batch', 'cronjobs', {
        metadata: ns('nightly'),
        spec: { schedule: '@daily', timeZone: 'Europe/Paris', jobTemplate },
      }),
    ).toEqual([]);
    expect(
      check('batch', 'cronjobs', {
        metadata: ns('x'.repeat(53)),
        spec: { schedule: 'bad', timeZone: 'Mars/Base', jobTemplate },
      }),
    ).toEqual([
      `metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`,
      'spec.schedule: Invalid value: "bad": expected exactly 5 fields, found 1: [bad]',
      'spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base',
    ]);
    expect(
      check('batch', 'cronjobs', {
        metadata: ns('n'),
        spec: { schedule: 'TZ=UTC 0 * * * *', jobTemplate },
      }),
    ).toEqual([
      'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ]);
  });
});

describe('services, claims, secrets, config maps', () => {
  it('services need ports with names when several, and keep their clusterIP', () => {
    expect(check('', 'services', { metadata: ns('web'), spec: {} })).toEqual([
      'spec.ports: Required value',
    ]);
    expect(check('', 'services', { metadata: ns('web'), spec: { clusterIP: 'None' } })).toEqual([]);
    expect(
      check('', 'services', {
        metadata: ns('web'),
        spec: { type: 'Magic', ports: [{ port: 80 }, { port: 0 }] },
      }),
    ).toEqual([
      'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      'spec.ports[0].name: Required value',
      'spec.ports[1].name: Required value',
      'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    const old = {
      metadata: ns('web'),
      spec: { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80 }] },
    };
    expect(
      check(
        '',
        'services',
        {
          metadata: ns('web'),
          spec: { clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'], ports: [{ port: 80 }] },
        },
        old,
      ),
    ).toEqual([
      'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set',
    ]);
  });

  it('pvcs: required fields, immutable spec except storage growth', () => {
    expect(check('', 'persistentvolumeclaims', { metadata: ns('c'), spec: {} })).toEqual([
      'spec.accessModes: Required value: at least 1 access mode is required',
      'spec.resources[storage]: Required value',
    ]);
    const old = {
      metadata: ns('c'),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    expect(
      check(
        '',
        'persistentvolumeclaims',
        {
          metadata: ns('c'),
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
        },
        old,
      ),
    ).toEqual([]);
    expect(
      check(
        '',
        'persistentvolumeclaims',
        {
          metadata: ns('c'),
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '512Mi' } } },
        },
        old,
      ),
    ).toEqual([
      'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    ]);
    expect(
      check(
        '',
        'persistentvolumeclaims',
        {
          metadata: ns('c'),
          spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } },
        },
        old,
      ),
    ).toEqual([
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    ]);
  });

  it('pvcs: a storage class may be set once on a claim created without one', () => {
    const claim = (storageClassName?: string, annotations?: Record<string, string>) => ({
      metadata: ns('c', annotations ? { annotations } : {}),
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        ...(storageClassName === undefined ? {} : { storageClassName }),
      },
    });
    const immutable =
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';
    expect(check('', 'persistentvolumeclaims', claim('standard'), claim())).toEqual([]);
    // "" means "no class", which is a choice and not an absent field.
    expect(check('', 'persistentvolumeclaims', claim('standard'), claim(''))).toEqual([immutable]);
    expect(check('', 'persistentvolumeclaims', claim('fast'), claim('standard'))).toEqual([
      immutable,
    ]);
    expect(check('', 'persistentvolumeclaims', claim(), claim('standard'))).toEqual([immutable]);
    // The legacy beta annotation pins the class the field may take.
    const beta = { 'volume.beta.kubernetes.io/storage-class': 'standard' };
    expect(
      check('', 'persistentvolumeclaims', claim('standard', beta), claim(undefined, beta)),
    ).toEqual([]);
    expect(
      check('', 'persistentvolumeclaims', claim('fast', beta), claim(undefined, beta)),
    ).toEqual([immutable]);
  });

  it('secrets and config maps: keys, type, immutable', () => {
    expect(check('', 'secrets', { metadata: ns('s'), data: { 'bad key': 'eA==' } })).toEqual([
      `data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    ]);
    expect(
      check('', 'secrets', { metadata: ns('s'), type: 'kubernetes.io/tls', data: {} }),
    ).toEqual(['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
    const old = { metadata: ns('s'), immutable: true, data: { a: 'eA==' } };
    expect(
      check('', 'secrets', { metadata: ns('s'), immutable: true, data: { a: 'eQ==' } }, old),
    ).toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
    expect(
      check(
        '',
        'secrets',
        { metadata: ns('s'), type: 'Other', immutable: true, data: { a: 'eA==' } },
        old,
      ),
    ).toEqual(['type: Invalid value: "Other": field is immutable']);
    const cmOld = { metadata: ns('c'), immutable: true, data: { a: '1' } };
    expect(check('', 'configmaps', { metadata: ns('c'), data: { a: '1' } }, cmOld)).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('rbac and others', () => {
  it('role rules', () => {
    expect(
      check('rbac.authorization.k8s.io', 'roles', {
        metadata: ns('r'),
        rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/metrics'] }],
      }),
    ).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[1].nonResourceURLs: Invalid value: []string{"/metrics"}: namespaced rules cannot apply to non-resource URLs',
    ]);
    expect(
      check('rbac.authorization.k8s.io', 'clusterroles', {
        metadata: { name: 'system:metrics' },
        rules: [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }],
      }),
    ).toEqual([]);
  });

  it('bindings: roleRef kinds, subjects, roleRef immutable', () => {
    const rb = {
      metadata: ns('rb'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      subjects: [
        { kind: 'ServiceAccount', name: 'sa' },
        { kind: 'User', name: 'jane' },
      ],
    };
    expect(check('rbac.authorization.k8s.io', 'rolebindings', rb)).toEqual([]);
    expect(
      check('rbac.authorization.k8s.io', 'clusterrolebindings', {
        ...rb,
        metadata: { name: 'crb' },
      }),
    ).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
    const changed = { ...rb, roleRef: { ...rb.roleRef, name: 'other' } };
    expect(check('rbac.authorization.k8s.io', 'rolebindings', changed, rb)).toEqual([
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef',
    ]);
  });

  it('pdbs, leases, storage classes, endpoint slices', () => {
    expect(
      check('policy', 'poddisruptionbudgets', {
        metadata: ns('p'),
        spec: { minAvailable: 1, maxUnavailable: '10%' },
      })[0],
    ).toMatch(/minAvailable and maxUnavailable cannot be both set$/);
    expect(
      check('coordination.k8s.io', 'leases', {
        metadata: ns('l'),
        spec: { leaseDurationSeconds: 0 },
      }),
    ).toEqual(['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
    expect(check('storage.k8s.io', 'storageclasses', { metadata: { name: 'sc' } })).toEqual([
      'provisioner: Required value',
    ]);
    expect(
      check(
        'storage.k8s.io',
        'storageclasses',
        { metadata: { name: 'sc' }, provisioner: 'b' },
        { metadata: { name: 'sc' }, provisioner: 'a' },
      ),
    ).toEqual(['provisioner: Forbidden: updates to provisioner are forbidden.']);
    expect(
      check('discovery.k8s.io', 'endpointslices', { metadata: ns('e'), addressType: 'IPv5' }),
    ).toEqual(['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"']);
  });

  it('review resources are not validated as stored objects', () => {
    expect(check('authorization.k8s.io', 'selfsubjectaccessreviews', { spec: {} })).toEqual([]);
  });
});

describe('more immutability and enum rules', () => {
  const base = { selector: { matchLabels: labels }, template };
  const moved = {
    selector: { matchLabels: { app: 'x' } },
    template: { metadata: { labels: { app: 'x' } }, spec: podSpec },
  };

  it('replicaset and daemonset selectors are immutable', () => {
    for (const resource of ['replicasets', 'daemonsets']) {
      const errs = check(
        'apps',
        resource,
        { metadata: ns('r'), spec: moved },
        { metadata: ns('r'), spec: base },
      );
      expect(errs).toEqual([
        'spec.selector: Invalid value: &v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      ]);
    }
  });

  it('daemonset and statefulset enums', () => {
    expect(
      check('apps', 'daemonsets', {
        metadata: ns('d'),
        spec: { ...base, updateStrategy: { type: 'Sometimes' } },
      }),
    ).toEqual([
      'spec.updateStrategy.type: Unsupported value: "Sometimes": supported values: "OnDelete", "RollingUpdate"',
    ]);
    expect(
      check('apps', 'statefulsets', {
        metadata: ns('s'),
        spec: { ...base, podManagementPolicy: 'Random' },
      }),
    ).toEqual([
      'spec.podManagementPolicy: Unsupported value: "Random": supported values: "OrderedReady", "Parallel"',
    ]);
  });

  it('template labels are reported at spec.template.labels (long job names)', () => {
    const long = 'j'.repeat(64);
    expect(
      check('batch', 'jobs', {
        metadata: ns(long, { uid: 'u' }),
        spec: {
          template: {
            metadata: { labels: { 'job-name': long } },
            spec: { ...podSpec, restartPolicy: 'Never' },
          },
        },
      }),
    ).toContain(
      `spec.template.labels: Invalid value: "${long}": must be no more than 63 characters`,
    );
  });

  it('job completions are immutable for NonIndexed jobs', () => {
    const job = (completions: number) => ({
      metadata: ns('j', { uid: 'u' }),
      spec: { completions, template: { spec: { ...podSpec, restartPolicy: 'Never' } } },
    });
    expect(check('batch', 'jobs', job(3), job(1))).toEqual([
      'spec.completions: Invalid value: 3: field is immutable',
    ]);
  });

  it('core/v1 events keep lenient names; events.k8s.io requires reporting fields', () => {
    expect(
      check('', 'events', {
        metadata: ns('Pod.ABC'),
        involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
      }),
    ).toEqual([]);
    expect(
      check('', 'events', { metadata: ns('e'), involvedObject: { namespace: 'other' } }),
    ).toEqual(['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
    expect(check('events.k8s.io', 'events', { metadata: ns('e'), type: 'Normal' })).toEqual([
      'reportingController: Required value',
      'reportingInstance: Required value',
      'action: Required value',
      'reason: Required value',
      'eventTime: Required value',
    ]);
  });

  it('rbac names are path segments; other names subdomains', () => {
    expect(
      check('rbac.authorization.k8s.io', 'clusterroles', {
        metadata: { name: 'system:controller:x' },
      }),
    ).toEqual([]);
    expect(
      check('rbac.authorization.k8s.io', 'clusterroles', { metadata: { name: 'a/b' } }),
    ).toEqual([`metadata.name: Invalid value: "a/b": may not contain '/'`]);
    expect(check('', 'serviceaccounts', { metadata: ns('system:x') })[0]).toMatch(
      /^metadata.name: Invalid value: "system:x": a lowercase RFC 1123 subdomain/,
    );
  });

  it('finalizer names must be qualified names', () => {
    expect(
      check('', 'configmaps', {
        metadata: ns('c', { finalizers: ['ok.io/f', 'bad finalizer'] }),
      })[0],
    ).toMatch(
      /^metadata.finalizers\[1\]: Invalid value: "bad finalizer": name part must consist of/,
    );
  });

  it('services: headless needs no ports; ExternalName needs a name; nodePort only for NodePort', () => {
    expect(check('', 'services', { metadata: ns('x'), spec: { type: 'ExternalName' } })).toEqual([
      'spec.externalName: Required value',
    ]);
    expect(
      check('', 'services', {
        metadata: ns('x'),
        spec: { ports: [{ port: 80, nodePort: 30000 }] },
      }),
    ).toEqual(["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  });
});
