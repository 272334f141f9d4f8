// Shared fixtures for the node tests: a sandbox with the node component, waiting helpers, pods.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxClient } from '../../src/core/contracts.ts';
import { prepareNode, type NodeHandle, type NodeOptions } from '../../src/node/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox.ts';
import { pod, readLogs, waitFor } from '../support/pods.ts';

export { pod, readLogs, waitFor };

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

/** Creates a Retain hostPath PV at `dir` (1Gi, RWO) and a claim pre-bound to it by volumeName. */
export async function createHostPathClaim(
  fx: NodeFixture,
  pvName: string,
  claimName: string,
  dir: string,
  claimSpec: Record<string, unknown> = {},
): Promise<void> {
  await fx.client.create(PVS, {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: pvName },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      hostPath: { path: dir },
      persistentVolumeReclaimPolicy: 'Retain',
    },
  });
  await fx.client.create(PVCS, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claimName, namespace: 'default' },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      volumeName: pvName,
      ...claimSpec,
    },
  });
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
