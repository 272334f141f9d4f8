// Deletion with preStop/SIGTERM/grace, the chaos API, and cleanup: no process, namespace, link,
// mount or cgroup left after stop(), and a crashed sandbox's leftovers removed by the next start.
import { execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupLeftovers } from '../../src/node/index.ts';
import {
  createHostPathClaim,
  isReady,
  pod,
  PODS,
  podStatus,
  PVCS,
  readLogs,
  startNodeSandbox,
  waitFor,
  type NodeFixture,
} from './helpers.ts';

const run = promisify(execFile);

async function hostState(index: number): Promise<{ netns: string[]; links: string[] }> {
  const ns = (await run('ip', ['netns', 'list'])).stdout;
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
  return {
    netns: ns.split('\n').filter((l) => l.startsWith(`ksbx${String(index)}-`)),
    links: links
      .split('\n')
      .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
      .filter((n) => n === `ksbx${String(index)}` || n.startsWith(`kv${String(index)}-`)),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function procState(pid: number): string {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
}

describe('node: lifecycle, chaos and cleanup', () => {
  let fx: NodeFixture;
  beforeAll(async () => {
    fx = await startNodeSandbox();
  }, 60_000);
  afterAll(async () => {
    await fx?.stop();
  });

  async function runningPod(name: string, spec: Record<string, unknown>) {
    await fx.client.create(PODS, pod(name, spec));
    return waitFor(`${name} ready`, async () => {
      const s = await podStatus(fx.client, 'default', name);
      return isReady(s) ? s : undefined;
    });
  }

  it('deletes gracefully: preStop, SIGTERM, then the pod object goes away', async () => {
    const marker = join(fx.dataDir, 'prestop');
    mkdirSync(marker);
    await runningPod('graceful', {
      terminationGracePeriodSeconds: 10,
      containers: [
        {
          name: 'c',
          image: 'busybox',
          command: [
            'sh',
            '-c',
            'trap "echo got-term; exit 0" TERM; while true; do sleep 0.2; done',
          ],
          lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo ran > /marker/prestop'] } } },
          volumeMounts: [{ name: 'm', mountPath: '/marker' }],
        },
      ],
      volumes: [{ name: 'm', hostPath: { path: marker } }],
    });
    const info = fx.node.podInfo('default', 'graceful');
    const pid = info?.pids[0] ?? 0;
    expect(alive(pid)).toBe(true);
    await fx.client.delete(PODS, 'default', 'graceful');
    await waitFor(
      'pod gone',
      async () => (await fx.client.get(PODS, 'default', 'graceful')) === undefined,
    );
    expect(readFileSync(join(marker, 'prestop'), 'utf8')).toBe('ran\n');
    expect(alive(pid)).toBe(false);
    expect((await hostState(fx.node.network.index)).netns).not.toContain(info?.netns);
  }, 60_000);

  it('kills a container (restart per policy), freezes/thaws, cuts/heals the network', async () => {
    const s = await runningPod('victim', {
      containers: [
        {
          name: 'c',
          image: 'sandbox/http-echo',
          args: ['-listen=:8080'],
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
        },
      ],
    });
    const url = `http://${s.podIP ?? ''}:8080/`;
    await fx.node.chaos.killContainer('default', 'victim', 'c');
    await waitFor('restarted', async () => {
      const st = await podStatus(fx.client, 'default', 'victim');
      return (st.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && isReady(st);
    });

    const pid = fx.node.podInfo('default', 'victim')?.pids[0] ?? 0;
    await fx.node.chaos.freezePod('default', 'victim');
    await waitFor('stopped process', () => procState(pid) === 'T');
    await fx.node.chaos.thawPod('default', 'victim');
    await waitFor('running process', () => procState(pid) !== 'T');

    await fx.node.chaos.cutNetwork('default', 'victim');
    await expect(fetch(url, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
    await fx.node.chaos.healNetwork('default', 'victim');
    const res = await waitFor('network back', async () =>
      fetch(url, { signal: AbortSignal.timeout(1000) }),
    );
    expect(await res.text()).toBe('hello\n');
    expect(await readLogs(fx.node, 'default', 'victim', { previous: true })).toContain(
      'http-echo listening',
    );
  }, 60_000);

  it('wipes a PVC and mounts PVs at their paths', async () => {
    const dir = join(fx.dataDir, 'pv-data');
    mkdirSync(dir);
    writeFileSync(join(dir, 'seed'), 'data');
    await createHostPathClaim(fx, 'pv-test', 'claim', dir);
    await fx.client.patch(
      PVCS,
      'default',
      'claim',
      'merge',
      { status: { phase: 'Bound' } },
      { subresource: 'status' },
    );
    await fx.client.create(
      PODS,
      pod('pvc-user', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'cat /data/seed; echo written > /data/new'],
            volumeMounts: [{ name: 'd', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'claim' } }],
      }),
    );
    await waitFor(
      'pvc-user done',
      async () => (await podStatus(fx.client, 'default', 'pvc-user')).phase === 'Succeeded',
    );
    expect(await readLogs(fx.node, 'default', 'pvc-user')).toBe('data');
    expect(readFileSync(join(dir, 'new'), 'utf8')).toBe('written\n');
    await fx.node.chaos.wipePvc('default', 'claim');
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  it('leaves no process, namespace, link, mount or cgroup after stop', async () => {
    const own = await startNodeSandbox();
    await own.client.create(
      PODS,
      pod('sleeper', { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }] }),
    );
    await waitFor(
      'sleeper running',
      async () =>
        (await podStatus(own.client, 'default', 'sleeper')).containerStatuses?.[0]?.state.running,
    );
    const index = own.node.network.index;
    const info = own.node.podInfo('default', 'sleeper');
    const pids = info?.pids ?? [];
    expect(pids.length).toBe(1);
    expect((await hostState(index)).netns.length).toBeGreaterThan(0);
    const dataDir = own.dataDir;
    await own.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(await hostState(index)).toEqual({ netns: [], links: [] });
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(dataDir);
    for (const cg of info?.cgroups ?? []) expect(existsSync(cg)).toBe(false);
    expect(existsSync(`/run/kube-sandbox/net/${String(index)}.json`)).toBe(false);
  }, 60_000);

  it("cleans a crashed sandbox's leftovers on the next start with the same data dir", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ksbx-crash-'));
    const script = fileURLToPath(new URL('./crash-fixture.ts', import.meta.url));
    const child = spawn(process.execPath, ['--conditions=@opsmith/source', script, dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /READY (.*)\n/.exec(buf);
        if (m) resolve(m[1] ?? '');
      });
      child.once('exit', (code) => reject(new Error(`fixture exited early (${String(code)})`)));
    });
    const { pid, index } = JSON.parse(line) as { pid: number; index: number };
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // the crash left the pod process and the network behind
    expect(alive(pid)).toBe(true);
    expect((await hostState(index)).links.length).toBeGreaterThan(0);
    await cleanupLeftovers(dataDir);
    await waitFor('leftover process gone', () => !alive(pid) || procState(pid) === 'Z');
    expect(await hostState(index)).toEqual({ netns: [], links: [] });
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);
});
