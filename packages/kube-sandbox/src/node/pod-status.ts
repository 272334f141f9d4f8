// Pure pod status arithmetic, as the kubelet's status manager computes it: phase from container
// states, conditions with stable transition times, restart backoff, QoS class.
import type { Obj } from './env.ts';

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        signal?: number;
        reason: string;
        message?: string;
        startedAt: string;
        finishedAt: string;
        containerID?: string;
      };
    };

export interface ContainerView {
  name: string;
  state: ContainerState;
  lastState?: ContainerState;
  ready: boolean;
  restartCount: number;
}

/** kubelet's getPhase for the regular containers once init is done. */
export function podPhase(args: {
  restartPolicy: string;
  initDone: boolean;
  initFailed: boolean;
  containers: ContainerView[];
}): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  if (args.initFailed) return 'Failed';
  if (!args.initDone) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of args.containers) {
    if ('running' in c.state) running++;
    else if ('terminated' in c.state) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState && 'terminated' in c.lastState) {
      stopped++;
      if (c.lastState.terminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (args.restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (args.restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** Whether an exited container should start again under the pod's restart policy. */
export function shouldRestart(restartPolicy: string, exitCode: number): boolean {
  if (restartPolicy === 'Always') return true;
  if (restartPolicy === 'OnFailure') return exitCode !== 0;
  return false;
}

/**
 * Delay before the next start: the first restart is immediate, then base, 2*base, ... capped at max;
 * a container that ran for resetAfter starts over (kubelet: 10 s doubling to 5 min, reset 10 min).
 */
export function restartDelay(
  restartsInRow: number,
  opts: { baseMs: number; maxMs: number },
): number {
  if (restartsInRow <= 0) return 0;
  return Math.min(opts.baseMs * 2 ** (restartsInRow - 1), opts.maxMs);
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime: null;
  lastTransitionTime: string;
}

/** Keeps lastTransitionTime when a condition's status did not change. */
export function withTransitions(
  next: Omit<Condition, 'lastTransitionTime' | 'lastProbeTime'>[],
  previous: Condition[] | undefined,
  now: string,
): Condition[] {
  return next.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    return {
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      lastProbeTime: null,
      lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now,
    };
  });
}

export function podConditions(args: {
  phase: string;
  sandboxReady: boolean;
  initIncomplete: string[];
  unready: string[];
  gatesFailing: string[];
}): Omit<Condition, 'lastTransitionTime' | 'lastProbeTime'>[] {
  const terminal = args.phase === 'Succeeded' || args.phase === 'Failed';
  const initialized = args.initIncomplete.length === 0;
  const containersReady = !terminal && initialized && args.unready.length === 0;
  const ready = containersReady && args.gatesFailing.length === 0;
  const notReady = terminal
    ? { reason: 'PodCompleted' }
    : !initialized
      ? {
          reason: 'ContainersNotInitialized',
          message: `containers with incomplete status: [${args.initIncomplete.join(' ')}]`,
        }
      : {
          reason: 'ContainersNotReady',
          message: `containers with unready status: [${args.unready.join(' ')}]`,
        };
  return [
    {
      type: 'PodReadyToStartContainers',
      status: args.sandboxReady && !terminal ? 'True' : 'False',
    },
    {
      type: 'Initialized',
      status: initialized ? 'True' : 'False',
      ...(initialized ? {} : notReady),
    },
    {
      type: 'Ready',
      status: ready ? 'True' : 'False',
      ...(ready
        ? {}
        : containersReady
          ? {
              reason: 'ReadinessGatesNotReady',
              message: `corresponding condition of pod readiness gate "${args.gatesFailing[0] ?? ''}" does not exist.`,
            }
          : notReady),
    },
    {
      type: 'ContainersReady',
      status: containersReady ? 'True' : 'False',
      ...(containersReady ? {} : notReady),
    },
    { type: 'PodScheduled', status: 'True' },
  ];
}

export function qosClass(containers: Obj[]): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const r = (c.resources ?? {}) as {
      limits?: Record<string, unknown>;
      requests?: Record<string, unknown>;
    };
    const limits = r.limits ?? {};
    const requests = r.requests ?? {};
    if (Object.keys(limits).length || Object.keys(requests).length) any = true;
    for (const res of ['cpu', 'memory']) {
      if (limits[res] === undefined) guaranteed = false;
      else if (requests[res] !== undefined && String(requests[res]) !== String(limits[res]))
        guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** /etc/hosts as the kubelet writes it. */
export function hostsFile(
  podIP: string,
  hostname: string,
  subdomain: string | undefined,
  namespace: string,
  hostAliases: Obj[] = [],
): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    subdomain
      ? `${podIP}\t${hostname}.${subdomain}.${namespace}.svc.cluster.local\t${hostname}`
      : `${podIP}\t${hostname}`,
  ];
  if (hostAliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of hostAliases)
      lines.push(`${String(a.ip)}\t${((a.hostnames ?? []) as string[]).join('\t')}`);
  }
  return lines.join('\n') + '\n';
}

/** /etc/resolv.conf for dnsPolicy ClusterFirst (and Default: there is no other resolver) or None. */
export function resolvConf(
  namespace: string,
  nameserver: string,
  dnsConfig?: Obj,
  dnsPolicy?: string,
): string {
  const none = dnsPolicy === 'None';
  const opts = (dnsConfig?.options ?? []) as Array<{ name: string; value?: string }>;
  const searches = [
    ...(none ? [] : [`${namespace}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local']),
    ...((dnsConfig?.searches ?? []) as string[]),
  ];
  const nameservers = [
    ...(none ? [] : [nameserver]),
    ...((dnsConfig?.nameservers ?? []) as string[]),
  ];
  const options = [
    ...(none || opts.some((o) => o.name === 'ndots') ? [] : ['ndots:5']),
    ...opts.map((o) => (o.value ? `${o.name}:${o.value}` : o.name)),
  ];
  return (
    (searches.length ? `search ${searches.join(' ')}\n` : '') +
    nameservers.map((n) => `nameserver ${n}\n`).join('') +
    (options.length ? `options ${options.join(' ')}\n` : '')
  );
}
