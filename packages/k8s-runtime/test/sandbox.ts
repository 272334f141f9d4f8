import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '@opsmith/kube-sandbox';
import { KubeClient, loadKubeConfig, type ClientOptions } from '../src/index.ts';

export interface TestEnv {
  sandbox: Sandbox;
  dataDir: string;
  client(opts?: ClientOptions): KubeClient;
  /** Stops the sandbox and starts it again on the same data dir (and port). */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A kube-sandbox on a free port in a unique temp dir, without the node (no pods run). */
export async function startTestSandbox(options: { historySize?: number } = {}): Promise<TestEnv> {
  const dataDir = mkdtempSync(join(tmpdir(), 'k8s-runtime-it-'));
  const base = { dataDir, node: false, bookmarkIntervalMs: 1000, historySize: options.historySize };
  const env: TestEnv = {
    sandbox: await startSandbox({ ...base, port: 0 }),
    dataDir,
    client: (opts = {}) =>
      new KubeClient({
        kubeConfig: loadKubeConfig(env.sandbox.kubeconfigPath),
        retryBaseMs: 50,
        retryMaxMs: 1000,
        maxRetries: 8,
        timeoutMs: 5000,
        ...opts,
      }),
    restart: async () => {
      const port = env.sandbox.port;
      await env.sandbox.stop();
      env.sandbox = await startSandbox({ ...base, port });
    },
    cleanup: async () => {
      await env.sandbox.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return env;
}

/** Polls until `check` returns a truthy value (or throws with the last error after `ms`). */
export async function eventually<T>(
  check: () => Promise<T> | T,
  ms = 15_000,
  label = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = new Error(`${label} not met yet`);
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
