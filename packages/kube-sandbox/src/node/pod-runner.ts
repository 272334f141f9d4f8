// One pod on the node: its network namespace, volumes and kubelet files, init containers then
// containers as real processes, restarts with backoff, probes, hooks, status, and termination.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../core/types.ts';
import { ContainerCgroup } from './cgroups.ts';
import { buildEnv, commandLine, ContainerConfigError, parseQuantity, type Obj } from './env.ts';
import { signalNumber, type RunResult } from './exec.ts';
import { parseImageUser, resolveImage, type ImageEntry } from './images.ts';
import { LogWriter } from './logs.ts';
import { createNetns, deleteNetns, podNetnsName, podVethName } from './network.ts';
import {
  hostsFile,
  podConditions,
  podPhase,
  qosClass,
  resolvConf,
  restartDelay,
  shouldRestart,
  withTransitions,
  type Condition,
  type ContainerState,
  type ContainerView,
} from './pod-status.ts';
import { execInContainer, Prober, runAction, type ActionTarget } from './probes.ts';
import { Forwarder, type ProxyRule } from './proxy-agent.ts';
import { renderLaunchScript, type BindMount } from './rootfs.ts';
import { GVR, type RuntimeContext } from './runtime.ts';
import {
  applyFsGroup,
  KUBE_API_ACCESS,
  needsServiceAccountVolume,
  PodVolumes,
  SA_MOUNT_PATH,
  VolumeNotReady,
} from './volumes.ts';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface RunningProcess {
  child: ChildProcess;
  pid: number;
  startedAt: string;
  startedMs: number;
  logs: LogWriter;
  /** Resolves when the container's stdout and stderr reached their end. */
  outputDone: Promise<void>;
  cgroup: ContainerCgroup | undefined;
  oomBefore: number;
  target: ActionTarget;
  marker: string;
  exited: Promise<void>;
  /** Why the kubelet itself killed it (liveness, startup), for events. */
  killedBy?: string;
}

class Container {
  readonly spec: Obj;
  readonly init: boolean;
  readonly sidecar: boolean;
  readonly name: string;
  image: ImageEntry | undefined;
  restartCount = 0;
  /** Restarts since the last long run, for backoff. */
  crashesInRow = 0;
  state: ContainerState;
  lastState: ContainerState | undefined;
  ready = false;
  started = false;
  proc: RunningProcess | undefined;
  backoffUntil = 0;
  probers: Prober[] = [];
  /** Set once an init container exited 0; a regular container that must not run again. */
  done = false;
  containerID = '';

  constructor(spec: Obj, init: boolean) {
    this.spec = spec;
    // a native sidecar (init container with restartPolicy Always) runs alongside the containers
    this.sidecar = init && spec.restartPolicy === 'Always';
    this.init = init && !this.sidecar;
    this.name = String(spec.name);
    this.state = { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } };
  }
}

/** A chaos or status hook view of a running pod. */
export interface PodRuntimeInfo {
  netns: string;
  veth: string;
  podIP: string;
  pids: number[];
  cgroups: string[];
  shmDir: string;
}

export class PodRunner {
  readonly key: string;
  readonly uid: string;
  readonly #ctx: RuntimeContext;
  #pod: KubeObject;
  readonly #dir: string;
  readonly #shmDir: string;
  readonly #init: Container[];
  readonly #containers: Container[];
  readonly #volumes: PodVolumes;
  #netns: string;
  #veth: string;
  #podIP = '';
  #sandboxReady = false;
  #setupDone = false;
  #withSA = false;
  #startTime: string | undefined;
  #lastStatus = '';
  #conditions: Condition[] | undefined;
  #syncing = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #due = 0;
  #refreshTimer: NodeJS.Timeout | undefined;
  #terminating: Promise<void> | undefined;
  #gone = false;
  #lastSetupError = '';
  #limitsWarned = false;
  /** Set when the kubelet itself failed the pod (activeDeadlineSeconds). */
  #failedReason: { reason: string; message: string } | undefined;
  /** hostPort mappings: node IP:hostPort -> pod IP:containerPort. */
  #hostPorts: Forwarder | undefined;

  constructor(ctx: RuntimeContext, pod: KubeObject) {
    this.#ctx = ctx;
    this.#pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    this.#dir = join(ctx.podsDir, this.uid);
    this.#shmDir = join(ctx.shmDir, this.uid);
    const spec = pod.spec as Obj;
    this.#init = ((spec.initContainers ?? []) as Obj[]).map((c) => new Container(c, true));
    this.#containers = ((spec.containers ?? []) as Obj[]).map((c) => new Container(c, false));
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getter below reads the live pod IP
    const runner = this;
    this.#volumes = new PodVolumes(() => this.#pod, this.#dir, this.#shmDir, {
      configMap: (ns, n) => ctx.configMap(ns, n),
      secret: (ns, n) => ctx.secret(ns, n),
      pvc: (ns, n) => ctx.client.get(GVR.pvcs, ns, n),
      pv: (n) => ctx.client.get(GVR.pvs, undefined, n),
      token: (a) => this.#requestToken(a),
      caPem: ctx.caPem,
      get podIP() {
        return runner.#podIP;
      },
      hostIP: ctx.net.gatewayIp,
      nodeAllocatable: ctx.allocatable,
    });
    this.#netns = podNetnsName(ctx.net, this.uid);
    this.#veth = podVethName(ctx.net, this.uid);
  }

  get pod(): KubeObject {
    return this.#pod;
  }

  get podIP(): string {
    return this.#podIP;
  }

  info(): PodRuntimeInfo {
    const all = [...this.#init, ...this.#containers];
    return {
      netns: this.#netns,
      veth: this.#veth,
      podIP: this.#podIP,
      pids: all.flatMap((c) => (c.proc ? [c.proc.pid] : [])),
      cgroups: all.flatMap((c) => (c.proc?.cgroup ? [c.proc.cgroup.path] : [])),
      shmDir: this.#shmDir,
    };
  }

  /** Log file of a container run: current or previous. */
  logPath(
    container: string,
    previous: boolean,
  ): { path: string; running: () => boolean } | undefined {
    const c = [...this.#containers, ...this.#init].find((x) => x.name === container);
    if (!c) return undefined;
    const n = previous ? c.restartCount - 1 : c.restartCount;
    if (n < 0) return undefined;
    const run = c.proc;
    const path = join(this.#dir, 'logs', container, `${String(n)}.log`);
    return {
      path,
      running: () => !previous && c.proc !== undefined && c.proc === run,
    };
  }

  containerNames(): string[] {
    return this.#containers.map((c) => c.name);
  }

  update(pod: KubeObject): void {
    this.#pod = pod;
    this.kick();
  }

  /** Schedules a sync soon (coalesced). */
  kick(delayMs = 0): void {
    if (this.#gone) return;
    const due = Date.now() + delayMs;
    if (this.#timer) {
      if (this.#due <= due) return;
      clearTimeout(this.#timer);
    }
    this.#due = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#sync();
    }, delayMs);
  }

  async #sync(): Promise<void> {
    if (this.#syncing) {
      this.#again = true;
      return;
    }
    this.#syncing = true;
    try {
      do {
        this.#again = false;
        await this.#syncOnce();
      } while (this.#again && !this.#gone);
    } catch (err) {
      this.#ctx.log(`pod ${this.key}: sync failed: ${(err as Error).stack ?? String(err)}`);
      this.kick(2000);
    } finally {
      this.#syncing = false;
    }
  }

  async #syncOnce(): Promise<void> {
    if (this.#gone) return;
    if (this.#pod.metadata?.deletionTimestamp) {
      await this.terminateAndDelete();
      return;
    }
    if (!this.#setupDone) {
      const ok = await this.#setup();
      if (!ok) {
        await this.#writeStatus();
        return;
      }
    }
    if (await this.#deadlineExceeded()) return;
    await this.#runContainers();
    await this.#releaseFinishedSandbox();
    await this.#writeStatus();
  }

  /** spec.activeDeadlineSeconds: past it, the kubelet stops the pod and fails it. */
  async #deadlineExceeded(): Promise<boolean> {
    if (this.#failedReason) return true;
    const deadline = (this.#pod.spec as Obj).activeDeadlineSeconds;
    if (typeof deadline !== 'number' || !this.#startTime) return false;
    const due = Date.parse(this.#startTime) + deadline * 1000;
    if (Date.now() < due) {
      this.kick(due - Date.now() + 5);
      return false;
    }
    this.#failedReason = {
      reason: 'DeadlineExceeded',
      message: `Pod was active on the node longer than the specified deadline`,
    };
    this.#ctx.event(this.#pod, 'Normal', 'DeadlineExceeded', this.#failedReason.message);
    const grace = Number((this.#pod.spec as Obj).terminationGracePeriodSeconds ?? 30);
    await this.#stopAll(grace);
    await this.#releaseFinishedSandbox();
    await this.#writeStatus();
    return true;
  }

  /** Like the kubelet, a pod that finished for good gives back its network (status keeps the IP). */
  async #releaseFinishedSandbox(): Promise<void> {
    if (!this.#sandboxReady || this.#hostNetwork) return;
    const all = [...this.#init, ...this.#containers];
    if (all.some((c) => c.proc)) return;
    const phase = (this.#status().phase as string | undefined) ?? '';
    if (phase !== 'Succeeded' && phase !== 'Failed') return;
    await deleteNetns(this.#netns, this.#veth);
    this.#ctx.ipPool.release(this.#podIP);
    this.#sandboxReady = false;
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    this.#hostPorts?.close();
    this.#hostPorts = undefined;
    this.#ctx.persist();
  }

  // ---------------------------------------------------------------- setup

  async #setup(): Promise<boolean> {
    const ctx = this.#ctx;
    const spec = this.#pod.spec as Obj;
    this.#startTime ??= new Date().toISOString();
    // images first: an unmapped image keeps the pod in ImagePullBackOff
    let imagesOk = true;
    for (const c of [...this.#init, ...this.#containers]) {
      c.image = resolveImage(ctx.images, String(c.spec.image ?? ''));
      if (!c.image) {
        imagesOk = false;
        const message = `image "${String(c.spec.image)}" is not in the kube-sandbox image map (${ctx.images.files.join(', ')}): add an entry that maps it to a local program`;
        const wasPull = 'waiting' in c.state && c.state.waiting.reason === 'ErrImagePull';
        c.state = { waiting: { reason: wasPull ? 'ImagePullBackOff' : 'ErrImagePull', message } };
        if (!wasPull)
          ctx.event(
            this.#pod,
            'Warning',
            'Failed',
            `Failed to pull image "${String(c.spec.image)}": ${message}`,
          );
      }
    }
    if (!imagesOk) {
      this.kick(5000);
      return false;
    }
    mkdirSync(this.#dir, { recursive: true });
    if (!this.#sandboxReady && this.#hostNetwork) {
      // the node's own network: the pod IP is the node IP
      this.#podIP = ctx.net.gatewayIp;
      this.#sandboxReady = true;
    }
    if (!this.#sandboxReady) {
      this.#podIP = ctx.ipPool.allocate();
      this.#sandboxReady = true;
      ctx.persist();
      await createNetns(ctx.net, this.#netns, this.#veth, this.#podIP, true);
      ctx.persist();
    }
    const ns = this.#pod.metadata?.namespace ?? 'default';
    const hostname = this.#hostname;
    writeFileSync(join(this.#dir, 'hostname'), hostname + '\n');
    writeFileSync(
      join(this.#dir, 'hosts'),
      hostsFile(
        this.#podIP,
        hostname,
        spec.subdomain as string | undefined,
        ns,
        (spec.hostAliases ?? []) as Obj[],
      ),
    );
    writeFileSync(
      join(this.#dir, 'resolv.conf'),
      resolvConf(
        ns,
        ctx.net.gatewayIp,
        spec.dnsConfig as Obj | undefined,
        spec.dnsPolicy as string | undefined,
      ),
    );
    const saName = String(spec.serviceAccountName ?? 'default');
    this.#withSA = needsServiceAccountVolume(this.#pod, ctx.serviceAccount(ns, saName));
    try {
      await this.#volumes.prepare(this.#withSA);
    } catch (err) {
      const message = (err as Error).message;
      if (!(err instanceof VolumeNotReady) && !(err instanceof ContainerConfigError)) throw err;
      if (message !== this.#lastSetupError) {
        ctx.event(this.#pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed: ${message}`);
        this.#lastSetupError = message;
      }
      this.kick(2000);
      return false;
    }
    const fsGroup = (spec.securityContext as Obj | undefined)?.fsGroup;
    if (typeof fsGroup === 'number') {
      for (const v of this.#volumes.prepared.values())
        if (!v.forceReadOnly) applyFsGroup(v.hostPath, fsGroup);
    }
    this.#setupDone = true;
    this.#openHostPorts();
    this.#refreshTimer = setInterval(() => void this.#refreshVolumes(), 2000);
    if (!ctx.cgroupDir && !this.#limitsWarned && this.#hasMemoryLimit()) {
      this.#limitsWarned = true;
      ctx.event(
        this.#pod,
        'Warning',
        'LimitsNotEnforced',
        'memory limits are not enforced: no usable memory cgroup on this node',
      );
    }
    return true;
  }

  #openHostPorts(): void {
    if (this.#hostNetwork) return;
    const rules: ProxyRule[] = [];
    for (const c of [...this.#init, ...this.#containers]) {
      for (const p of (c.spec.ports ?? []) as Array<{
        containerPort: number;
        hostPort?: number;
        protocol?: string;
        hostIP?: string;
      }>) {
        if (!p.hostPort) continue;
        rules.push({
          ip: this.#ctx.net.gatewayIp,
          port: p.hostPort,
          protocol: p.protocol === 'UDP' ? 'UDP' : 'TCP',
          backends: [{ ip: this.#podIP, port: p.containerPort }],
        });
      }
    }
    if (rules.length === 0) return;
    this.#hostPorts = new Forwarder((m) => this.#ctx.log(`pod ${this.key}: hostPort: ${m}`));
    this.#hostPorts.update(rules);
  }

  #hasMemoryLimit(): boolean {
    return [...this.#init, ...this.#containers].some(
      (c) =>
        ((c.spec.resources as Obj | undefined)?.limits as Obj | undefined)?.memory !== undefined,
    );
  }

  async #refreshVolumes(): Promise<void> {
    if (this.#gone || this.#terminating) return;
    try {
      await this.#volumes.refresh(this.#withSA);
    } catch (err) {
      this.#ctx.log(`pod ${this.key}: volume refresh: ${(err as Error).message}`);
    }
  }

  async #requestToken(a: { serviceAccount: string; audience?: string; expirationSeconds: number }) {
    const meta = this.#pod.metadata ?? {};
    const ns = meta.namespace ?? 'default';
    const issue = this.#ctx.issueToken;
    if (issue) {
      const sa =
        this.#ctx.serviceAccount(ns, a.serviceAccount) ??
        (await this.#ctx.client.get(GVR.serviceaccounts, ns, a.serviceAccount));
      if (!sa) throw new VolumeNotReady(`serviceaccount "${a.serviceAccount}" not found`);
      return issue({
        namespace: ns,
        serviceAccountName: a.serviceAccount,
        serviceAccountUid: sa.metadata?.uid ?? '',
        ...(a.audience ? { audiences: [a.audience] } : {}),
        expirationSeconds: a.expirationSeconds,
        boundObject: { kind: 'Pod', name: meta.name ?? '', uid: meta.uid ?? '' },
      });
    }
    const res = await this.#ctx.client.create(
      GVR.serviceaccounts,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { name: a.serviceAccount, namespace: ns },
        spec: {
          ...(a.audience ? { audiences: [a.audience] } : {}),
          expirationSeconds: a.expirationSeconds,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: meta.name, uid: meta.uid },
        },
      },
      { subresource: 'token' },
    );
    const status = (res.status ?? {}) as { token?: string; expirationTimestamp?: string };
    if (!status.token)
      throw new VolumeNotReady(`TokenRequest for ${a.serviceAccount} returned no token`);
    return {
      token: status.token,
      expirationTimestamp:
        status.expirationTimestamp ??
        new Date(Date.now() + a.expirationSeconds * 1000).toISOString(),
    };
  }

  // ---------------------------------------------------------------- containers

  get #hostNetwork(): boolean {
    return (this.#pod.spec as Obj).hostNetwork === true;
  }

  /** spec.hostname, else the pod name; the node's name for hostNetwork pods. */
  get #hostname(): string {
    if (this.#hostNetwork) return this.#ctx.nodeName;
    return String((this.#pod.spec as Obj).hostname ?? this.#pod.metadata?.name ?? '');
  }

  get #restartPolicy(): string {
    return String((this.#pod.spec as Obj).restartPolicy ?? 'Always');
  }

  #initState(): { done: boolean; failed: boolean; next?: Container } {
    for (const c of this.#init) {
      if (c.done) continue;
      if (c.sidecar) {
        // counts as initialized once started (startup probe passed); it keeps running
        if (c.proc && c.started) continue;
        return { done: false, failed: false, next: c };
      }
      if (
        'terminated' in c.state &&
        c.state.terminated.exitCode !== 0 &&
        this.#restartPolicy === 'Never'
      ) {
        return { done: false, failed: true };
      }
      return { done: false, failed: false, next: c };
    }
    return { done: true, failed: false };
  }

  async #runContainers(): Promise<void> {
    const init = this.#initState();
    if (init.failed) return;
    for (const c of this.#init) {
      // sidecars that already started are kept running (restarted) whatever the phase
      if (
        c.sidecar &&
        !c.proc &&
        c.restartCount + (c.state && 'terminated' in c.state ? 1 : 0) > 0
      ) {
        await this.#maybeStart(c);
      }
    }
    if (!init.done) {
      const c = init.next;
      if (c && !c.proc) await this.#maybeStart(c);
      return;
    }
    for (const c of this.#containers) {
      if (!c.proc) {
        if (c.state && 'waiting' in c.state && c.state.waiting.reason === 'PodInitializing') {
          c.state = { waiting: { reason: 'ContainerCreating' } };
        }
        await this.#maybeStart(c);
      }
    }
    // once every container is done for good, sidecars are stopped (in reverse order)
    const finished = this.#containers.every(
      (c) =>
        !c.proc &&
        'terminated' in c.state &&
        !shouldRestart(this.#restartPolicy, c.state.terminated.exitCode),
    );
    if (finished) {
      for (const c of [...this.#init].reverse()) {
        if (!c.sidecar || !c.proc) continue;
        c.done = true;
        await this.#killProcess(c.proc, this.#probeGrace({}));
      }
    }
  }

  async #maybeStart(c: Container): Promise<void> {
    if (c.done) return;
    if ('terminated' in c.state) {
      const exitCode = c.state.terminated.exitCode;
      const policy = c.sidecar
        ? 'Always'
        : c.init
          ? this.#restartPolicy === 'Never'
            ? 'Never'
            : 'OnFailure'
          : this.#restartPolicy;
      if (!shouldRestart(policy, exitCode)) return;
      const now = Date.now();
      if (c.backoffUntil === 0) {
        const delay = restartDelay(c.crashesInRow, this.#ctx.backoff);
        c.crashesInRow++;
        c.backoffUntil = now + delay;
      }
      if (now < c.backoffUntil) {
        c.lastState = c.state;
        c.state = {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${formatDuration(c.backoffUntil - now)} restarting failed container=${c.name} pod=${this.#pod.metadata?.name ?? ''}_${this.#pod.metadata?.namespace ?? ''}(${this.uid})`,
          },
        };
        this.#ctx.event(
          this.#pod,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${c.name} in pod ${this.#pod.metadata?.name ?? ''}_${this.#pod.metadata?.namespace ?? ''}(${this.uid})`,
        );
        this.kick(c.backoffUntil - now + 5);
        return;
      }
      c.lastState = c.state;
      c.restartCount++;
    } else if ('waiting' in c.state && c.state.waiting.reason === 'CrashLoopBackOff') {
      if (Date.now() < c.backoffUntil) {
        this.kick(c.backoffUntil - Date.now() + 5);
        return;
      }
      c.restartCount++;
    }
    c.backoffUntil = 0;
    await this.#start(c);
  }

  #user(c: Container): { uid?: number; gid?: number; groups: number[] } {
    const podSc = ((this.#pod.spec as Obj).securityContext ?? {}) as Obj;
    const sc = (c.spec.securityContext ?? {}) as Obj;
    const img = parseImageUser(c.image?.user);
    const uid = (sc.runAsUser ?? podSc.runAsUser ?? img.uid) as number | undefined;
    const gid = (sc.runAsGroup ??
      podSc.runAsGroup ??
      img.gid ??
      (uid !== undefined ? 0 : undefined)) as number | undefined;
    const groups = [...((podSc.supplementalGroups ?? []) as number[])];
    if (typeof podSc.fsGroup === 'number') groups.push(podSc.fsGroup);
    return { ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}), groups };
  }

  #mounts(c: Container, env: Map<string, string>): BindMount[] {
    const mounts: BindMount[] = [];
    const spec = this.#pod.spec as Obj;
    const vms = (c.spec.volumeMounts ?? []) as Obj[];
    for (const vm of vms) {
      const vol = this.#volumes.prepared.get(String(vm.name));
      if (!vol)
        throw new ContainerConfigError(`volume "${String(vm.name)}" not found in pod volumes`);
      let sub = String(vm.subPath ?? '');
      if (vm.subPathExpr)
        sub = String(vm.subPathExpr).replace(/\$\(([^)]+)\)/g, (_m, n: string) => env.get(n) ?? '');
      if (sub.split('/').includes('..'))
        throw new ContainerConfigError(`subPath ${sub} must not contain '..'`);
      let source = sub ? join(vol.hostPath, sub) : vol.hostPath;
      if (sub && !existsSync(source)) mkdirSync(source, { recursive: true, mode: 0o777 });
      if (sub && vol.forceReadOnly) source = join(vol.hostPath, '..data', sub);
      mounts.push({
        target: String(vm.mountPath),
        source,
        readOnly: vm.readOnly === true || vol.forceReadOnly,
        file: statSync(source).isFile(),
      });
    }
    if (this.#withSA && !vms.some((m) => m.mountPath === SA_MOUNT_PATH)) {
      const vol = this.#volumes.prepared.get(KUBE_API_ACCESS);
      if (vol)
        mounts.push({ target: SA_MOUNT_PATH, source: vol.hostPath, readOnly: true, file: false });
    }
    for (const [imagePath, hostPath] of Object.entries(c.image?.files ?? {})) {
      if (!existsSync(hostPath))
        throw new ContainerConfigError(
          `image map file ${hostPath} (for ${imagePath}) does not exist on this machine`,
        );
      mounts.push({
        target: imagePath,
        source: hostPath,
        readOnly: true,
        file: statSync(hostPath).isFile(),
      });
    }
    if (!spec.hostNetwork) {
      for (const f of ['hosts', 'resolv.conf', 'hostname']) {
        if (!mounts.some((m) => m.target === `/etc/${f}`)) {
          mounts.push({
            target: `/etc/${f}`,
            source: join(this.#dir, f),
            readOnly: false,
            file: true,
          });
        }
      }
    }
    const tmPath = String(c.spec.terminationMessagePath ?? '/dev/termination-log');
    const tmFile = join(this.#dir, 'containers', c.name, 'termination-log');
    writeFileSync(tmFile, '');
    mounts.push({ target: tmPath, source: tmFile, readOnly: false, file: true });
    return mounts;
  }

  async #start(c: Container): Promise<void> {
    const ctx = this.#ctx;
    const ns = this.#pod.metadata?.namespace ?? 'default';
    const cdir = join(this.#dir, 'containers', c.name);
    rmSync(cdir, { recursive: true, force: true });
    for (const d of ['upper', 'work', 'root']) mkdirSync(join(cdir, d), { recursive: true });
    mkdirSync(join(this.#dir, 'logs', c.name), { recursive: true });
    const image = c.image;
    if (!image) return;
    let env: Map<string, string>;
    let argv: string[];
    let mounts: BindMount[];
    try {
      env = buildEnv(this.#pod, c.spec, image, {
        configMap: (n, name) => ctx.configMap(n, name),
        secret: (n, name) => ctx.secret(n, name),
        podIP: this.#podIP,
        hostIP: ctx.net.gatewayIp,
        services: ctx.servicesFor(ns),
        nodeAllocatable: ctx.allocatable,
      });
      if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
      if (!env.has('HOSTNAME')) env.set('HOSTNAME', this.#hostname);
      // like containerd: HOME of the user (root's, or / for other users without a passwd entry)
      if (!env.has('HOME')) env.set('HOME', (this.#user(c).uid ?? 0) === 0 ? '/root' : '/');
      argv = commandLine(c.spec, image, env);
      if (argv.length === 0) throw new ContainerConfigError('no command specified');
      mounts = this.#mounts(c, env);
    } catch (err) {
      if (!(err instanceof ContainerConfigError) && !(err instanceof VolumeNotReady)) throw err;
      const message = err.message;
      const reason = 'CreateContainerConfigError';
      if (!('waiting' in c.state && c.state.waiting.message === message)) {
        ctx.event(this.#pod, 'Warning', 'Failed', `Error: ${message}`);
      }
      c.state = { waiting: { reason, message } };
      this.kick(2000);
      return;
    }
    const user = this.#user(c);
    let cgroup: ContainerCgroup | undefined;
    if (ctx.cgroupDir) {
      cgroup = ContainerCgroup.create(ctx.cgroupDir, this.uid, c.name);
      cgroup.signalAll('SIGKILL');
      const limit = ((c.spec.resources as Obj | undefined)?.limits as Obj | undefined)?.memory;
      cgroup.setLimit(limit === undefined ? undefined : parseQuantity(limit));
    }
    const marker = join(cdir, 'started');
    const hostname = this.#hostname;
    const script = renderLaunchScript({
      rootDir: join(cdir, 'root'),
      upperDir: join(cdir, 'upper'),
      workDir: join(cdir, 'work'),
      hostname,
      mounts,
      cgroupProcs: cgroup ? [cgroup.procsFile] : [],
      ...(user.uid !== undefined ? { uid: user.uid } : {}),
      ...(user.gid !== undefined ? { gid: user.gid } : {}),
      supplementalGroups: user.groups,
      workingDir: String(c.spec.workingDir ?? image.workingDir ?? '/'),
      argv,
      startedMarker: marker,
      readOnlyRoot: (c.spec.securityContext as Obj | undefined)?.readOnlyRootFilesystem === true,
    });
    const scriptPath = join(cdir, 'launch.sh');
    writeFileSync(scriptPath, script);
    ctx.event(
      this.#pod,
      'Normal',
      'Pulled',
      `Container image "${String(c.spec.image)}" already present on machine`,
    );
    ctx.event(this.#pod, 'Normal', 'Created', `Created container ${c.name}`);
    const logs = new LogWriter(join(this.#dir, 'logs', c.name, `${String(c.restartCount)}.log`));
    const enterNet = this.#hostNetwork
      ? []
      : ['/usr/bin/nsenter', `--net=/run/netns/${this.#netns}`];
    const child = spawn(
      enterNet[0] ?? '/usr/bin/unshare',
      [
        ...enterNet.slice(1),
        ...(enterNet.length ? ['/usr/bin/unshare'] : []),
        '--mount',
        '--uts',
        '--propagation',
        'private',
        '/bin/sh',
        scriptPath,
      ],
      { detached: true, env: Object.fromEntries(env), stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const setUp = new Promise<boolean>((resolve) => {
      const fd3 = child.stdio[3] as NodeJS.ReadableStream | null;
      if (!fd3) {
        resolve(true);
        return;
      }
      fd3.once('data', () => resolve(true));
      fd3.once('end', () => resolve(false));
      fd3.once('error', () => resolve(false));
      child.once('exit', () => resolve(false));
    });
    for (const s of [child.stdout, child.stderr, child.stdio[3]]) {
      (s as NodeJS.EventEmitter | null)?.on('error', () => undefined);
    }
    child.stdout?.on('data', (d: Buffer) => logs.write('stdout', d));
    child.stderr?.on('data', (d: Buffer) => logs.write('stderr', d));
    // 'exit' can come before the last output: the log is closed once both pipes ended
    const outputDone = Promise.all(
      [child.stdout, child.stderr].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s) return resolve();
            s.once('close', () => resolve());
            s.once('end', () => resolve());
            s.once('error', () => resolve());
          }),
      ),
    ).then(() => undefined);
    const startedAt = new Date().toISOString();
    const pid = child.pid ?? -1;
    c.containerID = `sandbox://${this.uid.slice(0, 8)}-${c.name}-${String(c.restartCount)}`;
    let resolveExit: () => void = () => undefined;
    const exited = new Promise<void>((r) => (resolveExit = r));
    const proc: RunningProcess = {
      child,
      pid,
      startedAt,
      startedMs: Date.now(),
      logs,
      outputDone,
      cgroup,
      oomBefore: cgroup?.oomKills() ?? 0,
      target: {
        podIP: this.#podIP,
        pid,
        ...(user.uid !== undefined ? { uid: user.uid } : {}),
        ...(user.gid !== undefined ? { gid: user.gid } : {}),
        env,
        container: c.spec,
      },
      marker,
      exited,
    };
    c.proc = proc;
    c.ready = false;
    c.started = false;
    ctx.persist();
    let exitSeen = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exitSeen) return;
      exitSeen = true;
      void this.#onExit(c, proc, code, signal).finally(resolveExit);
    };
    child.on('error', (err) => {
      logs.write('stderr', `kube-sandbox: failed to start: ${err.message}\n`);
      // a spawn that failed never emits exit
      if (child.pid === undefined) onExit(127, null);
    });
    child.on('exit', onExit);
    // running once the namespaces and mounts are in place and the program is being exec'd
    if (!(await setUp) || c.proc !== proc) return;
    proc.startedAt = new Date().toISOString();
    proc.startedMs = Date.now();
    c.state = { running: { startedAt: proc.startedAt } };
    ctx.event(this.#pod, 'Normal', 'Started', `Started container ${c.name}`);
    // postStart runs before the container counts as started; a failure kills it
    const postStart = ((c.spec.lifecycle as Obj | undefined)?.postStart ?? undefined) as
      | Obj
      | undefined;
    if (postStart) {
      const r = await runAction(postStart, proc.target, 30000);
      if (!r.ok && c.proc === proc) {
        ctx.event(this.#pod, 'Warning', 'FailedPostStartHook', r.message);
        proc.killedBy = 'FailedPostStartHook';
        await this.#killProcess(proc, 0);
        return;
      }
    }
    this.#startProbers(c, proc);
  }

  #startProbers(c: Container, proc: RunningProcess): void {
    const spec = c.spec;
    const target = () => (c.proc === proc ? proc.target : undefined);
    const startup = spec.startupProbe as Obj | undefined;
    const liveness = spec.livenessProbe as Obj | undefined;
    const readiness = spec.readinessProbe as Obj | undefined;
    const afterStartup = () => {
      c.started = true;
      if (liveness) {
        const p = new Prober(liveness, true, target, (ok, message) => {
          if (ok || c.proc !== proc) return;
          this.#ctx.event(this.#pod, 'Warning', 'Unhealthy', `Liveness probe failed: ${message}`);
          this.#ctx.event(
            this.#pod,
            'Normal',
            'Killing',
            `Container ${c.name} failed liveness probe, will be restarted`,
          );
          proc.killedBy = 'liveness';
          void this.#killProcess(proc, this.#probeGrace(liveness));
        });
        c.probers.push(p);
        p.start();
      }
      if (readiness) {
        const p = new Prober(readiness, false, target, (ok, message) => {
          if (c.proc !== proc) return;
          if (!ok)
            this.#ctx.event(
              this.#pod,
              'Warning',
              'Unhealthy',
              `Readiness probe failed: ${message}`,
            );
          c.ready = ok;
          this.kick();
        });
        c.probers.push(p);
        p.start();
      } else {
        c.ready = !c.init;
      }
      this.kick();
    };
    if (startup && !c.init) {
      const p = new Prober(startup, undefined, target, (ok, message) => {
        if (c.proc !== proc) return;
        p.stop();
        if (ok) {
          afterStartup();
          return;
        }
        this.#ctx.event(this.#pod, 'Warning', 'Unhealthy', `Startup probe failed: ${message}`);
        this.#ctx.event(
          this.#pod,
          'Normal',
          'Killing',
          `Container ${c.name} failed startup probe, will be restarted`,
        );
        proc.killedBy = 'startup';
        void this.#killProcess(proc, this.#probeGrace(startup));
      });
      c.probers.push(p);
      p.start();
    } else if (!c.init) {
      afterStartup();
    }
  }

  #probeGrace(probe: Obj): number {
    const g =
      probe.terminationGracePeriodSeconds ??
      (this.#pod.spec as Obj).terminationGracePeriodSeconds ??
      30;
    return Number(g);
  }

  async #onExit(
    c: Container,
    proc: RunningProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> {
    // the main process is gone: like a PID namespace's init dying, everything it started goes too
    proc.cgroup?.signalAll('SIGKILL');
    try {
      killGroup(proc.pid, 'SIGKILL');
    } catch {
      // group already empty
    }
    // processes that inherited the pipes are gone now; wait (bounded) for the last output
    let outputTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      proc.outputDone,
      new Promise<void>((r) => (outputTimer = setTimeout(r, 2000))),
    ]);
    if (outputTimer) clearTimeout(outputTimer);
    await proc.logs.close();
    for (const p of c.probers) p.stop();
    c.probers = [];
    const finishedAt = new Date().toISOString();
    const started = existsSync(proc.marker);
    let exitCode = code ?? (signal ? 128 + signalNumber(signal) : 1);
    let reason = exitCode === 0 ? 'Completed' : 'Error';
    const oom = proc.cgroup ? proc.cgroup.oomKills() > proc.oomBefore : false;
    if (oom) {
      reason = 'OOMKilled';
      exitCode = 137;
    }
    if (!started) reason = 'StartError';
    let message: string | undefined;
    try {
      const tm = readFileSync(join(this.#dir, 'containers', c.name, 'termination-log'), 'utf8');
      if (tm) message = tm.slice(0, 4096);
    } catch {
      // no message
    }
    if (!message && exitCode !== 0 && c.spec.terminationMessagePolicy === 'FallbackToLogsOnError') {
      message = this.#logTail(c, 80);
    }
    if (!started && !message) message = this.#logTail(c, 5);
    c.state = {
      terminated: {
        exitCode,
        ...(signal ? { signal: signalNumber(signal) } : {}),
        reason,
        ...(message ? { message } : {}),
        startedAt: proc.startedAt,
        finishedAt,
        containerID: c.containerID,
      },
    };
    c.ready = false;
    c.started = false;
    if (c.proc === proc) c.proc = undefined;
    if (Date.now() - proc.startedMs >= this.#ctx.backoff.resetAfterMs) c.crashesInRow = 0;
    if (c.init && exitCode === 0) c.done = true;
    this.#ctx.persist();
    this.kick();
  }

  #logTail(c: Container, lines: number): string {
    try {
      const content = readFileSync(
        join(this.#dir, 'logs', c.name, `${String(c.restartCount)}.log`),
        'utf8',
      );
      return content
        .split('\n')
        .filter(Boolean)
        .slice(-lines)
        .map((l) => l.replace(/^\S+ \S+ [FP] /, ''))
        .join('\n');
    } catch {
      return '';
    }
  }

  /** SIGTERM the process group (and its cgroup), SIGKILL after the grace period. */
  async #killProcess(proc: RunningProcess, graceSeconds: number): Promise<void> {
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        killGroup(proc.pid, sig);
      } catch {
        // gone
      }
      proc.cgroup?.signalAll(sig);
    };
    signalGroup('SIGCONT');
    signalGroup('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>(
      (r) => (timer = setTimeout(r, Math.max(0, graceSeconds) * 1000)),
    );
    await Promise.race([proc.exited, timeout]);
    if (timer) clearTimeout(timer);
    signalGroup('SIGKILL');
    await proc.exited;
  }

  // ---------------------------------------------------------------- chaos

  /** Kills a container's process (it restarts per policy). */
  async killContainer(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<boolean> {
    const c = [...this.#containers, ...this.#init].find((x) => x.name === name);
    if (!c?.proc) return false;
    const proc = c.proc;
    try {
      killGroup(proc.pid, signal);
    } catch {
      // gone
    }
    proc.cgroup?.signalAll(signal);
    if (signal === 'SIGKILL') await proc.exited;
    return true;
  }

  /** Runs a command in a running container (what `kubectl exec` does, without a terminal). */
  exec(
    name: string,
    command: string[],
    timeoutMs: number,
    input?: string | Buffer,
  ): Promise<RunResult> | undefined {
    const c = [...this.#containers, ...this.#init].find((x) => x.name === name);
    if (!c?.proc || !('running' in c.state)) return undefined;
    return execInContainer(c.proc.target, command, timeoutMs, input);
  }

  /** SIGSTOP/SIGCONT every process of the pod. */
  signalAll(signal: NodeJS.Signals): void {
    for (const c of [...this.#containers, ...this.#init]) {
      if (!c.proc) continue;
      try {
        killGroup(c.proc.pid, signal);
      } catch {
        // gone
      }
      c.proc.cgroup?.signalAll(signal);
    }
  }

  get veth(): string {
    return this.#veth;
  }

  // ---------------------------------------------------------------- termination

  /** Graceful deletion: preStop, SIGTERM, grace period, SIGKILL, teardown, final delete. */
  terminateAndDelete(): Promise<void> {
    this.#terminating ??= (async () => {
      const meta = this.#pod.metadata ?? {};
      const grace = Number(
        meta.deletionGracePeriodSeconds ??
          (this.#pod.spec as Obj).terminationGracePeriodSeconds ??
          30,
      );
      await this.#stopAll(grace);
      await this.#writeStatus(true);
      await this.teardown();
      try {
        await this.#ctx.client.delete(GVR.pods, meta.namespace, meta.name ?? '', {
          gracePeriodSeconds: 0,
          preconditions: { uid: this.uid },
        });
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code !== 404 && code !== 409)
          this.#ctx.log(`pod ${this.key}: final delete: ${(err as Error).message}`);
      }
    })();
    return this.#terminating;
  }

  async #stopAll(graceSeconds: number): Promise<void> {
    const deadline = Date.now() + graceSeconds * 1000;
    const running = [...this.#containers, ...this.#init].filter((c) => c.proc);
    await Promise.all(
      running.map(async (c) => {
        const proc = c.proc;
        if (!proc) return;
        const preStop = (c.spec.lifecycle as Obj | undefined)?.preStop as Obj | undefined;
        if (preStop && graceSeconds > 0) {
          const r = await runAction(preStop, proc.target, Math.max(1000, deadline - Date.now()));
          if (!r.ok) this.#ctx.event(this.#pod, 'Warning', 'FailedPreStopHook', r.message);
        }
        this.#ctx.event(this.#pod, 'Normal', 'Killing', `Stopping container ${c.name}`);
        for (const p of c.probers) p.stop();
        c.done = true;
        await this.#killProcess(proc, Math.max(0, (deadline - Date.now()) / 1000));
      }),
    );
    for (const c of [...this.#containers, ...this.#init]) c.done = true;
  }

  /** Immediate stop without API writes (node shutdown, pod vanished). */
  async kill(): Promise<void> {
    this.#gone = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#stopAll(0);
    await this.teardown();
  }

  async teardown(): Promise<void> {
    this.#gone = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    this.#hostPorts?.close();
    this.#hostPorts = undefined;
    for (const c of [...this.#containers, ...this.#init]) {
      for (const p of c.probers) p.stop();
      c.proc?.cgroup?.remove();
    }
    if (this.#ctx.cgroupDir) new ContainerCgroup(join(this.#ctx.cgroupDir, this.uid)).remove();
    if (this.#sandboxReady && !this.#hostNetwork) {
      await deleteNetns(this.#netns, this.#veth);
      if (this.#podIP) this.#ctx.ipPool.release(this.#podIP);
    }
    this.#sandboxReady = false;
    rmSync(this.#shmDir, { recursive: true, force: true });
    rmSync(this.#dir, { recursive: true, force: true });
    this.#ctx.persist();
  }

  // ---------------------------------------------------------------- status

  #view(c: Container): ContainerView & Obj {
    const image = String(c.spec.image ?? '');
    return {
      name: c.name,
      state: c.state,
      ...(c.lastState ? { lastState: c.lastState } : { lastState: {} }),
      ready: c.ready,
      restartCount: c.restartCount,
      image,
      imageID: c.image ? `sandbox://${c.image.entrypoint[0] ?? c.image.cmd[0] ?? image}` : '',
      ...(c.containerID ? { containerID: c.containerID } : {}),
      started: 'running' in c.state ? c.started : false,
    } as unknown as ContainerView & Obj;
  }

  #status(): Obj {
    const init = this.#initState();
    const containers = this.#containers.map((c) => this.#view(c));
    const phase = this.#failedReason
      ? 'Failed'
      : podPhase({
          restartPolicy: this.#restartPolicy,
          initDone: init.done,
          initFailed: init.failed,
          containers,
        });
    const spec = this.#pod.spec as Obj;
    const gates = ((spec.readinessGates ?? []) as Array<{ conditionType: string }>).map(
      (g) => g.conditionType,
    );
    const existing = ((this.#pod.status as Obj | undefined)?.conditions ?? []) as Condition[];
    const gatesFailing = gates.filter((g) => existing.find((e) => e.type === g)?.status !== 'True');
    const conds = podConditions({
      phase,
      sandboxReady: this.#sandboxReady,
      initIncomplete: this.#init
        .filter((c) => !c.done && !(c.sidecar && c.started))
        .map((c) => c.name),
      unready: this.#containers.filter((c) => !c.ready).map((c) => c.name),
      gatesFailing,
    });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.#conditions = withTransitions(conds, this.#conditions ?? existing, now);
    // keep conditions owned by others (readiness gates)
    const foreign = existing.filter((e) => !this.#conditions?.some((c) => c.type === e.type));
    const status: Obj = {
      phase,
      conditions: [...this.#conditions, ...foreign],
      hostIP: this.#ctx.net.gatewayIp,
      hostIPs: [{ ip: this.#ctx.net.gatewayIp }],
      ...(this.#podIP ? { podIP: this.#podIP, podIPs: [{ ip: this.#podIP }] } : {}),
      ...(this.#startTime ? { startTime: this.#startTime.replace(/\.\d+Z$/, 'Z') } : {}),
      containerStatuses: containers,
      qosClass: qosClass((spec.containers ?? []) as Obj[]),
    };
    if (this.#init.length) status.initContainerStatuses = this.#init.map((c) => this.#view(c));
    if (this.#failedReason) Object.assign(status, this.#failedReason);
    return status;
  }

  async #writeStatus(force = false): Promise<void> {
    const status = this.#status();
    const body = JSON.stringify(status);
    if (!force && body === this.#lastStatus) return;
    if (this.#gone && !force) return;
    const meta = this.#pod.metadata ?? {};
    try {
      const updated = await this.#ctx.client.patch(
        GVR.pods,
        meta.namespace,
        meta.name ?? '',
        'merge',
        { status },
        { subresource: 'status' },
      );
      this.#lastStatus = body;
      if (updated.metadata?.uid === this.uid) this.#pod = { ...this.#pod, status: updated.status };
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404) return;
      this.#ctx.log(`pod ${this.key}: status update failed: ${(err as Error).message}`);
      this.kick(1000);
    }
  }
}

/** Signals a container's process group; a pid that never existed (failed spawn) is ignored. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  if (!Number.isInteger(pid) || pid <= 1) return;
  process.kill(-pid, signal);
}

function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${String(s)}s`;
  const m = Math.floor(s / 60);
  const r = s % 60;
  return r ? `${String(m)}m${String(r)}s` : `${String(m)}m0s`;
}
