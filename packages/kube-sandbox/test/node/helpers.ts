// Shared fixtures for the node tests: a sandbox with the node component, waiting helpers, pods.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxClient } from '../../src/core/contracts.ts';
import type { KubeObject } from '../../src/core/types.ts';
import { prepareNode, type NodeHandle, type NodeOptions } from '../../src/node/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox.ts';

export const PODS = { group: '', version: 'v1', resource: 'pods' };
export const SERVICES = { group: '', version: 'v1', resource: 'services' };
export const ENDPOINTS = { group: '', version: 'v1', resource: 'endpoints' };
export const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
export const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
export const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
export const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' };
export const EVENTS = { group: '', version: 'v1', resource: 'events' };

export interface NodeFixture {
  sandbox: Sandbox;
  node: NodeHandle;
  client: SandboxClient;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startNodeSandbox(
  opts: Partial<Omit<NodeOptions, 'client' | 'apiServerUrl' | 'caPem' | 'dataDir'>> = {},
): Promise<NodeFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ksbx-node-'));
  let node: NodeHandle | undefined;
  const prepared = await prepareNode(
    { dataDir, backoffBaseMs: 500, backoffMaxMs: 4000, heartbeatSeconds: 2, ...opts },
    (n: NodeHandle) => (node = n),
  );
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      dataDir,
      port: 0,
      extraSANs: prepared.extraSANs,
      components: [prepared.component],
    });
  } catch (err) {
    prepared.release();
    throw err;
  }
  if (!node) throw new Error('node component did not start');
  const handle = node;
  return {
    sandbox,
    node: handle,
    client: sandbox.client,
    dataDir,
    stop: async () => {
      await sandbox.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until fn returns a truthy value; fails with the last value after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface StateView {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
}

export interface ContainerStatusView {
  name: string;
  state: StateView;
  lastState: StateView;
  restartCount: number;
  ready: boolean;
}

export type Status = {
  phase?: string;
  reason?: string;
  podIP?: string;
  conditions?: Array<{ type: string; status: string; reason?: string }>;
  containerStatuses?: ContainerStatusView[];
  initContainerStatuses?: ContainerStatusView[];
};

export async function podStatus(client: SandboxClient, ns: string, name: string): Promise<Status> {
  const p = await client.get(PODS, ns, name);
  return p?.status ?? {};
}

export function isReady(s: Status): boolean {
  return s.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

export function pod(
  name: string,
  spec: Record<string, unknown>,
  labels: Record<string, string> = {},
  ns = 'default',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { automountServiceAccountToken: false, terminationGracePeriodSeconds: 2, ...spec },
  };
}

/** Waits for a pod to reach Succeeded or Failed; on timeout the error carries its status, logs and events. */
export function podFinished(fx: NodeFixture, name: string, ns = 'default'): Promise<Status> {
  return podCondition(
    fx,
    name,
    'finish',
    (st) => st.phase === 'Succeeded' || st.phase === 'Failed',
    ns,
  );
}

/** Waits for a pod to be Ready (with diagnostics on timeout). */
export function podReady(fx: NodeFixture, name: string, ns = 'default'): Promise<Status> {
  return podCondition(fx, name, 'be Ready', isReady, ns);
}

async function podCondition(
  fx: NodeFixture,
  name: string,
  what: string,
  ok: (s: Status) => boolean,
  ns: string,
): Promise<Status> {
  try {
    return await waitFor(`${ns}/${name} to ${what}`, async () => {
      const st = await podStatus(fx.client, ns, name);
      return ok(st) ? st : undefined;
    });
  } catch (err) {
    const status = await podStatus(fx.client, ns, name);
    const logs = await readLogs(fx.node, ns, name).catch((e: unknown) => String(e));
    const events = (await fx.client.list(EVENTS, { namespace: ns })).items
      .filter((e) => (e.involvedObject as { name?: string }).name === name)
      .map((e) => `${String(e.reason)}: ${String(e.message)}`);
    throw new Error(
      `${(err as Error).message}\nstatus: ${JSON.stringify(status)}\nlogs: ${logs}\nevents: ${events.join('; ')}`,
    );
  }
}

export async function readLogs(
  node: NodeHandle,
  ns: string,
  name: string,
  opts: { container?: string; previous?: boolean } = {},
): Promise<string> {
  const stream = await node.podLogs(ns, name, opts);
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}
