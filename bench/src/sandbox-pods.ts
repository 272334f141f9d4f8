// kube-sandbox node: pod create -> Ready latency for one pod and for 100 pods of a trivial image,
// and the sandbox process's memory. The sandbox runs as `kube-sandbox up` (API server, controllers
// and node agent in one process). Baselines in the same run: the same programs spawned directly with
// child_process (http-echo until it answers over HTTP; `sleep` until it has started), and the
// sandbox's own RSS before any pod exists.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchRow } from './harness.ts';
import { nowMs, summarize } from './harness.ts';

const NS = 'default';
const sandboxSrc = dirname(fileURLToPath(import.meta.resolve('@opsmith/kube-sandbox')));
const CLI = join(sandboxSrc, 'cli.ts');
const HTTP_ECHO = join(sandboxSrc, 'node', 'programs', 'http-echo.mjs');

interface Api {
  server: string;
  token: string;
  ca: string;
  agent: Agent;
}

interface RunningSandbox {
  api: Api;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The parts of API responses this benchmark reads. */
interface PodJson {
  metadata?: { name?: string };
  status?: { podIP?: string; conditions?: Array<{ type: string; status: string }> };
}
interface ResponseJson extends PodJson {
  items?: unknown[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startSandboxCli(dataDir: string): Promise<RunningSandbox> {
  const child = spawn(
    process.execPath,
    ['--conditions=@opsmith/source', CLI, 'up', '--data-dir', dataDir, '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = /kube-sandbox ready: kubeconfig=(\S+) server=(\S+)/.exec(out);
      if (line) resolve(line[1] ?? '');
    });
    child.once('exit', (code) =>
      reject(new Error(`kube-sandbox up exited with ${String(code)} before it was ready`)),
    );
  });
  const kubeconfig = readFileSync(ready, 'utf8');
  const ca = Buffer.from(
    /certificate-authority-data: (\S+)/.exec(kubeconfig)?.[1] ?? '',
    'base64',
  ).toString();
  const token = /token: (\S+)/.exec(kubeconfig)?.[1] ?? '';
  const server = /server: (\S+)/.exec(kubeconfig)?.[1] ?? '';
  const api: Api = { server, token, ca, agent: new Agent({ keepAlive: true, maxSockets: 16, ca }) };
  return {
    api,
    child,
    stop: async () => {
      api.agent.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function call(
  api: Api,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: ResponseJson }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      new URL(path, api.server),
      {
        method,
        agent: api.agent,
        headers: {
          authorization: `Bearer ${api.token}`,
          accept: 'application/json',
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            json: text ? (JSON.parse(text) as ResponseJson) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Watches pods and records when each one is first seen Ready. */
function watchReady(api: Api): { readyAt: Map<string, number>; stop(): void } {
  const readyAt = new Map<string, number>();
  const req = request(new URL(`/api/v1/namespaces/${NS}/pods?watch=1`, api.server), {
    ca: api.ca,
    headers: { authorization: `Bearer ${api.token}` },
  });
  req.on('response', (res) => {
    let buf = '';
    res.on('data', (c: Buffer) => {
      buf += c.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        const ev = JSON.parse(line) as { object?: PodJson };
        const name = String(ev.object?.metadata?.name);
        const ready = (ev.object?.status?.conditions ?? []).some(
          (c) => c.type === 'Ready' && c.status === 'True',
        );
        if (ready && !readyAt.has(name)) readyAt.set(name, nowMs());
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { readyAt, stop: () => req.destroy() };
}

function podManifest(name: string, container: Record<string, unknown>): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { bench: 'pods' } },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', ...container }],
    },
  };
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(500) });
    await res.text();
    return res.ok;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

/** Baseline: spawn http-echo directly and wait until it answers over HTTP. */
async function directEchoMs(): Promise<number> {
  const port = await freePort();
  const start = nowMs();
  const child = spawn(process.execPath, [HTTP_ECHO, `-listen=127.0.0.1:${String(port)}`], {
    stdio: 'ignore',
  });
  await until('direct http-echo answers', async () =>
    (await answers(`http://127.0.0.1:${String(port)}/`)) ? true : undefined,
  );
  const ms = nowMs() - start;
  child.kill('SIGKILL');
  return ms;
}

/** Baseline: spawn `sleep` n times directly and wait until every one has started. */
async function directSleepMs(n: number): Promise<{ total: number; each: number[] }> {
  const start = nowMs();
  const children: ChildProcess[] = [];
  const each = await Promise.all(
    Array.from({ length: n }, () => {
      const t0 = nowMs();
      const c = spawn('sleep', ['3600'], { stdio: 'ignore' });
      children.push(c);
      return new Promise<number>((r) => c.once('spawn', () => r(nowMs() - t0)));
    }),
  );
  const total = nowMs() - start;
  for (const c of children) c.kill('SIGKILL');
  return { total, each };
}

async function deleteAll(api: Api): Promise<void> {
  await call(
    api,
    'DELETE',
    `/api/v1/namespaces/${NS}/pods?labelSelector=bench%3Dpods&gracePeriodSeconds=0`,
  );
  await until('pods deleted', async () => {
    const r = await call(api, 'GET', `/api/v1/namespaces/${NS}/pods?labelSelector=bench%3Dpods`);
    return (r.json.items ?? []).length === 0 ? true : undefined;
  });
}

export const benchmark: Benchmark = {
  name: 'sandbox-pods',
  description:
    'pod create -> Ready (1 pod, 100 pods) and sandbox RSS, vs. spawning the same programs directly',
  async run({ quick }) {
    if (process.getuid?.() !== 0)
      throw new Error('sandbox-pods needs root (the node runs pods in namespaces)');
    const dir = mkdtempSync(join(tmpdir(), 'bench-pods-'));
    const sb = await startSandboxCli(dir);
    const rows: BenchRow[] = [];
    try {
      const api = sb.api;
      await until('node Ready', async () => {
        const r = await call(api, 'GET', '/api/v1/nodes');
        return (r.json.items ?? []).length > 0 ? true : undefined;
      });
      const rssIdle = rssKiB(sb.child.pid ?? 0);
      const watch = watchReady(api);

      // one pod at a time: http-echo, until it answers from the host; and until Ready (readiness probe)
      const rounds = quick ? 3 : 7;
      const toAnswer: number[] = [];
      const toReady: number[] = [];
      const direct: number[] = [];
      for (let i = 0; i < rounds; i++) {
        direct.push(await directEchoMs());
        const name = `echo-${String(i)}`;
        const start = nowMs();
        await call(
          api,
          'POST',
          `/api/v1/namespaces/${NS}/pods`,
          podManifest(name, {
            image: 'sandbox/http-echo',
            args: ['-listen=:8080'],
            readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
          }),
        );
        const ip = await until('pod IP', async () => {
          const r = await call(api, 'GET', `/api/v1/namespaces/${NS}/pods/${name}`);
          return r.json.status?.podIP;
        });
        await until('pod answers', async () =>
          (await answers(`http://${ip}:8080/`)) ? true : undefined,
        );
        toAnswer.push(nowMs() - start);
        const readyAt = await until('pod Ready', () => watch.readyAt.get(name));
        toReady.push(readyAt - start);
        await deleteAll(api);
      }
      const a = summarize(toAnswer);
      const r1 = summarize(toReady);
      const d = summarize(direct);
      rows.push(
        {
          benchmark: 'sandbox-pods',
          metric: '1 pod: create -> answers HTTP (p50)',
          value: a.p50,
          unit: 'ms',
          baseline: d.p50,
          baselineName: 'spawn http-echo directly',
          ratio: a.p50 / d.p50,
        },
        {
          benchmark: 'sandbox-pods',
          metric: '1 pod: create -> Ready (p50, readiness probe every 1 s)',
          value: r1.p50,
          unit: 'ms',
          baseline: d.p50,
          baselineName: 'spawn http-echo directly',
          ratio: r1.p50 / d.p50,
        },
      );

      // many pods at once: `sleep`, Ready as soon as the container runs
      const n = quick ? 20 : 100;
      const base = await directSleepMs(n);
      const created = new Map<string, number>();
      const start = nowMs();
      let next = 0;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < n) {
            const name = `sleep-${String(next++)}`;
            created.set(name, nowMs());
            await call(
              api,
              'POST',
              `/api/v1/namespaces/${NS}/pods`,
              podManifest(name, { image: 'busybox', command: ['sleep', '3600'] }),
            );
          }
        }),
      );
      await until(
        `${String(n)} pods Ready`,
        () => ([...created.keys()].every((k) => watch.readyAt.has(k)) ? true : undefined),
        300_000,
      );
      const total = Math.max(...[...created.keys()].map((k) => watch.readyAt.get(k) ?? 0)) - start;
      const each = summarize([...created].map(([k, t]) => (watch.readyAt.get(k) ?? 0) - t));
      const baseEach = summarize(base.each);
      const rssLoaded = rssKiB(sb.child.pid ?? 0);
      rows.push(
        {
          benchmark: 'sandbox-pods',
          metric: `${String(n)} pods: all Ready`,
          value: total,
          unit: 'ms',
          baseline: base.total,
          baselineName: `spawn ${String(n)} sleep directly`,
          ratio: total / base.total,
        },
        {
          benchmark: 'sandbox-pods',
          metric: `${String(n)} pods: create -> Ready p50`,
          value: each.p50,
          unit: 'ms',
          baseline: baseEach.p50,
          baselineName: 'spawn sleep directly',
          ratio: each.p50 / baseEach.p50,
        },
        {
          benchmark: 'sandbox-pods',
          metric: `${String(n)} pods: create -> Ready p99`,
          value: each.p99,
          unit: 'ms',
          baseline: baseEach.p99,
          baselineName: 'spawn sleep directly',
          ratio: each.p99 / baseEach.p99,
        },
        {
          benchmark: 'sandbox-pods',
          metric: `sandbox RSS (server + controllers + node agent) with ${String(n)} pods`,
          value: rssLoaded / 1024,
          unit: 'MiB',
          baseline: rssIdle / 1024,
          baselineName: 'same process, no pods',
          ratio: rssLoaded / rssIdle,
        },
      );
      watch.stop();
      await deleteAll(api);
    } finally {
      await sb.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};
