// k8s-runtime against the raw @kubernetes/client-node informer (makeInformer / ListWatch), in the
// same run on the same in-process kube-sandbox:
//  - heap bytes per cached ConfigMap after the initial sync (10,000 objects; each cache measured
//    in a fresh child process, so the API server's own heap is not counted);
//  - reconciles per second: a controller reconciling 1,000 existing objects once each, against
//    the raw informer feeding a plain async loop that does the same trivial cache read;
//  - event-to-reconcile latency p50/p99 at a steady update rate, against the raw informer's
//    update handler.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, makeInformer, type KubeConfig } from '@kubernetes/client-node';
import {
  KubeClient,
  Manager,
  loadKubeConfig,
  silentLogger,
  type SharedInformer,
  type UnknownObject,
} from '@opsmith/k8s-runtime';
import { startSandbox } from '@opsmith/kube-sandbox';
import type { Benchmark, BenchRow } from './harness.ts';
import { nowMs, summarize, throughput } from './harness.ts';
import type { CacheKind, MemoryResult } from './runtime-memory-child.ts';
import { patchWriter, type PatchWriter } from './runtime-writer.ts';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
type ConfigMap = UnknownObject & { data?: Record<string, string> };
interface RawConfigMap {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}
const SENT = 'bench.opsmith.dev/sent';
const BENCH = 'runtime';

/** A typical small ConfigMap: a few labels and a few hundred bytes of data. */
function configMap(namespace: string, i: number): ConfigMap {
  return {
    ...CM,
    metadata: { name: `cm-${i}`, namespace, labels: { app: 'bench', shard: String(i % 16) } },
    data: {
      index: String(i),
      'app.properties': `server.port=${8000 + (i % 100)}\nlog.level=info\nfeature.x=${i % 2 === 0}\n`,
      'notes.txt': `ConfigMap number ${i} of the runtime benchmark; `.repeat(4),
    },
  };
}

async function createConfigMaps(client: KubeClient, namespace: string, n: number): Promise<void> {
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await throughput(n, 16, async (i) => {
    await client.create(configMap(namespace, i));
  });
}

function rawInformer(kc: KubeConfig, namespace: string) {
  const core = kc.makeApiClient(CoreV1Api);
  const inf = makeInformer<RawConfigMap>(kc, `/api/v1/namespaces/${namespace}/configmaps`, () =>
    core.listNamespacedConfigMap({ namespace }),
  );
  inf.on('error', () => undefined); // stop() aborts the watch; nothing to report
  return inf;
}

async function waitFor(check: () => boolean, label: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Heap bytes per cached object for one kind of cache, each in a fresh process. */
function measureMemory(kubeconfig: string, namespace: string, kind: CacheKind): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--conditions=@opsmith/source',
        join(import.meta.dirname, 'runtime-memory-child.ts'),
        kubeconfig,
        namespace,
        kind,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`memory child (${kind}) exited ${code}: ${err}`));
      const r = JSON.parse(out.trim().split('\n').pop() ?? '') as MemoryResult;
      resolve(r.bytesPerObject);
    });
  });
}

async function memoryRows(kubeconfig: string, namespace: string, n: number): Promise<BenchRow[]> {
  const raw = await measureMemory(kubeconfig, namespace, 'raw');
  const full = await measureMemory(kubeconfig, namespace, 'runtime');
  const meta = await measureMemory(kubeconfig, namespace, 'metadata');
  const row = (metric: string, value: number): BenchRow => ({
    benchmark: BENCH,
    metric,
    value,
    unit: 'B/object',
    baseline: raw,
    baselineName: 'client-node makeInformer',
    ratio: value / raw,
    goal: 'ratio < 1 (lower is better)',
  });
  return [
    row(`heap per cached ConfigMap, ${n} objects (managedFields stripped, the default)`, full),
    row(`heap per cached ConfigMap, ${n} objects, metadata-only informer`, meta),
  ];
}

interface Phases {
  /** Seconds from start until every object was processed once. */
  initialSeconds: number;
  latencies: number[];
  expected: number;
}

/** Patches objects round-robin at `rate`/s for `seconds`, each with its send time. */
async function steadyUpdates(
  writer: PatchWriter,
  namespace: string,
  n: number,
  rate: number,
  seconds: number,
): Promise<number> {
  const total = rate * seconds;
  const pending: Promise<unknown>[] = [];
  const start = nowMs();
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((nowMs() - start) / 1000) * rate) + 1);
    for (; i < due; i++) {
      const sent = nowMs();
      pending.push(
        writer.patch(`/api/v1/namespaces/${namespace}/configmaps/cm-${i % n}`, {
          metadata: { annotations: { [SENT]: String(sent) } },
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(pending);
  return total;
}

/** Records one latency sample per distinct send time seen on an object. */
function latencyRecorder() {
  const samples: number[] = [];
  const seen = new Set<string>();
  let since = Infinity;
  return {
    samples,
    /** Only updates sent from now on count (objects may carry older send times). */
    arm() {
      since = nowMs();
    },
    see(annotations: Record<string, string> | undefined) {
      const sent = annotations?.[SENT];
      if (sent === undefined || Number(sent) < since || seen.has(sent)) return;
      seen.add(sent);
      samples.push(nowMs() - Number(sent));
    },
  };
}

/** k8s-runtime: a manager + controller whose reconcile reads the object from the shared cache. */
async function runtimePhases(
  kc: KubeConfig,
  writer: PatchWriter,
  namespace: string,
  n: number,
  rate: number,
  seconds: number,
): Promise<Phases> {
  const mgr = new Manager({
    kubeConfig: kc,
    namespaces: { kind: 'list', namespaces: [namespace] },
    logger: silentLogger,
    processMetrics: false,
  });
  const cache: SharedInformer<ConfigMap> = mgr.informers.informerFor<ConfigMap>(CM);
  const reconciled = new Set<string>();
  const latency = latencyRecorder();
  mgr
    .controller('bench')
    .for(CM)
    .complete((req) => {
      const obj = cache.getByName(req.name, req.namespace);
      if (obj?.data?.index !== undefined) reconciled.add(req.key);
      latency.see(obj?.metadata?.annotations);
    });
  try {
    const start = nowMs();
    await mgr.start();
    await waitFor(() => reconciled.size >= n, 'all reconciles');
    const initialSeconds = (nowMs() - start) / 1000;
    latency.arm();
    const expected = await steadyUpdates(writer, namespace, n, rate, seconds);
    await waitFor(() => latency.samples.length >= expected, 'the last reconcile', 10_000).catch(
      () => undefined, // reported as delivered/expected
    );
    return { initialSeconds, latencies: latency.samples, expected };
  } finally {
    await mgr.stop();
  }
}

/** Baseline: the raw informer; ADDED events feed a plain async loop; updates timed at the handler. */
async function rawPhases(
  kc: KubeConfig,
  writer: PatchWriter,
  namespace: string,
  n: number,
  rate: number,
  seconds: number,
): Promise<Phases> {
  const inf = rawInformer(kc, namespace);
  const queue: { name: string; namespace: string }[] = [];
  let wake: (() => void) | undefined;
  let stopped = false;
  const reconciled = new Set<string>();
  const latency = latencyRecorder();
  inf.on('add', (o) => {
    queue.push({ name: o.metadata?.name ?? '', namespace: o.metadata?.namespace ?? '' });
    wake?.();
  });
  inf.on('update', (o) => latency.see(o.metadata?.annotations));
  const loop = (async () => {
    while (!stopped) {
      const item = queue.shift();
      if (!item) {
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      await Promise.resolve(); // the same async boundary a reconcile call has
      const obj = inf.get(item.name, item.namespace);
      if (obj?.data?.index !== undefined) reconciled.add(`${item.namespace}/${item.name}`);
    }
  })();
  try {
    const start = nowMs();
    await inf.start();
    await waitFor(() => reconciled.size >= n, 'all adds processed');
    const initialSeconds = (nowMs() - start) / 1000;
    latency.arm();
    const expected = await steadyUpdates(writer, namespace, n, rate, seconds);
    await waitFor(() => latency.samples.length >= expected, 'the last update', 10_000).catch(
      () => undefined,
    );
    return { initialSeconds, latencies: latency.samples, expected };
  } finally {
    stopped = true;
    wake?.();
    await loop;
    await inf.stop();
  }
}

function reconcileRows(n: number, rate: number, ours: Phases, raw: Phases): BenchRow[] {
  const oursRate = n / ours.initialSeconds;
  const rawRate = n / raw.initialSeconds;
  const a = summarize(ours.latencies);
  const b = summarize(raw.latencies);
  const base = { benchmark: BENCH, baselineName: 'client-node informer handler' };
  return [
    {
      benchmark: BENCH,
      metric: `reconciles/s, ${n} existing objects each reconciled once (from start, incl. list)`,
      value: oursRate,
      unit: 'ops/s',
      baseline: rawRate,
      baselineName: 'client-node informer + async loop',
      ratio: oursRate / rawRate,
      goal: 'ratio >= 1 (higher is better)',
    },
    {
      ...base,
      metric: `event-to-reconcile latency p50 (${rate} updates/s, ${a.n}/${ours.expected} seen; baseline ${b.n}/${raw.expected})`,
      value: a.p50,
      unit: 'ms',
      baseline: b.p50,
      ratio: a.p50 / b.p50,
    },
    {
      ...base,
      metric: 'event-to-reconcile latency p99',
      value: a.p99,
      unit: 'ms',
      baseline: b.p99,
      ratio: a.p99 / b.p99,
    },
  ];
}

export const benchmark: Benchmark = {
  name: BENCH,
  description:
    'k8s-runtime vs raw client-node informer: heap/object, reconciles/s, event-to-reconcile latency',
  async run({ quick }) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-runtime-'));
    const memObjects = quick ? 2000 : 10_000;
    const recObjects = quick ? 300 : 1000;
    const rate = 200;
    const seconds = quick ? 2 : 5;
    const sandbox = await startSandbox({ dataDir: join(dir, 'sandbox'), port: 0, node: false });
    try {
      const kc = loadKubeConfig(sandbox.kubeconfigPath);
      const creator = new KubeClient({ kubeConfig: kc });
      console.error(`  creating ${memObjects} + ${recObjects} ConfigMaps`);
      await createConfigMaps(creator, 'mem-bench', memObjects);
      await createConfigMaps(creator, 'rec-bench', recObjects);
      await sandbox.settle();
      const writer = patchWriter(sandbox.server, sandbox.caPem, sandbox.token);
      console.error('  memory per cached object');
      const rows = await memoryRows(sandbox.kubeconfigPath, 'mem-bench', memObjects);
      console.error('  reconciles/s and latency: raw informer');
      const raw = await rawPhases(kc, writer, 'rec-bench', recObjects, rate, seconds);
      console.error('  reconciles/s and latency: k8s-runtime');
      const ours = await runtimePhases(kc, writer, 'rec-bench', recObjects, rate, seconds);
      writer.close();
      return [...rows, ...reconcileRows(recObjects, rate, ours, raw)];
    } finally {
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
