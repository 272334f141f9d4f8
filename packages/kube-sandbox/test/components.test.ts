// The component hooks the node and controllers use: pod log providers (kubectl logs, -f),
// graceful pod deletion finished by the node, in-process watches told when the server closes them,
// and the admission the real server applies (ServiceAccount, DefaultStorageClass).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodLogRequest, SandboxComponentContext } from '../src/core/contracts.ts';
import { eventually, kubectl, raw, startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
let ctx: SandboxComponentContext | undefined;
const logRequests: PodLogRequest[] = [];
let stopped = false;

beforeAll(async () => {
  f = await startFixture({
    components: [
      async (c) => {
        ctx = c;
        c.enableGracefulPodDeletion();
        c.registerPodExecProvider(async ({ command, container, input }) => {
          if (command[0] === 'fail') return { code: 3, stdout: '', stderr: 'it failed\n' };
          if (command[0] === 'cat')
            return { code: 0, stdout: input ?? Buffer.alloc(0), stderr: '' };
          return { code: 0, stdout: `${container}: ${command.join(' ')}\n`, stderr: 'note\n' };
        });
        c.registerPodLogProvider(async (req) => {
          logRequests.push(req);
          return (async function* () {
            yield `hello from ${req.container}\n`;
            if (!req.follow) return;
            for (let i = 0; !req.signal.aborted && i < 100; i++) {
              yield `tick ${i}\n`;
              await new Promise((r) => setTimeout(r, 20));
            }
          })();
        });
        return {
          stop: async () => {
            stopped = true;
          },
        };
      },
    ],
  });
});
afterAll(async () => {
  await f?.stop();
  expect(stopped).toBe(true);
});

const pods = { group: '', version: 'v1', resource: 'pods' };
const pod = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'app', image: 'busybox' }], ...extra },
});

describe('components', () => {
  it('hands components the server, CA and credentials', () => {
    expect(ctx?.server).toBe(f.sandbox.server);
    expect(ctx?.caPem).toBe(f.sandbox.caPem);
    expect(ctx?.caKeyPem).toContain('PRIVATE KEY');
    expect(ctx?.adminToken).toBe(f.sandbox.token);
  });

  it('serves pod logs from the registered provider, also following', async () => {
    await f.sandbox.client.create(pods, pod('talker'));
    const logs = await kubectl(f, ['logs', 'talker']);
    expect(logs.stdout).toBe('hello from app\n');
    const tail = await raw(
      f,
      'GET',
      '/api/v1/namespaces/default/pods/talker/log?tailLines=5&timestamps=true',
    );
    expect(tail.headers['content-type']).toBe('text/plain');
    expect(logRequests.at(-1)).toMatchObject({
      container: 'app',
      tailLines: 5,
      timestamps: true,
      follow: false,
    });
    const follow = await kubectl(f, ['logs', '-f', 'talker', '--request-timeout=1s']);
    expect(follow.stdout).toMatch(/^hello from app\ntick 0\ntick 1\n/);
  });

  it('runs kubectl exec through the exec provider, with stdin and exit codes', async () => {
    const ran = await kubectl(f, ['exec', 'talker', '--', 'echo', 'hi']);
    expect(ran).toMatchObject({ code: 0, stdout: 'app: echo hi\n', stderr: 'note\n' });
    const failed = await kubectl(f, ['exec', 'talker', '--', 'fail']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('it failed');
    const piped = await kubectl(f, ['exec', '-i', 'talker', '--', 'cat'], 'from stdin\n');
    expect(piped.stdout).toBe('from stdin\n');
  });

  it('deletes bound pods gracefully: the node removes them', async () => {
    await f.sandbox.client.create(
      pods,
      pod('graceful', { nodeName: 'sandbox-node', terminationGracePeriodSeconds: 5 }),
    );
    const marked = await raw(f, 'DELETE', '/api/v1/namespaces/default/pods/graceful');
    expect(marked.status).toBe(200);
    expect(marked.json().metadata.deletionGracePeriodSeconds).toBe(5);
    expect((await raw(f, 'GET', '/api/v1/namespaces/default/pods/graceful')).status).toBe(200);
    // What the node does once the containers stopped.
    await f.sandbox.client.delete(pods, 'default', 'graceful', { gracePeriodSeconds: 0 });
    expect((await raw(f, 'GET', '/api/v1/namespaces/default/pods/graceful')).status).toBe(404);
    // Unbound pods go at once.
    await f.sandbox.client.create(pods, pod('unbound'));
    await raw(f, 'DELETE', '/api/v1/namespaces/default/pods/unbound');
    expect((await raw(f, 'GET', '/api/v1/namespaces/default/pods/unbound')).status).toBe(404);
  });

  it('tells in-process watchers when the server closes their watch', async () => {
    let closed = 0;
    const handle = f.sandbox.client.watch(
      pods,
      { namespace: 'default' },
      () => undefined,
      () => closed++,
    );
    f.sandbox.faults.closeWatches();
    await eventually(() => closed === 1);
    handle.stop();
  });
});

describe('admission', () => {
  it('refuses pods whose service account does not exist', async () => {
    const res = await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/pods',
      JSON.stringify(pod('no-sa', { serviceAccountName: 'ghost' })),
    );
    expect(res.status).toBe(403);
    expect(res.json().message).toBe(
      'pods "no-sa" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found',
    );
  });

  it('lets pods use the default service account right after their namespace is created', async () => {
    await raw(
      f,
      'POST',
      '/api/v1/namespaces',
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quick' } }),
    );
    const res = await raw(
      f,
      'POST',
      '/api/v1/namespaces/quick/pods',
      JSON.stringify({ ...pod('first'), metadata: { name: 'first' } }),
    );
    expect(res.status).toBe(201);
  });

  it('gives claims without a class the default StorageClass', async () => {
    await raw(
      f,
      'POST',
      '/apis/storage.k8s.io/v1/storageclasses',
      JSON.stringify({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: {
          name: 'standard',
          annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
        },
        provisioner: 'kube-sandbox/hostpath',
      }),
    );
    const claim = (name: string, extra: Record<string, unknown> = {}): string =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
          ...extra,
        },
      });
    const defaulted = await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/persistentvolumeclaims',
      claim('defaulted'),
    );
    expect(defaulted.json().spec.storageClassName).toBe('standard');
    const explicit = await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/persistentvolumeclaims',
      claim('none', { storageClassName: '' }),
    );
    expect(explicit.json().spec.storageClassName).toBe('');
  });
});
