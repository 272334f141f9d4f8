// The Node object, its heartbeat Lease, and scheduling for the single node: pure decisions (does a
// pod fit?) plus the writes (binding, FailedScheduling).
import { cpus, release, totalmem, hostname as osHostname } from 'node:os';
import type { SandboxClient } from '../core/contracts.ts';
import type { KubeObject } from '../core/types.ts';
import type { Obj } from './env.ts';
import { GVR } from './runtime.ts';

export const KUBELET_VERSION = 'v1.32.0-sandbox';

export function machineCapacity(): {
  cpu: string;
  memory: string;
  pods: string;
  'ephemeral-storage': string;
} {
  return {
    cpu: String(cpus().length),
    memory: `${String(Math.floor(totalmem() / 1024))}Ki`,
    pods: '110',
    'ephemeral-storage': '100Gi',
  };
}

export function nodeLabels(name: string): Record<string, string> {
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
    'node-role.kubernetes.io/control-plane': '',
  };
}

export function nodeObject(name: string, gatewayIp: string, now: string, ready = true): KubeObject {
  const capacity = machineCapacity();
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: nodeLabels(name) },
    spec: {},
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        cond(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
        ),
        ready
          ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : cond('Ready', 'False', 'KubeletNotReady', 'kube-sandbox node is stopping'),
      ],
      addresses: [
        { type: 'InternalIP', address: gatewayIp },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: release(),
        osImage: `kube-sandbox on ${osHostname()}`,
        containerRuntimeVersion: 'sandbox://0.1.0',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      },
    },
  };
}

/** Why a pod cannot run on the node, or undefined when it fits. Pure. */
export function unschedulableReason(pod: KubeObject, node: KubeObject): string | undefined {
  const spec = (pod.spec ?? {}) as Obj;
  const labels = node.metadata?.labels ?? {};
  const selector = (spec.nodeSelector ?? {}) as Record<string, string>;
  const mismatch = Object.entries(selector).some(([k, v]) => labels[k] !== v);
  const required = ((spec.affinity as Obj | undefined)?.nodeAffinity as Obj | undefined)
    ?.requiredDuringSchedulingIgnoredDuringExecution as { nodeSelectorTerms?: Obj[] } | undefined;
  const affinityOk =
    !required?.nodeSelectorTerms?.length ||
    required.nodeSelectorTerms.some((t) =>
      (
        (t.matchExpressions ?? []) as Array<{ key: string; operator: string; values?: string[] }>
      ).every((e) => {
        const v = labels[e.key];
        switch (e.operator) {
          case 'In':
            return v !== undefined && (e.values ?? []).includes(v);
          case 'NotIn':
            return v === undefined || !(e.values ?? []).includes(v);
          case 'Exists':
            return v !== undefined;
          case 'DoesNotExist':
            return v === undefined;
          default:
            return true;
        }
      }),
    );
  const taints = ((node.spec as Obj | undefined)?.taints ?? []) as Array<{
    key: string;
    value?: string;
    effect: string;
  }>;
  const tolerations = (spec.tolerations ?? []) as Array<{
    key?: string;
    operator?: string;
    value?: string;
    effect?: string;
  }>;
  const untolerated = taints.filter(
    (t) =>
      t.effect !== 'PreferNoSchedule' &&
      !tolerations.some(
        (tol) =>
          (tol.effect === undefined || tol.effect === '' || tol.effect === t.effect) &&
          (tol.operator === 'Exists'
            ? tol.key === undefined || tol.key === '' || tol.key === t.key
            : tol.key === t.key && (tol.value ?? '') === (t.value ?? '')),
      ),
  );
  const reasons: string[] = [];
  if (mismatch || !affinityOk) reasons.push("1 node(s) didn't match Pod's node affinity/selector");
  if (untolerated.length)
    reasons.push(
      `1 node(s) had untolerated taint {${untolerated[0]?.key ?? ''}: ${untolerated[0]?.value ?? ''}}`,
    );
  if (reasons.length === 0) return undefined;
  return `0/1 nodes are available: ${reasons.join(', ')}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.`;
}

export async function bindPod(
  client: SandboxClient,
  pod: KubeObject,
  nodeName: string,
): Promise<void> {
  const meta = pod.metadata ?? {};
  try {
    await client.create(
      GVR.pods,
      {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: meta.name, namespace: meta.namespace, uid: meta.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      },
      { subresource: 'binding' },
    );
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === 404 || code === 409) return;
    throw err;
  }
}

export async function markUnschedulable(
  client: SandboxClient,
  pod: KubeObject,
  message: string,
): Promise<void> {
  const meta = pod.metadata ?? {};
  const existing = (
    ((pod.status as Obj | undefined)?.conditions ?? []) as Array<{ type: string; message?: string }>
  ).find((c) => c.type === 'PodScheduled');
  if (existing?.message === message) return;
  await client.patch(
    GVR.pods,
    meta.namespace,
    meta.name ?? '',
    'merge',
    {
      status: {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message,
            lastProbeTime: null,
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      },
    },
    { subresource: 'status' },
  );
}

/** Creates or refreshes the Node and renews its Lease. */
export async function heartbeat(
  client: SandboxClient,
  name: string,
  gatewayIp: string,
  leaseSeconds: number,
  updateNode = true,
): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const desired = nodeObject(name, gatewayIp, now);
  const existing = await client.get(GVR.nodes, undefined, name);
  if (existing && !updateNode) {
    // like the kubelet: the Lease is the heartbeat; the Node status is rewritten less often
  } else if (!existing) {
    const created = await client.create(GVR.nodes, desired);
    await client
      .patch(
        GVR.nodes,
        undefined,
        name,
        'merge',
        { status: desired.status },
        { subresource: 'status' },
      )
      .catch(() => created);
  } else {
    // keep transition times of unchanged conditions
    const prev = ((existing.status as Obj | undefined)?.conditions ?? []) as Array<{
      type: string;
      status: string;
      lastTransitionTime?: string;
    }>;
    const status = desired.status as Obj;
    status.conditions = (
      status.conditions as Array<{ type: string; status: string; lastTransitionTime: string }>
    ).map((c) => {
      const p = prev.find((x) => x.type === c.type);
      return p && p.status === c.status && p.lastTransitionTime
        ? { ...c, lastTransitionTime: p.lastTransitionTime }
        : c;
    });
    await client.patch(GVR.nodes, undefined, name, 'merge', { status }, { subresource: 'status' });
  }
  const micro = new Date().toISOString().replace('Z', '000Z');
  const lease = await client.get(GVR.leases, 'kube-node-lease', name);
  if (!lease) {
    await client.create(GVR.leases, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: leaseSeconds, renewTime: micro },
    });
  } else {
    await client.patch(GVR.leases, 'kube-node-lease', name, 'merge', {
      spec: { holderIdentity: name, leaseDurationSeconds: leaseSeconds, renewTime: micro },
    });
  }
}

export async function markNodeNotReady(
  client: SandboxClient,
  name: string,
  gatewayIp: string,
): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.patch(
    GVR.nodes,
    undefined,
    name,
    'merge',
    { status: nodeObject(name, gatewayIp, now, false).status },
    { subresource: 'status' },
  );
}
