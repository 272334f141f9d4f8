// Heap retained by one informer cache, measured in a fresh process that holds nothing else (the
// API server lives in the parent, so its own allocations never blur the figure).
// usage: node --expose-gc --conditions=@opsmith/source runtime-memory-child.ts <kubeconfig> <namespace> raw|runtime|metadata
// Prints one JSON line: { objects, bytesPerObject }.
import { CoreV1Api, makeInformer } from '@kubernetes/client-node';
import { InformerFactory, KubeClient, loadKubeConfig, silentLogger } from '@opsmith/k8s-runtime';
import { settledHeapUsed } from './runtime-gc.ts';

export type CacheKind = 'raw' | 'runtime' | 'metadata';
export interface MemoryResult {
  objects: number;
  bytesPerObject: number;
}

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };

async function startCache(
  kubeconfig: string,
  namespace: string,
  kind: CacheKind,
): Promise<{ count(): number; stop(): Promise<void> }> {
  const kc = loadKubeConfig(kubeconfig);
  if (kind === 'raw') {
    const core = kc.makeApiClient(CoreV1Api);
    const inf = makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace }),
    );
    inf.on('error', () => undefined);
    await inf.start(); // resolves once the list is cached and the watch is open
    return { count: () => inf.list().length, stop: () => inf.stop() };
  }
  const factory = new InformerFactory(new KubeClient({ kubeConfig: kc }), {
    namespaces: { kind: 'list', namespaces: [namespace] },
    logger: silentLogger,
  });
  const inf = factory.informerFor(CM, { metadataOnly: kind === 'metadata' });
  factory.start();
  await factory.waitForSync();
  return { count: () => inf.list().length, stop: () => factory.stop() };
}

async function main(): Promise<void> {
  const [kubeconfig, namespace, kind] = process.argv.slice(2);
  if (!kubeconfig || !namespace || !['raw', 'runtime', 'metadata'].includes(kind ?? ''))
    throw new Error('usage: runtime-memory-child.ts <kubeconfig> <namespace> raw|runtime|metadata');
  // Load the code paths first (a cache of an empty namespace), so only the objects are counted.
  const warm = await startCache(kubeconfig, 'default', kind as CacheKind);
  await warm.stop();
  const before = await settledHeapUsed();
  const cache = await startCache(kubeconfig, namespace, kind as CacheKind);
  const after = await settledHeapUsed();
  const objects = cache.count();
  const result: MemoryResult = { objects, bytesPerObject: (after - before) / objects };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await cache.stop();
  process.exit(0); // client-node may leave an aborted watch's socket open for a while
}

await main();
