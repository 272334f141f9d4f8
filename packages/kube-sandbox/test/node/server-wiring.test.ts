// The node reached through the API server like a user would: the chaos API over HTTPS
// (POST /sandbox/chaos/<action>, admin only) and `kubectl exec` with the real kubectl.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHostPathClaim,
  isReady,
  pod,
  podReady,
  podStatus,
  PODS,
  startNodeSandbox,
  waitFor,
  type NodeFixture,
} from './helpers.ts';

const KUBECTL = '/usr/bin/kubectl';
let fx: NodeFixture;

beforeAll(async () => {
  fx = await startNodeSandbox();
  await fx.client.create(
    PODS,
    pod('target', {
      containers: [
        {
          name: 'main',
          image: 'busybox',
          command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'],
        },
        { name: 'side', image: 'busybox', command: ['sleep', '3600'] },
      ],
    }),
  );
  await podReady(fx, 'target');
}, 60_000);

afterAll(async () => {
  await fx?.stop();
});

function post(
  path: string,
  body: unknown,
  token: string | null = fx.sandbox.token,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, fx.sandbox.server),
      {
        method: 'POST',
        ca: fx.sandbox.caPem,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(text)),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            json: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

function kubectl(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(KUBECTL)) throw new Error(`kubectl not found at ${KUBECTL}: these tests need it`);
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      args,
      {
        env: { ...process.env, KUBECONFIG: fx.sandbox.kubeconfigPath, HOME: fx.dataDir },
        timeout: 30_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

function procState(pid: number): string | undefined {
  try {
    return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

describe('chaos API over HTTPS', () => {
  it('is admin only: 401 without a token, 403 for a service account', async () => {
    expect((await post('/sandbox/chaos/kill', { pod: 'target' }, null)).status).toBe(401);
    const tr = await post('/api/v1/namespaces/default/serviceaccounts/default/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {},
    });
    expect(tr.status).toBe(201);
    const saToken = (tr.json.status as { token: string }).token;
    const denied = await post('/sandbox/chaos/kill', { pod: 'target' }, saToken);
    expect(denied.status).toBe(403);
    expect(denied.json.reason).toBe('Forbidden');
  });

  it('answers 400 for bad bodies and 404 for unknown pods, claims and actions', async () => {
    const bad = async (path: string, body: unknown, code: number, message: RegExp) => {
      const r = await post(path, body);
      expect(r.status, JSON.stringify(r.json)).toBe(code);
      expect(r.json.kind).toBe('Status');
      expect(String(r.json.message)).toMatch(message);
    };
    await bad('/sandbox/chaos/kill', undefined, 400, /body must be a JSON object/);
    await bad('/sandbox/chaos/kill', [1], 400, /body must be a JSON object/);
    await bad('/sandbox/chaos/kill', { namespace: 'default' }, 400, /pod is required/);
    await bad('/sandbox/chaos/kill', { pod: 'target', signal: 'SIGNOPE' }, 400, /not a signal/);
    await bad('/sandbox/chaos/kill', { pod: 'target', podd: 'x' }, 400, /unknown field/);
    await bad(
      '/sandbox/chaos/delete',
      { pod: 'target', gracePeriodSeconds: -1 },
      400,
      /non-negative/,
    );
    await bad('/sandbox/chaos/wipe-pvc', { pod: 'target' }, 400, /claim .* is required/);
    await bad('/sandbox/chaos/freeze', { pod: 'Not_A_Name' }, 400, /Kubernetes name/);
    await bad('/sandbox/chaos/kill', { pod: 'nope' }, 404, /"nope" not found/);
    await bad('/sandbox/chaos/wipe-pvc', { claim: 'nope' }, 404, /"nope" not found/);
    expect((await post('/sandbox/chaos/explode', { pod: 'target' })).status).toBe(404);
  });

  it('kill restarts one container per the policy; freeze and thaw stop and continue it', async () => {
    const before = await podStatus(fx.client, 'default', 'target');
    const restarts = (name: string, st = before) =>
      st.containerStatuses?.find((c) => c.name === name)?.restartCount ?? 0;
    const r = await post('/sandbox/chaos/kill', {
      pod: 'target',
      container: 'side',
      signal: 'KILL',
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({
      action: 'kill',
      namespace: 'default',
      pod: 'target',
      signal: 'SIGKILL',
    });
    const after = await waitFor('side restarted', async () => {
      const st = await podStatus(fx.client, 'default', 'target');
      return restarts('side', st) > restarts('side') && isReady(st) ? st : undefined;
    });
    expect(restarts('main', after)).toBe(restarts('main'));

    const pids = fx.node.podInfo('default', 'target')?.pids ?? [];
    expect(pids.length).toBeGreaterThan(0);
    expect((await post('/sandbox/chaos/freeze', { pod: 'target' })).status).toBe(200);
    await waitFor('stopped', () => pids.every((p) => procState(p) === 'T'));
    expect((await post('/sandbox/chaos/thaw', { pod: 'target' })).status).toBe(200);
    await waitFor('continued', () => pids.every((p) => procState(p) !== 'T'));
  }, 60_000);

  it('cuts and heals the network, wipes a PVC, deletes a pod', async () => {
    const veth = fx.node.podInfo('default', 'target')?.veth ?? '';
    const operstate = () => readFileSync(`/sys/class/net/${veth}/operstate`, 'utf8').trim();
    expect((await post('/sandbox/chaos/cut-network', { pod: 'target' })).status).toBe(200);
    expect(operstate()).toBe('down');
    expect((await post('/sandbox/chaos/heal-network', { pod: 'target' })).status).toBe(200);
    await waitFor('link up', () => operstate() !== 'down');

    const dir = join(fx.dataDir, 'wipe-me');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'data'), 'x');
    await createHostPathClaim(fx, 'wipe-pv', 'wipe-claim', dir, { storageClassName: '' });
    expect((await post('/sandbox/chaos/wipe-pvc', { claim: 'wipe-claim' })).status).toBe(200);
    expect(existsSync(dir)).toBe(true);
    expect(existsSync(join(dir, 'sub'))).toBe(false);

    expect(
      (await post('/sandbox/chaos/delete', { pod: 'target', gracePeriodSeconds: 0 })).status,
    ).toBe(200);
    await waitFor(
      'pod gone',
      async () => (await fx.client.get(PODS, 'default', 'target')) === undefined,
    );
  }, 60_000);
});

describe('kubectl exec', () => {
  it('returns output and the exit code, passes stdin with -i, picks containers with -c', async () => {
    await fx.client.create(
      PODS,
      pod('shell', {
        containers: [
          { name: 'a', image: 'busybox', command: ['sleep', '3600'] },
          {
            name: 'b',
            image: 'busybox',
            command: ['sleep', '3600'],
            env: [{ name: 'WHO', value: 'b' }],
          },
        ],
      }),
    );
    await podReady(fx, 'shell');
    const r = await kubectl([
      'exec',
      'shell',
      '-c',
      'a',
      '--',
      'sh',
      '-c',
      'echo hi; echo oops >&2; exit 3',
    ]);
    expect(r.stdout).toBe('hi\n');
    expect(r.stderr).toContain('oops');
    expect(r.code).toBe(3);

    const ok = await kubectl([
      'exec',
      'shell',
      '-c',
      'b',
      '--',
      'sh',
      '-c',
      'echo $WHO $(hostname)',
    ]);
    expect(ok).toMatchObject({ code: 0, stdout: 'b shell\n' });

    const piped = await kubectl(
      ['exec', '-i', 'shell', '-c', 'a', '--', 'sh', '-c', 'tr a-z A-Z'],
      'quiet\nplease\n',
    );
    expect(piped).toMatchObject({ code: 0, stdout: 'QUIET\nPLEASE\n' });

    const missing = await kubectl(['exec', 'nope', '--', 'true']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('pods "nope" not found');
  }, 60_000);
});
