// kube-sandbox's node agent: a kubelet that runs each pod's containers as host processes in their
// own network, mount and UTS namespaces, plus cluster DNS, the Service proxy and the chaos API.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type {
  PodLogProvider as ServerPodLogProvider,
  SandboxClient,
  SandboxComponent,
  SandboxComponentContext,
} from '../core/contracts.ts';
import { errors } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import { ObjectCache } from './cache.ts';
import { detectMemoryCgroup, removeCgroupTree } from './cgroups.ts';
import { startDnsServer } from './dns.ts';
import { parseQuantity, type Obj } from './env.ts';
import { run } from './exec.ts';
import { loadImageMap } from './images.ts';
import { readLogFile, type PodLogOptions, type PodLogProvider } from './logs.ts';
import {
  IpPool,
  releaseNodeNetwork,
  reserveNodeNetwork,
  setupBridge,
  setVethUp,
  teardownNetwork,
  type NodeNetwork,
} from './network.ts';
import {
  bindPod,
  heartbeat,
  machineCapacity,
  markUnschedulable,
  nodeObject,
  unschedulableReason,
} from './node-object.ts';
import { PodRunner } from './pod-runner.ts';
import { GVR, type RuntimeContext } from './runtime.ts';
import { ServiceProxy, serviceRules } from './service-proxy.ts';
import { cleanupLeftovers, sweepStaleClaims, writeState } from './state.ts';
import { processStartTime } from './network.ts';
import { wireNodeIntoServer } from './server-wiring.ts';

export type { PodLogOptions, PodLogProvider } from './logs.ts';
export type { NodeNetwork } from './network.ts';
export { reserveNodeNetwork, releaseNodeNetwork } from './network.ts';
export { cleanupLeftovers } from './state.ts';
export { CHAOS_ACTIONS, parseChaosRequest, execProvider } from './server-wiring.ts';
export type { ChaosAction, ChaosRequest } from './server-wiring.ts';
export { loadImageMap, resolveImage, DEFAULT_IMAGE_MAP } from './images.ts';

export const NODE_NAME = 'sandbox-node';

export interface NodeOptions {
  client: SandboxClient;
  dataDir: string;
  /** The API server URL (its port is what pods reach at the gateway IP). */
  apiServerUrl: string;
  caPem: string;
  /** A network reserved before the API server started (its gatewayIp belongs in the cert SANs). */
  network?: NodeNetwork;
  nodeName?: string;
  /** Extra image map files (after the default, before $KUBE_SANDBOX_IMAGES). */
  imageMaps?: string[];
  /** CrashLoopBackOff: base delay (10 s), cap (5 min), reset after a run this long (10 min). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  backoffResetMs?: number;
  /** Node status and Lease renewal period (10 s). */
  heartbeatSeconds?: number;
  log?: (message: string) => void;
  /** Token issuer for service-account volumes (the component context's issueServiceAccountToken). */
  issueServiceAccountToken?: RuntimeContext['issueToken'];
}

export interface NodeChaos {
  /** Kills a container's processes (default SIGKILL, all containers when none is named); restarts follow the policy. */
  killContainer(
    namespace: string,
    pod: string,
    container?: string,
    signal?: NodeJS.Signals,
  ): Promise<void>;
  deletePod(namespace: string, pod: string, gracePeriodSeconds?: number): Promise<void>;
  freezePod(namespace: string, pod: string): Promise<void>;
  thawPod(namespace: string, pod: string): Promise<void>;
  cutNetwork(namespace: string, pod: string): Promise<void>;
  healNetwork(namespace: string, pod: string): Promise<void>;
  /** Deletes every file in the volume bound to a PVC. */
  wipePvc(namespace: string, claim: string): Promise<void>;
}

export interface NodeHandle {
  nodeName: string;
  gatewayIp: string;
  network: NodeNetwork;
  /** Network namespace holding the ClusterIPs: `ip netns exec <svcNetns> curl http://<clusterIP>` reaches Services from the host. */
  svcNetns: string;
  podLogs: PodLogProvider;
  chaos: NodeChaos;
  /**
   * Runs a command in a running container like `kubectl exec` (no terminal): container defaults to
   * the first; stdin from `input`. Rejects with a StatusError when the container is not running.
   */
  exec(
    namespace: string,
    pod: string,
    command: string[],
    opts?: { container?: string; input?: string | Buffer; timeoutMs?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Host-side facts about a running pod (tests): netns name, IP, pids. */
  podInfo(namespace: string, name: string): ReturnType<PodRunner['info']> | undefined;
  stop(): Promise<void>;
}

/** Whether this machine can run the node (root + namespaces + tools); the CLI prints `why` otherwise. */
export function nodeSupport(): { ok: boolean; why?: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'the kube-sandbox node needs Linux' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return {
      ok: false,
      why: 'the kube-sandbox node needs root (network and mount namespaces); running API-only',
    };
  }
  for (const tool of [
    '/usr/sbin/ip',
    '/usr/bin/nsenter',
    '/usr/bin/unshare',
    '/usr/bin/mount',
    '/usr/sbin/chroot',
  ]) {
    if (!existsSync(tool) && !existsSync(tool.replace('/usr/sbin/', '/sbin/'))) {
      return {
        ok: false,
        why: `the kube-sandbox node needs ${tool} (iproute2/util-linux/coreutils); running API-only`,
      };
    }
  }
  if (!existsSync('/proc/self/ns/net') || !existsSync('/proc/self/ns/mnt')) {
    return { ok: false, why: 'the kernel has no network/mount namespaces; running API-only' };
  }
  return { ok: true };
}

function apiPort(url: string): number {
  const u = new URL(url);
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}

/** Lets pods reach an API server bound to loopback: gateway:port -> 127.0.0.1:port. */
async function apiForwarder(
  gatewayIp: string,
  port: number,
  targetHost: string,
): Promise<Server | undefined> {
  const server = createServer((client) => {
    const up = connect({ host: targetHost, port });
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    client.pipe(up);
    up.pipe(client);
  });
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined)); // already served there (API server on 0.0.0.0)
    server.listen(port, gatewayIp, () => {
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

export async function startNode(opts: NodeOptions): Promise<NodeHandle> {
  const support = nodeSupport();
  if (!support.ok) throw new Error(support.why);
  const log = opts.log ?? (() => undefined);
  const client = opts.client;
  const nodeName = opts.nodeName ?? NODE_NAME;
  if (!opts.network) await sweepStaleClaims();
  await cleanupLeftovers(opts.dataDir);
  const images = loadImageMap(opts.imageMaps ?? []);
  const net = opts.network ?? (await reserveNodeNetwork(opts.dataDir));
  const podsDir = join(opts.dataDir, 'node', 'pods');
  const shmDir = `/dev/shm/kube-sandbox-${String(net.index)}`;
  mkdirSync(podsDir, { recursive: true });
  const cg = detectMemoryCgroup();
  const cgroupDir = cg.ok && cg.base ? join(cg.base, `ksbx${String(net.index)}`) : undefined;
  if (cgroupDir) mkdirSync(cgroupDir, { recursive: true });
  else log(`node: ${cg.why ?? 'no memory cgroup'}; memory limits are not enforced`);

  const runners = new Map<string, PodRunner>();
  let proxy: ServiceProxy | undefined;
  const startTime = processStartTime(process.pid) ?? '';
  const persist = () => {
    writeState(opts.dataDir, {
      pid: process.pid,
      startTime,
      index: net.index,
      ...(cgroupDir ? { cgroupDir } : {}),
      shmDir,
      ...(proxy?.agentPid ? { agentPid: proxy.agentPid } : {}),
      processes: [...runners.values()].flatMap((r) =>
        r.info().pids.map((pid) => ({ pid, startTime: processStartTime(pid) ?? '' })),
      ),
    });
  };
  persist();

  const caches = {
    pods: new ObjectCache(client, GVR.pods),
    services: new ObjectCache(client, GVR.services),
    endpoints: new ObjectCache(client, GVR.endpoints),
    configmaps: new ObjectCache(client, GVR.configmaps),
    secrets: new ObjectCache(client, GVR.secrets),
    serviceaccounts: new ObjectCache(client, GVR.serviceaccounts),
  };
  const capacity = machineCapacity();
  const ctx: RuntimeContext = {
    client,
    net,
    nodeName,
    images,
    podsDir,
    shmDir,
    cgroupDir,
    caPem: opts.caPem,
    ipPool: new IpPool(net.prefix),
    backoff: {
      baseMs: opts.backoffBaseMs ?? 10_000,
      maxMs: opts.backoffMaxMs ?? 300_000,
      resetAfterMs: opts.backoffResetMs ?? 600_000,
    },
    allocatable: { cpu: parseQuantity(capacity.cpu), memory: parseQuantity(capacity.memory) },
    configMap: (ns, n) => caches.configmaps.get(ns, n),
    secret: (ns, n) => caches.secrets.get(ns, n),
    serviceAccount: (ns, n) => caches.serviceaccounts.get(ns, n),
    servicesFor: (ns) =>
      caches.services
        .list()
        .filter(
          (s) =>
            s.metadata?.namespace === ns ||
            (s.metadata?.namespace === 'default' && s.metadata.name === 'kubernetes'),
        ),
    event: (obj, type, reason, message) =>
      void emitEvent(client, nodeName, obj, type, reason, message, log),
    persist,
    log,
    issueToken: opts.issueServiceAccountToken,
  };

  let stopping = false;
  let failed: unknown;
  const cleanupOnFailure = async () => {
    for (const c of Object.values(caches)) c.stop();
    await proxy?.stop();
    await teardownNetwork(net);
    releaseNodeNetwork(net);
  };

  try {
    await setupBridge(net);
    proxy = new ServiceProxy(net, log);
    await proxy.start();
    persist();
  } catch (err) {
    await cleanupOnFailure();
    throw err;
  }

  // The API server as pods see it: the `kubernetes` Service forwards to gateway:port.
  const port = apiPort(opts.apiServerUrl);
  const apiHost = new URL(opts.apiServerUrl).hostname.replace(/^\[|\]$/g, '');
  const forwarder = await apiForwarder(
    net.gatewayIp,
    port,
    apiHost === 'localhost' ? '127.0.0.1' : apiHost,
  );

  const applyProxy = () => {
    if (stopping || !proxy) return;
    void proxy.apply(
      serviceRules(caches.services.list(), (ns, n) => caches.endpoints.get(ns, n), {
        ip: net.gatewayIp,
        port,
      }),
    );
  };
  caches.services.onChange(applyProxy);
  caches.endpoints.onChange(applyProxy);

  // Scheduling and pod lifecycle, driven by the pod cache.
  const scheduling = new Set<string>();
  const nodeForScheduling = () => nodeObject(nodeName, net.gatewayIp, '');
  const onPod = (type: string, pod: KubeObject) => {
    if (stopping) return;
    const meta = pod.metadata ?? {};
    const uid = meta.uid ?? '';
    const spec = (pod.spec ?? {}) as Obj;
    const runner = runners.get(uid);
    if (type === 'DELETED') {
      if (runner) {
        runners.delete(uid);
        void runner.kill().then(persist);
      }
      return;
    }
    if (!spec.nodeName) {
      if (meta.deletionTimestamp || scheduling.has(uid)) return;
      const why = unschedulableReason(pod, nodeForScheduling());
      scheduling.add(uid);
      const work = why
        ? markUnschedulable(client, pod, why).then(() =>
            ctx.event(pod, 'Warning', 'FailedScheduling', why),
          )
        : bindPod(client, pod, nodeName).then(() =>
            ctx.event(
              pod,
              'Normal',
              'Scheduled',
              `Successfully assigned ${meta.namespace ?? ''}/${meta.name ?? ''} to ${nodeName}`,
            ),
          );
      void work
        .catch((err: unknown) =>
          log(`node: scheduling ${meta.namespace ?? ''}/${meta.name ?? ''}: ${String(err)}`),
        )
        .finally(() => scheduling.delete(uid));
      return;
    }
    if (spec.nodeName !== nodeName) return;
    if (runner) {
      runner.update(pod);
      return;
    }
    if (meta.deletionTimestamp) {
      // never ran here (or ran before a restart): nothing to stop, finish the deletion
      void client
        .delete(GVR.pods, meta.namespace, meta.name ?? '', {
          gracePeriodSeconds: 0,
          preconditions: { uid },
        })
        .catch(() => undefined);
      return;
    }
    const phase = (pod.status as Obj | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const r = new PodRunner(ctx, pod);
    runners.set(uid, r);
    r.kick();
  };
  caches.pods.onChange(onPod);

  let heartbeatTimer: NodeJS.Timeout | undefined;
  let dns: Awaited<ReturnType<typeof startDnsServer>> | undefined;
  try {
    for (const c of [
      caches.configmaps,
      caches.secrets,
      caches.serviceaccounts,
      caches.services,
      caches.endpoints,
    ]) {
      await c.start();
    }
    dns = await startDnsServer(net.gatewayIp, 53, {
      services: () => caches.services.list(),
      endpoints: (ns, n) => caches.endpoints.get(ns, n),
      pods: (ns) => caches.pods.list(ns),
    });
    const hb = opts.heartbeatSeconds ?? 10;
    let beats = 0;
    await heartbeat(client, nodeName, net.gatewayIp, 40);
    heartbeatTimer = setInterval(() => {
      beats++;
      // Node status every minute (or so), the Lease every beat
      const updateNode = beats % Math.max(1, Math.round(60 / hb)) === 0;
      heartbeat(client, nodeName, net.gatewayIp, 40, updateNode).catch((err: unknown) =>
        log(`node: heartbeat: ${String(err)}`),
      );
    }, hb * 1000);
    await caches.pods.start();
    applyProxy();
  } catch (err) {
    failed = err;
  }
  if (failed) {
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    await dns?.stop();
    forwarder?.close();
    await cleanupOnFailure();
    throw failed;
  }

  const findRunner = (ns: string, name: string): PodRunner | undefined => {
    for (const r of runners.values()) if (r.key === `${ns}/${name}`) return r;
    return undefined;
  };
  const mustFind = (ns: string, name: string): PodRunner => {
    const r = findRunner(ns, name);
    if (!r) throw errors.notFound('pods', '', name);
    return r;
  };

  const podLogs: PodLogProvider = (ns, name, o: PodLogOptions): Promise<Readable> => {
    const r = findRunner(ns, name);
    // the runner's copy first: the cache may not have seen a pod the server just created
    const pod = r?.pod ?? caches.pods.get(ns, name);
    if (!pod) return Promise.reject(errors.notFound('pods', '', name));
    const spec = (pod.spec ?? {}) as Obj;
    const names = ((spec.containers ?? []) as Obj[]).map((c) => String(c.name));
    const initNames = ((spec.initContainers ?? []) as Obj[]).map((c) => String(c.name));
    let container = o.container;
    if (!container) {
      if (names.length !== 1) {
        return Promise.reject(
          errors.badRequest(
            `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]${initNames.length ? ` or one of the init containers: [${initNames.join(' ')}]` : ''}`,
          ),
        );
      }
      container = names[0] ?? '';
    }
    if (!names.includes(container) && !initNames.includes(container)) {
      return Promise.reject(
        errors.badRequest(`container ${container} is not valid for pod ${name}`),
      );
    }
    const file = r?.logPath(container, o.previous === true);
    if (!file || !existsSync(file.path)) {
      if (o.previous) {
        return Promise.reject(
          errors.badRequest(
            `previous terminated container "${container}" in pod "${name}" not found`,
          ),
        );
      }
      return Promise.reject(
        errors.badRequest(
          `container "${container}" in pod "${name}" is waiting to start: ContainerCreating`,
        ),
      );
    }
    return Promise.resolve(readLogFile(file.path, o, file.running));
  };

  const chaos: NodeChaos = {
    async killContainer(ns, pod, container, signal = 'SIGKILL') {
      const r = mustFind(ns, pod);
      const names = container ? [container] : r.containerNames();
      for (const n of names) {
        if (!(await r.killContainer(n, signal)))
          throw errors.badRequest(`container ${n} of pod ${ns}/${pod} is not running`);
      }
    },
    async deletePod(ns, pod, gracePeriodSeconds) {
      await client.delete(
        GVR.pods,
        ns,
        pod,
        gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds },
      );
    },
    freezePod(ns, pod) {
      mustFind(ns, pod).signalAll('SIGSTOP');
      return Promise.resolve();
    },
    thawPod(ns, pod) {
      mustFind(ns, pod).signalAll('SIGCONT');
      return Promise.resolve();
    },
    async cutNetwork(ns, pod) {
      await setVethUp(mustFind(ns, pod).veth, false);
    },
    async healNetwork(ns, pod) {
      await setVethUp(mustFind(ns, pod).veth, true);
    },
    async wipePvc(ns, claim) {
      const pvc = await client.get(GVR.pvcs, ns, claim);
      if (!pvc) throw errors.notFound('persistentvolumeclaims', '', claim);
      const volumeName = (pvc.spec as Obj | undefined)?.volumeName as string | undefined;
      const pv = volumeName ? await client.get(GVR.pvs, undefined, volumeName) : undefined;
      const spec = (pv?.spec ?? {}) as Obj;
      const path = ((spec.hostPath ?? spec.local) as { path?: string } | undefined)?.path;
      if (!path)
        throw errors.badRequest(
          `persistentvolumeclaim ${ns}/${claim} is not bound to a local volume`,
        );
      // empty the directory in place: running pods keep their bind mount of it
      const r = await run('/usr/bin/find', [path, '-mindepth', '1', '-delete']);
      if (r.code !== 0) throw errors.internal(`wiping ${path}: ${r.stderr.trim()}`);
    },
  };

  return {
    nodeName,
    gatewayIp: net.gatewayIp,
    network: net,
    svcNetns: net.svcNetns,
    podLogs,
    chaos,
    podInfo: (ns, name) => findRunner(ns, name)?.info(),
    exec: (ns, name, command, o = {}) => {
      const r = findRunner(ns, name);
      if (!r) return Promise.reject(errors.notFound('pods', '', name));
      const container = o.container ?? r.containerNames()[0] ?? '';
      const running = r.exec(container, command, o.timeoutMs ?? 60_000, o.input);
      if (!running) {
        return Promise.reject(
          errors.badRequest(`container ${container} is not running in pod ${ns}/${name}`),
        );
      }
      return running;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      for (const c of Object.values(caches)) c.stop();
      await Promise.all([...runners.values()].map((r) => r.kill()));
      runners.clear();
      await dns?.stop();
      forwarder?.close();
      await proxy?.stop();
      await teardownNetwork(net);
      if (cgroupDir) removeCgroupTree(cgroupDir);
      rmSync(shmDir, { recursive: true, force: true });
      releaseNodeNetwork(net);
      rmSync(join(opts.dataDir, 'node', 'state.json'), { force: true });
    },
  };
}

/** A chaos HTTP route body -> call (for the server's admin endpoint POST /sandbox/chaos/<action>). */
export async function runChaosAction(
  chaos: NodeChaos,
  action: string,
  body: {
    namespace?: string;
    pod?: string;
    container?: string;
    signal?: string;
    claim?: string;
    gracePeriodSeconds?: number;
  },
): Promise<void> {
  const ns = body.namespace ?? 'default';
  const pod = body.pod ?? '';
  switch (action) {
    case 'kill':
      return chaos.killContainer(
        ns,
        pod,
        body.container,
        (body.signal ?? 'SIGKILL') as NodeJS.Signals,
      );
    case 'delete':
      return chaos.deletePod(ns, pod, body.gracePeriodSeconds);
    case 'freeze':
      return chaos.freezePod(ns, pod);
    case 'thaw':
      return chaos.thawPod(ns, pod);
    case 'cut-network':
      return chaos.cutNetwork(ns, pod);
    case 'heal-network':
      return chaos.healNetwork(ns, pod);
    case 'wipe-pvc':
      return chaos.wipePvc(ns, body.claim ?? '');
    default:
      throw errors.badRequest(
        `unknown chaos action ${JSON.stringify(action)}: use kill, delete, freeze, thaw, cut-network, heal-network or wipe-pvc`,
      );
  }
}

let eventSeq = 0;
async function emitEvent(
  client: SandboxClient,
  nodeName: string,
  obj: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  log: (m: string) => void,
): Promise<void> {
  const meta = obj.metadata ?? {};
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  try {
    await client.create(GVR.events, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${meta.name ?? 'object'}.${Date.now().toString(16)}${(eventSeq++).toString(16)}`,
        namespace: meta.namespace ?? 'default',
      },
      involvedObject: {
        apiVersion: obj.apiVersion ?? 'v1',
        kind: obj.kind ?? 'Pod',
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      reason,
      message,
      type,
      source: {
        component:
          reason === 'FailedScheduling' || reason === 'Scheduled' ? 'default-scheduler' : 'kubelet',
        host: nodeName,
      },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent:
        reason === 'FailedScheduling' || reason === 'Scheduled' ? 'default-scheduler' : 'kubelet',
      reportingInstance: nodeName,
    });
  } catch (err) {
    log(`node: event ${reason}: ${(err as Error).message}`);
  }
}

/** Adapts the node's log reader to the server's PodLogProvider contract (core/contracts.ts). */
export function serverLogProvider(node: Pick<NodeHandle, 'podLogs'>): ServerPodLogProvider {
  return async (req) => {
    const name = req.pod.metadata?.name ?? '';
    const stream = await node
      .podLogs(req.namespace, name, {
        container: req.container,
        follow: req.follow,
        previous: req.previous,
        timestamps: req.timestamps,
        ...(req.tailLines !== undefined ? { tailLines: req.tailLines } : {}),
        ...(req.sinceSeconds !== undefined ? { sinceSeconds: req.sinceSeconds } : {}),
        ...(req.limitBytes !== undefined ? { limitBytes: req.limitBytes } : {}),
      })
      .catch((err: unknown) => {
        // the server found the pod; the node has not seen it yet
        if ((err as { code?: number }).code === 404) {
          throw errors.badRequest(
            `container "${req.container}" in pod "${name}" is waiting to start: ContainerCreating`,
          );
        }
        throw err;
      });
    req.signal.addEventListener('abort', () => stream.destroy(), { once: true });
    return stream as AsyncIterable<Uint8Array | string>;
  };
}

export interface PreparedNode {
  /** Add to startSandbox's extraSANs: pods reach the API server at the gateway IP. */
  extraSANs: string[];
  network: NodeNetwork;
  /** Add to startSandbox's components. */
  component: SandboxComponent;
  /** Releases the network claim when the sandbox never started. */
  release(): void;
}

/**
 * Call before startSandbox: cleans a crashed predecessor's leftovers, claims the subnet (so the
 * gateway IP can go into the serving certificate) and returns the component that starts the node.
 */
export async function prepareNode(
  opts: Omit<NodeOptions, 'client' | 'apiServerUrl' | 'caPem' | 'network'>,
  onStarted?: (node: NodeHandle) => void,
): Promise<PreparedNode> {
  await sweepStaleClaims();
  await cleanupLeftovers(opts.dataDir);
  const network = await reserveNodeNetwork(opts.dataDir);
  const component: SandboxComponent = async (ctx) => {
    ctx.enableGracefulPodDeletion();
    const node = await startNode({
      ...opts,
      client: ctx.client,
      apiServerUrl: ctx.server,
      caPem: ctx.caPem,
      network,
      issueServiceAccountToken: ctx.issueServiceAccountToken,
    });
    wireNode(ctx, node);
    onStarted?.(node);
    return node;
  };
  return {
    extraSANs: [network.gatewayIp],
    network,
    component,
    release: () => releaseNodeNetwork(network),
  };
}

/**
 * The node as a plain sandbox component (what the CLI loads): claims its own subnet, so the
 * gateway IP is not in the serving certificate; pods still verify the server, as they reach it at
 * the `kubernetes` Service IP 10.96.0.1, which is. Without root it logs why and runs nothing.
 */
export const nodeComponent: SandboxComponent = async (ctx) => {
  const support = nodeSupport();
  if (!support.ok) {
    process.stderr.write(`kube-sandbox: no node: ${support.why ?? ''}\n`);
    return { stop: () => Promise.resolve() };
  }
  ctx.enableGracefulPodDeletion();
  const node = await startNode({
    client: ctx.client,
    dataDir: ctx.dataDir,
    apiServerUrl: ctx.server,
    caPem: ctx.caPem,
    issueServiceAccountToken: ctx.issueServiceAccountToken,
  });
  wireNode(ctx, node);
  return node;
};

/** Logs, `kubectl exec` and POST /sandbox/chaos/<action> through the API server. */
function wireNode(ctx: SandboxComponentContext, node: NodeHandle): void {
  wireNodeIntoServer(ctx, node, serverLogProvider(node), (action, req) =>
    runChaosAction(node.chaos, action, req),
  );
}
