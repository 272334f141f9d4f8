// Shared fixtures for the issue-4 acceptance suite: one full sandbox (API server + workload
// controllers + node agent running pods as real processes) per test file, polling helpers and
// small object builders. Nothing here asserts on timing: waits are bounded polls.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxClient } from '../../src/core/contracts.ts';
import type { KubeObject } from '../../src/core/types.ts';
import {
  startControllers,
  type RunningControllers,
  type StartControllersOptions,
} from '../../src/controllers/index.ts';
import { prepareNode, type NodeHandle, type NodeOptions } from '../../src/node/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox.ts';
import { pod, readLogs, waitFor } from '../support/pods.ts';

export { pod, readLogs, waitFor };

export const GVR = {
  pods: { group: '', version: 'v1', resource: 'pods' },
  services: { group: '', version: 'v1', resource: 'services' },
  endpoints: { group: '', version: 'v1', resource: 'endpoints' },
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  secrets: { group: '', version: 'v1', resource: 'secrets' },
  serviceaccounts: { group: '', version: 'v1', resource: 'serviceaccounts' },
  pvcs: { group: '', version: 'v1', resource: 'persistentvolumeclaims' },
  pvs: { group: '', version: 'v1', resource: 'persistentvolumes' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  statefulsets: { group: 'apps', version: 'v1', resource: 'statefulsets' },
  jobs: { group: 'batch', version: 'v1', resource: 'jobs' },
  cronjobs: { group: 'batch', version: 'v1', resource: 'cronjobs' },
  pdbs: { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' },
  clusterroles: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' },
  clusterrolebindings: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterrolebindings',
  },
};

export interface FullSandbox {
  sandbox: Sandbox;
  node: NodeHandle;
  controllers: RunningControllers;
  client: SandboxClient;
  dataDir: string;
  stop(): Promise<void>;
}

export interface FullSandboxOptions {
  /** Reuse this data dir (default: a fresh temp dir). */
  dataDir?: string;
  controllers?: Omit<StartControllersOptions, 'client' | 'dataDir'>;
  node?: Partial<Omit<NodeOptions, 'client' | 'apiServerUrl' | 'caPem' | 'dataDir' | 'network'>>;
}

/** Starts the whole sandbox the way `kube-sandbox up` does, in a fresh temp data dir. */
export async function startFullSandbox(opts: FullSandboxOptions = {}): Promise<FullSandbox> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ksbx-accept-'));
  let node: NodeHandle | undefined;
  let controllers: RunningControllers | undefined;
  const prepared = await prepareNode(
    { dataDir, heartbeatSeconds: 2, ...opts.node },
    (n: NodeHandle) => (node = n),
  );
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      dataDir,
      port: 0,
      persist: false,
      extraSANs: prepared.extraSANs,
      components: [
        async (ctx) => {
          controllers = await startControllers({
            ...opts.controllers,
            client: ctx.client,
            dataDir: ctx.dataDir,
          });
          return controllers;
        },
        prepared.component,
      ],
    });
  } catch (err) {
    prepared.release();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  if (!node || !controllers) {
    await sandbox.stop();
    throw new Error('the sandbox did not start the node and the controllers');
  }
  return {
    sandbox,
    node,
    controllers,
    client: sandbox.client,
    dataDir,
    stop: async () => {
      await sandbox.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a host command (never throws on a non-zero exit); fails clearly when the tool is missing. */
export function sh(file: string, args: string[], timeoutMs = 20_000): Promise<CommandResult> {
  if (file.startsWith('/') && !existsSync(file)) {
    return Promise.reject(new Error(`${file} is not installed: this acceptance test needs it`));
  }
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Fails with a clear message when a program the test runs is not on this machine. */
export function requireTool(path: string): void {
  if (!existsSync(path)) throw new Error(`${path} is not installed: this acceptance test needs it`);
}

/** HTTP GET from the host (pod IPs are reachable through the sandbox bridge). */
export async function hostGet(url: string, timeoutMs = 3000): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${String(res.status)} ${body}`);
  return body;
}

export interface PodStatusView {
  phase?: string;
  podIP?: string;
  conditions?: Array<{ type: string; status: string }>;
  containerStatuses?: Array<{
    name: string;
    ready: boolean;
    restartCount: number;
    state?: {
      waiting?: { reason?: string };
      running?: unknown;
      terminated?: { exitCode?: number; reason?: string };
    };
    lastState?: { terminated?: { exitCode?: number; reason?: string } };
  }>;
}

export function statusOf(obj: KubeObject | undefined): PodStatusView {
  const status: PodStatusView = obj?.status ?? {};
  return status;
}

export function isPodReady(obj: KubeObject | undefined): boolean {
  return statusOf(obj).conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

export async function podStatus(
  client: SandboxClient,
  ns: string,
  name: string,
): Promise<PodStatusView> {
  return statusOf(await client.get(GVR.pods, ns, name));
}

/** Ready and not-ready addresses of an Endpoints object (all subsets). */
export function endpointIps(ep: KubeObject | undefined): { ready: string[]; notReady: string[] } {
  const subsets = (ep?.subsets ?? []) as Array<{
    addresses?: Array<{ ip: string }>;
    notReadyAddresses?: Array<{ ip: string }>;
  }>;
  return {
    ready: subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort(),
    notReady: subsets.flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)).sort(),
  };
}

export async function readyEndpoints(
  client: SandboxClient,
  ns: string,
  name: string,
): Promise<string[]> {
  return endpointIps(await client.get(GVR.endpoints, ns, name)).ready;
}

export async function listPods(
  client: SandboxClient,
  ns: string,
  labelSelector: string,
): Promise<KubeObject[]> {
  return (await client.list(GVR.pods, { namespace: ns, labelSelector })).items;
}

/** A long-running busybox-style pod to exec commands in (like a debug pod). */
export function toolboxPod(name: string, ns = 'default'): KubeObject {
  return pod(
    name,
    { containers: [{ name: 'tools', image: 'busybox', command: ['sleep', '3600'] }] },
    {},
    ns,
  );
}

/** Host-visible facts used by the leftover checks. */
export async function netnsNames(): Promise<string[]> {
  const r = await sh('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

export async function linkNames(): Promise<string[]> {
  const r = await sh('ip', ['-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter(Boolean);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie is gone for our purposes only once reaped; report it as alive so leaks show
  return true;
}

/** A pod's status and the tail of its containers' logs, for failure messages. */
export async function describePod(sb: FullSandbox, ns: string, name: string): Promise<string> {
  const p = await sb.client.get(GVR.pods, ns, name);
  if (!p) return `pod ${ns}/${name} not found`;
  const containers = (
    (p.spec as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []
  ).map((c) => c.name);
  const logs: string[] = [];
  for (const c of containers) {
    try {
      const text = await readLogs(sb.node, ns, name, { container: c });
      logs.push(`--- ${c} log (tail):\n${text.split('\n').slice(-15).join('\n')}`);
    } catch (err) {
      logs.push(`--- ${c} log: ${(err as Error).message}`);
    }
  }
  return `pod ${ns}/${name} status: ${JSON.stringify(p.status)}\n${logs.join('\n')}`;
}

/** Waits until the pod is Ready and returns its IP; on timeout the error shows status and logs. */
export async function waitForPodReady(
  sb: FullSandbox,
  ns: string,
  name: string,
  timeoutMs = 60_000,
): Promise<string> {
  try {
    return await waitFor(
      `pod ${ns}/${name} ready`,
      async () => {
        const p = await sb.client.get(GVR.pods, ns, name);
        return isPodReady(p) ? statusOf(p).podIP : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await describePod(sb, ns, name)}`);
  }
}

/** Where an API server is and how to reach it (a Sandbox has these fields). */
export interface ApiTarget {
  server: string;
  token: string;
  caPem: string;
}

/** Reads server, admin token and CA from a kubeconfig the sandbox wrote. */
export function apiTargetFromKubeconfig(path: string): ApiTarget {
  const text = readFileSync(path, 'utf8');
  const field = (name: string): string => {
    const v = new RegExp(`${name}: (\\S+)`).exec(text)?.[1];
    if (!v) throw new Error(`no ${name} in ${path}`);
    return v;
  };
  return {
    server: field('server'),
    token: field('token'),
    caPem: Buffer.from(field('certificate-authority-data'), 'base64').toString('utf8'),
  };
}

/** A raw HTTPS request to the sandbox with the admin token (or `token`), trusting its CA. */
export function apiRequest(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
  token: string = target.token,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(
      new URL(path, target.server),
      {
        method,
        ca: target.caPem,
        headers: {
          authorization: `Bearer ${token}`,
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
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = { raw: text };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const KUBECTL = '/usr/bin/kubectl';

/** Runs kubectl against the sandbox (its kubeconfig, a private HOME for kubectl's cache). */
export function kubectl(
  sb: FullSandbox,
  args: string[],
  timeoutMs = 20_000,
): Promise<CommandResult> {
  requireTool(KUBECTL);
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      args,
      {
        timeout: timeoutMs,
        env: { ...process.env, KUBECONFIG: sb.sandbox.kubeconfigPath, HOME: sb.dataDir },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
