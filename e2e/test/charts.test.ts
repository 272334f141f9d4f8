// The etcd-operator and umbrella charts as rendered by the Helm-compatible renderer: lint, values
// validated at render time naming the field, the hardened Deployment, RBAC per watch scope, global
// values flowing into the subchart, and the ClusterRole covering exactly the kinds the operator's
// sources use (so a new client call without a rule fails here, not in a cluster).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildChartRenderer, lintChart, renderChart } from '@opsmith/chart-render';

const repo = join(import.meta.dirname, '..', '..');
const operatorChart = join(repo, 'charts', 'etcd-operator');
const umbrella = join(repo, 'charts', 'opsmith');

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface PodTemplate {
  spec: {
    template: {
      spec: {
        imagePullSecrets?: { name: string }[];
        securityContext: Record<string, unknown>;
        containers: {
          image: string;
          args?: string[];
          env?: { name: string; value?: string; valueFrom?: unknown }[];
          securityContext: Record<string, unknown>;
          livenessProbe: { httpGet: { path: string } };
          readinessProbe: { httpGet: { path: string } };
          resources: Record<string, unknown>;
        }[];
      };
    };
  };
}

const render = async (chart: string, set: string[] = []) =>
  (await renderChart(chart, { releaseName: 'rel', namespace: 'ops', set })).objects as Obj[];
const ofKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const deployment = (objects: Obj[]) =>
  ofKind(objects, 'Deployment')[0] as unknown as Obj & PodTemplate;

beforeAll(() => {
  buildChartRenderer();
}, 120_000);

describe('charts/etcd-operator', () => {
  it('lints clean, and so does the umbrella chart', async () => {
    expect(await lintChart(operatorChart)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(await lintChart(umbrella)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('rejects bad values at render time, naming the field', async () => {
    await expect(render(operatorChart, ['replicaCount=two'])).rejects.toThrow(
      /etcd-operator:\n- replicaCount: Invalid type. Expected: integer, given: string/,
    );
    await expect(render(operatorChart, ['logLevel=loud'])).rejects.toThrow(/- logLevel: /);
    await expect(render(operatorChart, ['replicasCount=2'])).rejects.toThrow(
      /Additional property replicasCount is not allowed/,
    );
    await expect(render(operatorChart, ['watchNamespaces={Not_A_Namespace}'])).rejects.toThrow(
      /- watchNamespaces.0: Does not match pattern/,
    );
    await expect(render(umbrella, ['etcd-operator.metrics.port=0'])).rejects.toThrow(
      /etcd-operator:\n- metrics.port: Must be greater than or equal to 1/,
    );
    await expect(
      render(operatorChart, ['replicaCount=2', 'leaderElection.enabled=false']),
    ).rejects.toThrow(/replicaCount > 1 needs leaderElection.enabled: true/);
    await expect(render(operatorChart, ['redis.enabled=false'])).rejects.toThrow(
      /redis: set redis.url or redis.urlSecret.name to an external Redis/,
    );
  });

  it('renders a hardened Deployment with probes, resources and the image as the backup agent', async () => {
    const d = deployment(await render(operatorChart));
    const pod = d.spec.template.spec;
    const [c] = pod.containers;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.resources).toMatchObject({ requests: { cpu: '50m', memory: '128Mi' } });
    expect(c.image).toBe('ghcr.io/opsmith/etcd-operator:0.1.0');
    expect(c.env).toContainEqual({ name: 'OPERATOR_IMAGE', value: c.image });
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--leader-elect=true',
        '--leader-election-id=rel-etcd-operator',
        '--redis-url=redis://rel-etcd-operator-redis.ops.svc:6379',
      ]),
    );
    expect(c.args?.some((a) => a.startsWith('--namespaces'))).toBe(false);
  });

  it('uses a Role and RoleBinding per watched namespace instead of a ClusterRole', async () => {
    const objects = await render(operatorChart, ['watchNamespaces={team-a,team-b}']);
    expect(ofKind(objects, 'ClusterRole')).toEqual([]);
    expect(ofKind(objects, 'ClusterRoleBinding')).toEqual([]);
    const roles = ofKind(objects, 'Role').map((r) => `${r.metadata.namespace}/${r.metadata.name}`);
    expect(roles).toEqual([
      'team-a/rel-etcd-operator',
      'team-b/rel-etcd-operator',
      'ops/rel-etcd-operator-leader-election',
    ]);
    expect(ofKind(objects, 'RoleBinding')).toHaveLength(3);
    expect(deployment(objects).spec.template.spec.containers[0].args).toContain(
      '--namespaces=team-a,team-b',
    );
  });

  it('takes an external Redis, an optional ServiceMonitor and a pinned tag', async () => {
    const objects = await render(operatorChart, [
      'redis.enabled=false',
      'redis.url=rediss://cache.infra:6380',
      'metrics.serviceMonitor.enabled=true',
      'metrics.serviceMonitor.labels.release=prom',
      'image.tag=1.2.3',
    ]);
    expect(ofKind(objects, 'StatefulSet')).toEqual([]);
    const [c] = deployment(objects).spec.template.spec.containers;
    expect(c.args).toContain('--redis-url=rediss://cache.infra:6380');
    expect(c.image).toBe('ghcr.io/opsmith/etcd-operator:1.2.3');
    const [sm] = ofKind(objects, 'ServiceMonitor') as (Obj & {
      metadata: { labels: Record<string, string> };
      spec: { endpoints: { port: string; path: string }[] };
    })[];
    expect(sm.metadata.labels.release).toBe('prom');
    expect(sm.spec.endpoints).toEqual([
      expect.objectContaining({ port: 'metrics', path: '/metrics' }),
    ]);
  });

  it('reads an external Redis URL with a password from a Secret, never from the pod spec', async () => {
    const objects = await render(operatorChart, [
      'redis.enabled=false',
      'redis.urlSecret.name=queue-redis',
    ]);
    const [c] = deployment(objects).spec.template.spec.containers;
    expect(c.args?.some((a) => a.startsWith('--redis-url'))).toBe(false);
    expect(c.env).toContainEqual({
      name: 'REDIS_URL',
      valueFrom: { secretKeyRef: { name: 'queue-redis', key: 'url' } },
    });
  });
});

describe('charts/opsmith (umbrella)', () => {
  it('passes global values to the operator chart and can leave it out', async () => {
    const objects = await render(umbrella, [
      'global.imageRegistry=mirror.local',
      'global.imagePullSecrets={regcred}',
      'global.watchNamespaces={apps}',
    ]);
    const operator = deployment(objects).spec.template.spec;
    expect(operator.containers[0].image).toBe('mirror.local/opsmith/etcd-operator:0.1.0');
    expect(operator.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(operator.containers[0].args).toContain('--namespaces=apps');
    const redis = (ofKind(objects, 'StatefulSet')[0] as unknown as PodTemplate).spec.template.spec;
    expect(redis.containers[0].image).toBe('mirror.local/library/redis:7.2-bookworm');
    expect(redis.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(ofKind(objects, 'Role').map((r) => r.metadata.namespace)).toEqual(['apps', 'ops']);
    // The operator's own value wins over the global one.
    const own = await render(umbrella, [
      'global.watchNamespaces={apps}',
      'etcd-operator.watchNamespaces={db}',
    ]);
    expect(deployment(own).spec.template.spec.containers[0].args).toContain('--namespaces=db');

    expect(await render(umbrella, ['etcd-operator.enabled=false'])).toEqual([]);
  });
});

// Kind -> [API group, resource] of everything the operator may call (directly, or through the
// k8s-runtime Manager: Events and the leader-election Lease).
const RESOURCES: Record<string, [string, string]> = {
  EtcdCluster: ['etcd.opsmith.io', 'etcdclusters'],
  EtcdBackup: ['etcd.opsmith.io', 'etcdbackups'],
  EtcdRestore: ['etcd.opsmith.io', 'etcdrestores'],
  Pod: ['', 'pods'],
  PersistentVolumeClaim: ['', 'persistentvolumeclaims'],
  Service: ['', 'services'],
  Secret: ['', 'secrets'],
  PodDisruptionBudget: ['policy', 'poddisruptionbudgets'],
  ServiceMonitor: ['monitoring.coreos.com', 'servicemonitors'],
};

function kindsInSources(dir: string): Set<string> {
  const kinds = new Set<string>();
  for (const file of readdirSync(dir, { recursive: true }).map(String)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/kind: '([A-Z][A-Za-z]+)'/g)) kinds.add(m[1]);
  }
  return kinds;
}

describe('RBAC of charts/etcd-operator', () => {
  it('covers exactly the kinds the operator sources use, plus Events and the Lease', async () => {
    const objects = await render(operatorChart);
    const rules = (ofKind(objects, 'ClusterRole')[0] as Obj & { rules: Rule[] }).rules;
    const granted = new Set(
      rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`))),
    );
    const used = kindsInSources(join(repo, 'apps', 'etcd-operator', 'src'));
    const unknown = [...used].filter((k) => !(k in RESOURCES));
    expect(unknown, 'kinds without an entry in RESOURCES: add it and a chart rule').toEqual([]);
    const wanted = new Set([...used].map((k) => `${RESOURCES[k][0]}/${RESOURCES[k][1]}`));
    wanted.add('events.k8s.io/events');
    for (const w of wanted) expect(granted, `a rule for ${w}`).toContain(w);
    // Nothing beyond that: every granted resource is used (subresources of used ones aside).
    const extra = [...granted].filter(
      (g) => !wanted.has(g) && !wanted.has(g.replace(/\/(status|finalizers)$/, '')),
    );
    expect(extra).toEqual([]);
    // No wildcard anywhere.
    expect(rules.flatMap((r) => [...r.verbs, ...r.resources, ...r.apiGroups])).not.toContain('*');

    const lease = ofKind(objects, 'Role')[0] as Obj & { rules: Rule[] };
    expect(lease.rules).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'create', 'update'],
      },
    ]);
  });
});
