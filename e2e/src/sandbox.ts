// Starts kube-sandbox the way a user does (`kube-sandbox up`, as `npm start` will): a separate
// process with the API server, the workload controllers and, when running as root, the node that
// runs pods as real processes. Tests talk to it only through its kubeconfig, like kubectl would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubeClient, loadKubeConfig } from '@opsmith/k8s-runtime';

export interface E2eSandbox {
  kubeconfigPath: string;
  server: string;
  dataDir: string;
  /** Whether pods really run (root); without a node, pods stay Pending. */
  node: boolean;
  /** A client with the admin kubeconfig. */
  client: KubeClient;
  /** The sandbox's stderr so far (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

export interface E2eSandboxOptions {
  /** Run the node (default: when root). */
  node?: boolean;
  /** How long to wait for the ready line (default 60 s). */
  startTimeoutMs?: number;
  fieldManager?: string;
}

function sandboxBin(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@opsmith/kube-sandbox/package.json');
  return join(dirname(pkg), 'bin', 'kube-sandbox.js');
}

function stopChild(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts `kube-sandbox up` in a fresh data dir; stop() ends it and removes the dir. */
export async function startE2eSandbox(opts: E2eSandboxOptions = {}): Promise<E2eSandbox> {
  const node = opts.node ?? process.getuid?.() === 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'opsmith-e2e-'));
  const bin = sandboxBin();
  if (!existsSync(bin)) throw new Error(`kube-sandbox CLI not found at ${bin}`);
  const child = spawn(
    process.execPath,
    [bin, 'up', '--data-dir', dataDir, '--port', '0', ...(node ? [] : ['--no-node'])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const cleanup = async () => {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const ready = await new Promise<{ kubeconfig: string; server: string }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`kube-sandbox did not become ready:\n${stderr}`)),
        opts.startTimeoutMs ?? 60_000,
      );
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /kube-sandbox ready: kubeconfig=(\S+) server=(\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve({ kubeconfig: m[1], server: m[2] });
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `kube-sandbox exited (${String(code ?? signal)}) before it was ready:\n${stderr}`,
          ),
        );
      });
    });
    const client = new KubeClient({
      kubeConfig: loadKubeConfig(ready.kubeconfig),
      fieldManager: opts.fieldManager ?? 'opsmith-e2e',
    });
    return {
      kubeconfigPath: ready.kubeconfig,
      server: ready.server,
      dataDir,
      node,
      client,
      logs: () => stderr,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
