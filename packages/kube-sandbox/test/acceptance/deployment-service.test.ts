// Acceptance (issue 4): a Deployment of a small HTTP server behind a ClusterIP Service answers by
// DNS name from another pod and from the host; scaling changes the Endpoints; a rolling update
// replaces every pod while the number of available pods never drops below replicas - maxUnavailable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, WatchEvent } from '../../src/core/types.ts';
import {
  GVR,
  hostGet,
  isPodReady,
  kubectl,
  listPods,
  readyEndpoints,
  sh,
  startFullSandbox,
  statusOf,
  toolboxPod,
  waitFor,
  type FullSandbox,
} from './helpers.ts';

let sb: FullSandbox;

beforeAll(async () => {
  sb = await startFullSandbox();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
}, 60_000);

function deployment(text: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'echo',
              image: 'sandbox/http-echo',
              args: ['-listen=:8080', `-text=${text}`],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

async function clusterIp(): Promise<string> {
  const svc = await sb.client.get(GVR.services, 'default', 'web');
  return String((svc?.spec as { clusterIP?: string } | undefined)?.clusterIP);
}

/** GET through the ClusterIP from the host side of the sandbox (its service network namespace). */
async function viaClusterIp(ip: string): Promise<string> {
  const r = await sh('ip', [
    'netns',
    'exec',
    sb.node.svcNetns,
    'wget',
    '-qO-',
    '-T',
    '3',
    `http://${ip}/`,
  ]);
  if (r.code !== 0) throw new Error(`wget http://${ip}/ from the host: ${r.stderr}`);
  return r.stdout;
}

describe('Deployment behind a ClusterIP Service', () => {
  it('answers by DNS name from another pod and from the host', async () => {
    await sb.client.create(GVR.deployments, deployment('v1', 2));
    await sb.client.create(GVR.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    await sb.client.create(GVR.pods, toolboxPod('toolbox'));
    await waitFor(
      '2 ready endpoints',
      async () => (await readyEndpoints(sb.client, 'default', 'web')).length === 2,
      40_000,
    );
    await waitFor('toolbox running', async () =>
      isPodReady(await sb.client.get(GVR.pods, 'default', 'toolbox')),
    );

    // from another pod, by the full DNS name and by the short name through the search path
    for (const host of ['web.default.svc.cluster.local', 'web']) {
      const r = await sb.node.exec('default', 'toolbox', [
        'wget',
        '-qO-',
        '-T',
        '3',
        `http://${host}/`,
      ]);
      expect({ host, code: r.code, out: r.stdout }).toEqual({ host, code: 0, out: 'v1\n' });
    }
    // the same through the API server, as a user would: kubectl exec
    const viaKubectl = await kubectl(sb, [
      'exec',
      'toolbox',
      '--',
      'wget',
      '-qO-',
      '-T',
      '3',
      'http://web/',
    ]);
    expect({ code: viaKubectl.code, out: viaKubectl.stdout, err: viaKubectl.stderr }).toEqual({
      code: 0,
      out: 'v1\n',
      err: '',
    });
    // an unknown name fails (fast) instead of resolving
    const unknown = await sb.node.exec('default', 'toolbox', [
      'wget',
      '-qO-',
      '-T',
      '3',
      'http://nope.default.svc.cluster.local/',
    ]);
    expect(unknown.code).not.toBe(0);

    // from the host: every pod IP directly, and the ClusterIP
    const pods = await listPods(sb.client, 'default', 'app=web');
    for (const p of pods) {
      expect(await hostGet(`http://${String(statusOf(p).podIP)}:8080/`)).toBe('v1\n');
    }
    expect(await viaClusterIp(await clusterIp())).toBe('v1\n');
  }, 90_000);

  it('changes the Endpoints when scaled', async () => {
    await sb.client.patch(GVR.deployments, 'default', 'web', 'merge', { spec: { replicas: 3 } });
    const three = await waitFor(
      '3 ready endpoints',
      async () => {
        const ips = await readyEndpoints(sb.client, 'default', 'web');
        return ips.length === 3 ? ips : undefined;
      },
      40_000,
    );
    const podIps = (await listPods(sb.client, 'default', 'app=web'))
      .map((p) => String(statusOf(p).podIP))
      .sort();
    expect(three).toEqual(podIps);

    await sb.client.patch(GVR.deployments, 'default', 'web', 'merge', { spec: { replicas: 1 } });
    const one = await waitFor(
      '1 ready endpoint',
      async () => {
        const ips = await readyEndpoints(sb.client, 'default', 'web');
        return ips.length === 1 ? ips : undefined;
      },
      40_000,
    );
    expect(three).toContain(one[0]);
    expect(await viaClusterIp(await clusterIp())).toBe('v1\n');

    await sb.client.patch(GVR.deployments, 'default', 'web', 'merge', { spec: { replicas: 3 } });
    await waitFor(
      '3 ready endpoints again',
      async () => (await readyEndpoints(sb.client, 'default', 'web')).length === 3,
      40_000,
    );
  }, 90_000);

  it('rolls out a new template without dropping below replicas - maxUnavailable', async () => {
    const replicas = 3;
    const maxUnavailable = 1;
    await waitFor('deployment settled at 3 available', async () => {
      const d = await sb.client.get(GVR.deployments, 'default', 'web');
      const st = (d?.status ?? {}) as {
        availableReplicas?: number;
        updatedReplicas?: number;
        replicas?: number;
      };
      return st.availableReplicas === replicas && st.replicas === replicas;
    });
    const oldUids = new Set(
      (await listPods(sb.client, 'default', 'app=web')).map((p) => p.metadata?.uid ?? ''),
    );

    // watch every pod change during the rollout; availability = Ready and not terminating
    const seen = new Map<string, KubeObject>();
    let minAvailable = Number.POSITIVE_INFINITY;
    const available = (): number =>
      [...seen.values()].filter((p) => isPodReady(p) && !p.metadata?.deletionTimestamp).length;
    const initial = await sb.client.list(GVR.pods, {
      namespace: 'default',
      labelSelector: 'app=web',
    });
    for (const p of initial.items) seen.set(p.metadata?.uid ?? '', p);
    minAvailable = available();
    const watch = sb.client.watch(
      GVR.pods,
      { namespace: 'default', labelSelector: 'app=web', resourceVersion: initial.resourceVersion },
      (ev: WatchEvent) => {
        const uid = ev.object.metadata?.uid ?? '';
        if (ev.type === 'DELETED') seen.delete(uid);
        else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') seen.set(uid, ev.object);
        minAvailable = Math.min(minAvailable, available());
      },
    );
    try {
      // strategic merge: containers merge by name, like kubectl patch / set
      await sb.client.patch(GVR.deployments, 'default', 'web', 'strategic', {
        spec: {
          template: {
            spec: { containers: [{ name: 'echo', args: ['-listen=:8080', '-text=v2'] }] },
          },
        },
      });
      await waitFor(
        'rollout complete',
        async () => {
          const d = await sb.client.get(GVR.deployments, 'default', 'web');
          const st = (d?.status ?? {}) as {
            observedGeneration?: number;
            updatedReplicas?: number;
            availableReplicas?: number;
            replicas?: number;
          };
          const pods = await listPods(sb.client, 'default', 'app=web');
          return (
            st.observedGeneration === d?.metadata?.generation &&
            st.updatedReplicas === replicas &&
            st.availableReplicas === replicas &&
            st.replicas === replicas &&
            pods.length === replicas &&
            pods.every((p) => !oldUids.has(p.metadata?.uid ?? '') && isPodReady(p))
          );
        },
        60_000,
      );
    } finally {
      watch.stop();
    }
    expect(minAvailable).toBeGreaterThanOrEqual(replicas - maxUnavailable);
    expect(await viaClusterIp(await clusterIp())).toBe('v2\n');
    const r = await sb.node.exec('default', 'toolbox', ['wget', '-qO-', '-T', '3', 'http://web/']);
    expect(r.stdout).toBe('v2\n');
  }, 120_000);
});
