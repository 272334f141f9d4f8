// Pods as real processes: environment, volumes and downward API as the pod sees them; exit codes,
// CrashLoopBackOff, init containers, probes, memory limits, logs.
import type { KubeObject } from '../../src/core/types.ts';
import { detectMemoryCgroup } from '../../src/node/cgroups.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIGMAPS,
  EVENTS,
  isReady,
  pod,
  podFinished,
  podReady,
  PODS,
  podStatus,
  readLogs,
  SECRETS,
  startNodeSandbox,
  waitFor,
  type NodeFixture,
} from './helpers.ts';

let fx: NodeFixture;
beforeAll(async () => {
  fx = await startNodeSandbox();
});
afterAll(async () => {
  await fx?.stop();
});

function finished(name: string) {
  return podFinished(fx, name);
}

describe('node: pods', () => {
  it('gives a pod its env, volumes, downward API, user, hostname and DNS files', async () => {
    await fx.client.create(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: 'default' },
      data: { greeting: 'hello', 'app.conf': 'x=1', 'nested.txt': 'deep' },
    });
    await fx.client.create(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app-secret', namespace: 'default' },
      data: { password: Buffer.from('p@ss').toString('base64') },
    });
    const script = [
      'echo "GREETING=$GREETING"',
      'echo "PASS=$PASS"',
      'echo "POD=$MY_POD NS=$MY_NS IP=$MY_IP NODE=$MY_NODE"',
      'echo "EXP=$EXPANDED ESC=$ESCAPED"',
      'echo "MEM=$MEM_MI"',
      'echo "PREF=$CFG_greeting"',
      'echo "ARG=$0 $1"',
      'echo "CONF=$(cat /etc/config/app.conf)"',
      'echo "ITEM=$(cat /etc/items/renamed.txt)"',
      'echo "SECRET=$(cat /etc/secret/password)"',
      'echo "LABELS=$(cat /etc/podinfo/labels | tr "\\n" ",")"',
      'echo "PODNAME=$(cat /etc/podinfo/name)"',
      'touch /scratch/ok && echo "EMPTYDIR=ok"',
      'echo "SUB=$(cat /sub/nested.txt)"',
      'echo "UID=$(id -u) GID=$(id -g)"',
      'echo "PWD=$(pwd)"',
      'echo "HOSTNAME=$(hostname)"',
      'echo "RESOLV=$(cat /etc/resolv.conf | tr "\\n" ";")"',
      'echo "HOSTS=$(grep -c envtest /etc/hosts)"',
      'echo "KSH=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"',
      'echo "HOSTTMP=$(ls /tmp | wc -l)"',
    ].join('; ');
    await fx.client.create(
      PODS,
      pod(
        'envtest',
        {
          restartPolicy: 'Never',
          securityContext: { runAsUser: 1000, runAsGroup: 1000 },
          containers: [
            {
              name: 'main',
              image: 'busybox:1.36',
              command: ['sh', '-c', script],
              args: ['first-arg', '$(GREETING)-arg'],
              workingDir: '/workdir',
              resources: { limits: { memory: '256Mi' } },
              env: [
                {
                  name: 'GREETING',
                  valueFrom: { configMapKeyRef: { name: 'app-config', key: 'greeting' } },
                },
                {
                  name: 'PASS',
                  valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } },
                },
                {
                  name: 'MISSING',
                  valueFrom: { secretKeyRef: { name: 'nope', key: 'x', optional: true } },
                },
                { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'MY_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'EXPANDED', value: '$(GREETING)-world' },
                { name: 'ESCAPED', value: '$$(GREETING)' },
                {
                  name: 'MEM_MI',
                  valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
                },
              ],
              envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'app-config' } }],
              volumeMounts: [
                { name: 'config', mountPath: '/etc/config' },
                { name: 'items', mountPath: '/etc/items' },
                { name: 'secret', mountPath: '/etc/secret' },
                { name: 'podinfo', mountPath: '/etc/podinfo' },
                { name: 'scratch', mountPath: '/scratch' },
                { name: 'config', mountPath: '/sub/nested.txt', subPath: 'nested.txt' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: 'app-config' } },
            {
              name: 'items',
              configMap: { name: 'app-config', items: [{ key: 'greeting', path: 'renamed.txt' }] },
            },
            { name: 'secret', secret: { secretName: 'app-secret', defaultMode: 0o400 } },
            {
              name: 'podinfo',
              downwardAPI: {
                items: [
                  { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                  { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                ],
              },
            },
            { name: 'scratch', emptyDir: {} },
          ],
        },
        { app: 'envtest', tier: 'test' },
      ),
    );
    const s = await finished('envtest');
    const out = await readLogs(fx.node, 'default', 'envtest');
    expect(s.phase, out).toBe('Succeeded');
    expect(out).toContain('GREETING=hello');
    expect(out).toContain('PASS=p@ss');
    expect(out).toContain(`POD=envtest NS=default IP=${s.podIP ?? ''} NODE=sandbox-node`);
    expect(out).toContain('EXP=hello-world ESC=$(GREETING)');
    expect(out).toContain('MEM=256');
    expect(out).toContain('PREF=hello');
    expect(out).toContain('ARG=first-arg hello-arg');
    expect(out).toContain('CONF=x=1');
    expect(out).toContain('ITEM=hello');
    expect(out).toContain('LABELS=app="envtest",tier="test"\n');
    expect(out).toContain('PODNAME=envtest');
    expect(out).toContain('EMPTYDIR=ok');
    expect(out).toContain('SUB=deep');
    expect(out).toContain('UID=1000 GID=1000');
    expect(out).toContain('PWD=/workdir');
    expect(out).toContain('HOSTNAME=envtest');
    expect(out).toContain(
      `RESOLV=search default.svc.cluster.local svc.cluster.local cluster.local;nameserver ${fx.node.gatewayIp};options ndots:5;`,
    );
    expect(out).toContain('HOSTS=1');
    expect(out).toContain('KSH=10.96.0.1:443');
    expect(out).toContain('HOSTTMP=0');
    // root-only secret file (0400) is not readable by uid 1000, as on a real node
    expect(out).toContain('SECRET=\n');
  }, 60_000);

  it('reports exit codes and backs off crashing containers (CrashLoopBackOff)', async () => {
    await fx.client.create(
      PODS,
      pod('crasher', {
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo boom; exit 3'] }],
      }),
    );
    const seen = await waitFor('CrashLoopBackOff', async () => {
      const s = await podStatus(fx.client, 'default', 'crasher');
      const c = s.containerStatuses?.[0];
      return c?.state?.waiting?.reason === 'CrashLoopBackOff' && c.restartCount >= 1
        ? c
        : undefined;
    });
    expect(seen.lastState.terminated?.exitCode).toBe(3);
    expect(seen.lastState.terminated?.reason).toBe('Error');
    expect(seen.state.waiting?.message).toContain('back-off');
    await waitFor('a second restart', async () => {
      const s = await podStatus(fx.client, 'default', 'crasher');
      return (s.containerStatuses?.[0]?.restartCount ?? 0) >= 2;
    });
    expect(await readLogs(fx.node, 'default', 'crasher', { previous: true })).toBe('boom\n');

    await fx.client.create(
      PODS,
      pod('fails', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 2'] }],
      }),
    );
    await fx.client.create(
      PODS,
      pod('oneshot', {
        restartPolicy: 'OnFailure',
        containers: [{ name: 'c', image: 'busybox', command: ['true'] }],
      }),
    );
    const failed = await finished('fails');
    expect(failed.phase).toBe('Failed');
    expect(failed.containerStatuses?.[0]?.state.terminated).toMatchObject({
      exitCode: 2,
      reason: 'Error',
    });
    const ok = await finished('oneshot');
    expect(ok.phase).toBe('Succeeded');
    expect(ok.containerStatuses?.[0]?.state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
  }, 60_000);

  it('runs init containers in order before the containers', async () => {
    await fx.client.create(
      PODS,
      pod('inits', {
        restartPolicy: 'Never',
        initContainers: [
          {
            name: 'one',
            image: 'busybox',
            command: ['sh', '-c', 'echo -n 1 > /shared/order'],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
          {
            name: 'two',
            image: 'busybox',
            command: ['sh', '-c', 'echo -n 2 >> /shared/order'],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
        ],
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: [
              'sh',
              '-c',
              'cat /shared/order; touch /etc/x 2>/dev/null && echo " rw" || echo " ro"',
            ],
            securityContext: { readOnlyRootFilesystem: true },
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
        ],
        volumes: [{ name: 'shared', emptyDir: {} }],
      }),
    );
    const s = await finished('inits');
    expect(s.phase).toBe('Succeeded');
    expect(s.initContainerStatuses?.map((c) => c.state.terminated?.reason)).toEqual([
      'Completed',
      'Completed',
    ]);
    expect(s.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    expect(await readLogs(fx.node, 'default', 'inits', { container: 'main' })).toBe('12 ro\n');
  }, 60_000);

  it('runs native sidecars alongside the containers and stops them at the end', async () => {
    await fx.client.create(
      PODS,
      pod('sidecar', {
        restartPolicy: 'Never',
        initContainers: [
          {
            name: 'side',
            image: 'sandbox/http-echo',
            restartPolicy: 'Always',
            args: ['-listen=:8080', '-text=from-sidecar'],
            startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 30 },
          },
        ],
        containers: [
          { name: 'main', image: 'busybox', command: ['wget', '-qO-', 'http://127.0.0.1:8080/'] },
        ],
      }),
    );
    const s = await finished('sidecar');
    expect(s.phase).toBe('Succeeded');
    expect(await readLogs(fx.node, 'default', 'sidecar', { container: 'main' })).toBe(
      'from-sidecar\n',
    );
    await waitFor('sidecar stopped', async () => {
      const st = await podStatus(fx.client, 'default', 'sidecar');
      return st.initContainerStatuses?.[0]?.state.terminated;
    });
  }, 60_000);

  it('drives readiness and restarts from probes', async () => {
    // ready once /tmp/ready exists, unready when it goes; liveness fails once /tmp/dead appears
    const script = 'touch /tmp/ready; sleep 2; rm /tmp/ready; sleep 1; touch /tmp/dead; sleep 60';
    await fx.client.create(
      PODS,
      pod('probed', {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', script],
            readinessProbe: {
              exec: { command: ['cat', '/tmp/ready'] },
              periodSeconds: 1,
              failureThreshold: 1,
            },
            livenessProbe: {
              exec: { command: ['sh', '-c', '! test -f /tmp/dead'] },
              initialDelaySeconds: 1,
              periodSeconds: 1,
              failureThreshold: 2,
            },
          },
        ],
      }),
    );
    await waitFor('Ready', async () => isReady(await podStatus(fx.client, 'default', 'probed')));
    await waitFor('not Ready', async () => {
      const s = await podStatus(fx.client, 'default', 'probed');
      return !isReady(s) && s.containerStatuses?.[0]?.state.running ? s : undefined;
    });
    const restarted = await waitFor('liveness restart', async () => {
      const s = await podStatus(fx.client, 'default', 'probed');
      const c = s.containerStatuses?.[0];
      return (c?.restartCount ?? 0) >= 1 ? c : undefined;
    });
    expect(restarted.lastState.terminated?.exitCode).toBeGreaterThan(128);
    const events = await fx.client.list(EVENTS, { namespace: 'default' });
    const reasons = events.items
      .filter((e: KubeObject) => (e.involvedObject as { name?: string }).name === 'probed')
      .map((e: KubeObject) => e.reason);
    expect(reasons).toContain('Unhealthy');
    expect(reasons).toContain('Killing');
  }, 60_000);

  it('kills a container over its memory limit (OOMKilled)', async () => {
    const cg = detectMemoryCgroup();
    expect(cg.ok, `memory limits need a cgroup v1 memory controller: ${cg.why ?? ''}`).toBe(true);
    await fx.client.create(
      PODS,
      pod('hog', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'c',
            image: 'node:24',
            command: ['node', '-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));'],
            resources: { limits: { memory: '64Mi' } },
          },
        ],
      }),
    );
    const s = await finished('hog');
    expect(s.phase).toBe('Failed');
    expect(s.containerStatuses?.[0]?.state.terminated).toMatchObject({
      reason: 'OOMKilled',
      exitCode: 137,
    });
  }, 60_000);

  it('updates configMap volumes atomically and streams logs with follow', async () => {
    await fx.client.create(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'live', namespace: 'default' },
      data: { value: 'v1' },
    });
    const script =
      'last=; while true; do v=$(cat /cfg/value); if [ "$v" != "$last" ]; then echo "value=$v"; last=$v; fi; sleep 0.2; done';
    await fx.client.create(
      PODS,
      pod('watcher', {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', script],
            volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }],
          },
        ],
        volumes: [{ name: 'cfg', configMap: { name: 'live' } }],
      }),
    );
    const stream = await waitFor('log stream', () =>
      fx.node.podLogs('default', 'watcher', { follow: true }),
    );
    let seen = '';
    stream.on('data', (d: Buffer | string) => (seen += String(d)));
    await waitFor('first value', () => seen.includes('value=v1\n'));
    await fx.client.patch(CONFIGMAPS, 'default', 'live', 'merge', { data: { value: 'v2' } });
    await waitFor('updated value in the pod', () => seen.includes('value=v2\n'));
    stream.destroy();
  }, 60_000);

  it('runs postStart before startup/readiness probes pass, and publishes the Node and its Lease', async () => {
    await fx.client.create(
      PODS,
      pod('hooks', {
        containers: [
          {
            name: 'c',
            image: 'sandbox/http-echo',
            args: ['-listen=:8080'],
            lifecycle: {
              postStart: { exec: { command: ['sh', '-c', 'echo started > /tmp/poststart'] } },
            },
            startupProbe: {
              exec: { command: ['cat', '/tmp/poststart'] },
              periodSeconds: 1,
              timeoutSeconds: 5,
              failureThreshold: 30,
            },
            readinessProbe: {
              httpGet: {
                path: '/healthz',
                port: 8080,
                httpHeaders: [{ name: 'X-Probe', value: '1' }],
              },
              periodSeconds: 1,
              timeoutSeconds: 5,
            },
          },
        ],
      }),
    );
    const s = await podReady(fx, 'hooks');
    expect(s.containerStatuses?.[0], JSON.stringify(s.containerStatuses)).toMatchObject({
      ready: true,
      restartCount: 0,
    });
    const node = await fx.client.get(
      { group: '', version: 'v1', resource: 'nodes' },
      undefined,
      'sandbox-node',
    );
    const status = node?.status as {
      conditions: Array<{ type: string; status: string }>;
      addresses: Array<{ type: string; address: string }>;
      nodeInfo: { kubeletVersion: string };
    };
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(status.addresses).toContainEqual({ type: 'InternalIP', address: fx.node.gatewayIp });
    expect(status.nodeInfo.kubeletVersion).toMatch(/^v1\.32\./);
    const lease = await fx.client.get(
      { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
      'kube-node-lease',
      'sandbox-node',
    );
    expect((lease?.spec as { holderIdentity?: string }).holderIdentity).toBe('sandbox-node');
  }, 60_000);

  it('fails a pod that outlives activeDeadlineSeconds', async () => {
    await fx.client.create(
      PODS,
      pod('deadline', {
        activeDeadlineSeconds: 2,
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }],
      }),
    );
    const s = await finished('deadline');
    expect(s).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    expect(s.containerStatuses?.[0]?.state.terminated).toBeDefined();
  }, 60_000);

  it('reports unmapped images as ErrImagePull/ImagePullBackOff naming the image map', async () => {
    await fx.client.create(
      PODS,
      pod('noimage', { containers: [{ name: 'c', image: 'example.com/nothing:1' }] }),
    );
    const c = await waitFor('ImagePullBackOff', async () => {
      const s = await podStatus(fx.client, 'default', 'noimage');
      const st = s.containerStatuses?.[0];
      return st?.state?.waiting?.reason === 'ImagePullBackOff' ? st : undefined;
    });
    expect(c.state.waiting?.message).toContain('images.yaml');
    expect(c.state.waiting?.message).toContain('example.com/nothing:1');
  }, 60_000);

  it('leaves a pod with a non-matching nodeSelector Pending with FailedScheduling', async () => {
    await fx.client.create(
      PODS,
      pod('unschedulable', {
        nodeSelector: { disktype: 'ssd' },
        containers: [{ name: 'c', image: 'busybox' }],
      }),
    );
    const s = await waitFor('PodScheduled=False', async () => {
      const st = await podStatus(fx.client, 'default', 'unschedulable');
      return st.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')
        ? st
        : undefined;
    });
    expect(s.phase).toBe('Pending');
    const p = await fx.client.get(PODS, 'default', 'unschedulable');
    expect((p?.spec as { nodeName?: string }).nodeName).toBeUndefined();
    const events = await fx.client.list(EVENTS, { namespace: 'default' });
    expect(events.items.some((e: KubeObject) => e.reason === 'FailedScheduling')).toBe(true);
  }, 60_000);
});
