// Acceptance (issue 4): the admin-only chaos API (POST /sandbox/chaos/<action>) has its effects on real processes (kill a container, delete a
// pod, freeze/thaw, cut/heal the network, wipe a PVC), and stopping the sandbox leaves nothing on
// the host: no pod or helper process, no network namespace, no bridge/veth, no mount, no cgroup.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiRequest,
  apiTargetFromKubeconfig,
  GVR,
  hostGet,
  linkNames,
  netnsNames,
  pod,
  podStatus,
  startFullSandbox,
  waitFor,
  waitForPodReady,
  type FullSandbox,
} from './helpers.ts';

const NS = 'default';
let sb: FullSandbox;
let stopped = false;
/** Every pod process seen during the test, checked for after stop(). */
const seenPids = new Set<number>();

beforeAll(async () => {
  sb = await startFullSandbox({ node: { backoffBaseMs: 500, backoffMaxMs: 2000 } });
}, 60_000);

afterAll(async () => {
  if (!stopped) await sb?.stop();
  else if (sb) rmSync(sb.dataDir, { recursive: true, force: true });
}, 60_000);

function remember(name: string): number[] {
  const pids = sb.node.podInfo(NS, name)?.pids ?? [];
  for (const p of pids) seenPids.add(p);
  return pids;
}

/** The admin-only chaos API of the sandbox: POST /sandbox/chaos/<action>. */
async function chaos(action: string, body: Record<string, unknown>): Promise<void> {
  const r = await apiRequest(sb.sandbox, 'POST', `/sandbox/chaos/${action}`, {
    namespace: NS,
    ...body,
  });
  if (r.status < 200 || r.status >= 300) {
    throw new Error(`chaos ${action}: HTTP ${String(r.status)} ${JSON.stringify(r.json)}`);
  }
}

/** Scheduler state of a process: R/S running or sleeping, T stopped, undefined when gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

describe('chaos API and cleanup', () => {
  it('refuses chaos calls from anyone but the admin', async () => {
    const tr = await apiRequest(
      sb.sandbox,
      'POST',
      `/api/v1/namespaces/${NS}/serviceaccounts/default/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} },
    );
    expect(tr.status).toBe(201);
    const saToken = String((tr.json.status as { token?: string } | undefined)?.token);
    const body = { namespace: NS, pod: 'victim' };
    expect(
      (await apiRequest(sb.sandbox, 'POST', '/sandbox/chaos/kill', body, saToken)).status,
    ).toBe(403);
    expect((await apiRequest(sb.sandbox, 'POST', '/sandbox/chaos/kill', body, '')).status).toBe(
      401,
    );
  });

  it('kills a container and the restart policy brings it back', async () => {
    await sb.client.create(
      GVR.pods,
      pod('victim', {
        containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
      }),
    );
    await waitForPodReady(sb, NS, 'victim');
    const [before] = remember('victim');
    expect(before).toBeDefined();
    await chaos('kill', { pod: 'victim', container: 'main' });
    const status = await waitFor('victim restarted', async () => {
      const s = await podStatus(sb.client, NS, 'victim');
      const c = s.containerStatuses?.[0];
      return c?.restartCount === 1 && c.state?.running ? c : undefined;
    });
    expect(status.lastState?.terminated?.exitCode).toBe(137);
    const [after] = await waitFor('new pid', () => {
      const p = remember('victim');
      return p.length && p[0] !== before ? p : undefined;
    });
    expect(procState(before ?? 0)).toBeUndefined();
    expect(procState(after ?? 0)).toBeDefined();
  }, 60_000);

  it('freezes and thaws a pod', async () => {
    const [pid] = remember('victim');
    await chaos('freeze', { pod: 'victim' });
    await waitFor('process stopped', () => procState(pid ?? 0) === 'T');
    await chaos('thaw', { pod: 'victim' });
    await waitFor('process running again', () => {
      const s = procState(pid ?? 0);
      return s === 'S' || s === 'R';
    });
  }, 30_000);

  it('cuts and heals a pod network', async () => {
    await sb.client.create(
      GVR.pods,
      pod('web', {
        containers: [
          { name: 'echo', image: 'sandbox/http-echo', args: ['-listen=:8080', '-text=up'] },
        ],
      }),
    );
    const ip = await waitForPodReady(sb, NS, 'web');
    remember('web');
    const url = `http://${ip}:8080/`;
    await waitFor('web answers', async () => (await hostGet(url)) === 'up\n');
    await chaos('cut-network', { pod: 'web' });
    await expect(hostGet(url, 1500)).rejects.toThrow();
    await chaos('heal-network', { pod: 'web' });
    expect(await waitFor('web answers after heal', async () => hostGet(url, 1500))).toBe('up\n');
  }, 45_000);

  it('wipes the data of a PVC in place', async () => {
    await sb.client.create(GVR.pvcs, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'store', namespace: NS },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
    });
    await sb.client.create(
      GVR.pods,
      pod('writer', {
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', 'echo kept > /data/file; exec sleep 3600'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'store' } }],
      }),
    );
    await waitForPodReady(sb, NS, 'writer');
    remember('writer');
    const read = (): Promise<{ code: number; stdout: string }> =>
      sb.node.exec(NS, 'writer', ['cat', '/data/file']);
    expect(
      (await waitFor('file written', async () => ((await read()).code === 0 ? read() : undefined)))
        .stdout,
    ).toBe('kept\n');
    await chaos('wipe-pvc', { claim: 'store' });
    const after = await read();
    expect(after.code).not.toBe(0);
    const listing = await sb.node.exec(NS, 'writer', ['ls', '-A', '/data']);
    expect(listing).toMatchObject({ code: 0, stdout: '' });
  }, 45_000);

  it('deletes a pod and its processes', async () => {
    const pids = remember('victim');
    await chaos('delete', { pod: 'victim', gracePeriodSeconds: 1 });
    await waitFor('victim gone', async () => !(await sb.client.get(GVR.pods, NS, 'victim')));
    await waitFor('victim processes gone', () => pids.every((p) => procState(p) === undefined));
  }, 30_000);

  it('leaves no processes, namespaces, links, mounts or cgroups behind after stop()', async () => {
    const index = sb.node.network.index;
    const dataDir = sb.dataDir;
    for (const name of ['web', 'writer']) remember(name);
    // the node records what it put on the host (pods and its proxy helper); use it as the checklist
    const state = JSON.parse(readFileSync(`${dataDir}/node/state.json`, 'utf8')) as {
      agentPid?: number;
      cgroupDir?: string;
      shmDir: string;
      processes: Array<{ pid: number }>;
    };
    for (const p of state.processes) seenPids.add(p.pid);
    if (state.agentPid) seenPids.add(state.agentPid);
    expect(seenPids.size).toBeGreaterThanOrEqual(3);
    expect((await netnsNames()).some((n) => n.startsWith(`ksbx${String(index)}-`))).toBe(true);

    stopped = true;
    await sb.sandbox.stop();

    const alive = [...seenPids].filter((p) => procState(p) !== undefined);
    expect(alive).toEqual([]);
    expect((await netnsNames()).filter((n) => n.startsWith(`ksbx${String(index)}-`))).toEqual([]);
    expect(
      (await linkNames()).filter(
        (l) => l === `ksbx${String(index)}` || l.startsWith(`kv${String(index)}-`),
      ),
    ).toEqual([]);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(dataDir) || l.includes(state.shmDir));
    expect(mounts).toEqual([]);
    expect(existsSync(state.shmDir)).toBe(false);
    if (state.cgroupDir) expect(existsSync(state.cgroupDir)).toBe(false);
    expect(existsSync(`/run/kube-sandbox/net/${String(index)}.json`)).toBe(false);
  }, 60_000);

  it("cleans a crashed sandbox's leftovers on the next start with the same data dir", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ksbx-crash-'));
    const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--conditions=@opsmith/source', cli, 'up', '--data-dir', dataDir, '--port', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const kubeconfig = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /kube-sandbox ready: kubeconfig=(\S+)/.exec(out);
          if (m) resolve(m[1] ?? '');
        });
        child.once('exit', (code) => reject(new Error(`kube-sandbox up exited (${String(code)})`)));
      });
      const api = apiTargetFromKubeconfig(kubeconfig);
      const created = await apiRequest(
        api,
        'POST',
        `/api/v1/namespaces/${NS}/pods`,
        pod('orphan', {
          containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
        }),
      );
      expect(created.status).toBe(201);
      await waitFor('orphan running', async () => {
        const r = await apiRequest(api, 'GET', `/api/v1/namespaces/${NS}/pods/orphan`);
        return (r.json.status as { phase?: string } | undefined)?.phase === 'Running';
      });
      const state = JSON.parse(readFileSync(join(dataDir, 'node', 'state.json'), 'utf8')) as {
        index: number;
        agentPid?: number;
        processes: Array<{ pid: number }>;
      };
      // pod processes and the node's service-proxy helper
      const podPids = [
        ...state.processes.map((p) => p.pid),
        ...(state.agentPid ? [state.agentPid] : []),
      ];
      expect(podPids.length).toBeGreaterThan(0);
      const podNetns = (await netnsNames()).filter(
        (n) => n.startsWith(`ksbx${String(state.index)}-`) && !n.endsWith('-svc'),
      );
      expect(podNetns.length).toBeGreaterThan(0);

      // crash: no chance to clean up, the pod's processes and namespaces stay behind
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
      expect(podPids.filter((p) => procState(p) !== undefined)).toEqual(podPids);

      const next = await startFullSandbox({ dataDir });
      try {
        // SIGKILL is asynchronous; a zombie (Z) left for its new parent to reap holds nothing
        await waitFor(
          'orphaned pod processes gone',
          () => podPids.every((p) => [undefined, 'Z'].includes(procState(p))),
          5000,
        ).catch(() => undefined);
        expect(
          podPids
            .map((p) => ({ pid: p, state: procState(p) }))
            .filter((p) => p.state !== undefined && p.state !== 'Z'),
        ).toEqual([]);
        const still = await netnsNames();
        expect(podNetns.filter((n) => still.includes(n))).toEqual([]);
      } finally {
        await next.stop();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
