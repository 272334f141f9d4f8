import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError, KubeClient, Manager, silentLogger } from '../src/index.ts';
import { CM, setupCopyController, type ConfigMap } from './copy-controller.ts';
import { eventually, startTestSandbox, type TestEnv } from './sandbox.ts';

let env: TestEnv;
let admin: KubeClient;

/** A kubeconfig for a service account bound to a namespaced Role with the given rules. */
async function serviceAccountConfig(
  ns: string,
  name: string,
  rules: object[],
): Promise<KubeConfig> {
  await admin.create({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: ns },
  });
  const rbac = 'rbac.authorization.k8s.io/v1';
  await admin.create({
    apiVersion: rbac,
    kind: 'Role',
    metadata: { name, namespace: ns },
    rules,
  } as never);
  await admin.create({
    apiVersion: rbac,
    kind: 'RoleBinding',
    metadata: { name, namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
  } as never);
  const tr = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'sb',
        server: env.sandbox.server,
        caData: Buffer.from(env.sandbox.caPem).toString('base64'),
      },
    ],
    users: [{ name, token: tr.status.token }],
    contexts: [{ name, cluster: 'sb', user: name }],
    currentContext: name,
  });
  return kc;
}

/** A manager watching only `ns`, running the copy controller with `kc`'s credentials. */
function copyControllerIn(ns: string, kc: KubeConfig): Manager {
  const mgr = new Manager({
    kubeConfig: kc,
    logger: silentLogger,
    processMetrics: false,
    namespaces: { kind: 'list', namespaces: [ns] },
  });
  setupCopyController(mgr);
  return mgr;
}

const operatorRules = [
  {
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
];

describe('RBAC', () => {
  beforeAll(async () => {
    env = await startTestSandbox();
    admin = env.client();
    for (const name of ['team', 'other'])
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('a manager scoped to one namespace runs with a namespaced Role only', async () => {
    const kc = await serviceAccountConfig('team', 'op', operatorRules);
    const mgr = copyControllerIn('team', kc);
    try {
      await mgr.start();
      expect(await mgr.informers.waitForSync()).toBe(true);
      await admin.create({
        ...CM,
        metadata: { name: 's', namespace: 'team', labels: { role: 'source' } },
        data: { v: 'x' },
      });
      await eventually(
        async () => (await admin.get<ConfigMap>(CM, 's-copy', 'team')).data?.v === 'x',
        15_000,
        'copy',
      );
      // the Role does not reach other namespaces
      await expect(
        new KubeClient({ kubeConfig: kc }).list(CM, { namespace: 'other' }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    } finally {
      await mgr.stop();
    }
  });

  it('a missing RBAC rule shows as a clear Forbidden error naming the verb and resource', async () => {
    const kc = await serviceAccountConfig('team', 'no-watch', [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create'] },
    ]);
    const mgr = copyControllerIn('team', kc);
    try {
      await mgr.start();
      const inf = mgr.informers.informerFor(CM, { labelSelector: 'role=source' });
      const err = await eventually(() => inf.stats().lastError, 10_000, 'list error');
      expect(err).toBeInstanceOf(ForbiddenError);
      expect((err as Error).message).toMatch(/cannot list resource "configmaps".*namespace "team"/);
      expect(inf.hasSynced()).toBe(false);
      expect(mgr.isReady()).toBe(false);
    } finally {
      await mgr.stop();
    }
  });
});
