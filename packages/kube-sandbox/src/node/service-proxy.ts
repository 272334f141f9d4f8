// Service proxy management: computes proxy rules from Services and Endpoints (pure), runs the proxy
// agent inside the service namespace, and serves NodePorts on the gateway IP from this process.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../core/types.ts';
import type { Obj } from './env.ts';
import type { NodeNetwork } from './network.ts';
import { Forwarder, type ProxyRule } from './proxy-agent.ts';

// run from source (.ts, Node strips types) or from the compiled package (.js)
const AGENT = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.ts') ? './proxy-agent.ts' : './proxy-agent.js',
    import.meta.url,
  ),
);

/** The backends of each service port: ready endpoint addresses at the endpoint port of that name. */
export function serviceRules(
  services: KubeObject[],
  endpoints: (ns: string, name: string) => KubeObject | undefined,
  apiServer: { ip: string; port: number },
): { cluster: ProxyRule[]; nodePorts: ProxyRule[] } {
  const cluster: ProxyRule[] = [];
  const nodePorts: ProxyRule[] = [];
  for (const svc of services) {
    const spec = (svc.spec ?? {}) as Obj;
    const ip = spec.clusterIP as string | undefined;
    if (!ip || ip === 'None' || spec.type === 'ExternalName') continue;
    const ns = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    const ep = endpoints(ns, name);
    for (const p of (spec.ports ?? []) as Array<{
      name?: string;
      port: number;
      protocol?: string;
      nodePort?: number;
    }>) {
      const protocol = (p.protocol ?? 'TCP') === 'UDP' ? 'UDP' : 'TCP';
      let backends: Array<{ ip: string; port: number }> = [];
      if (ns === 'default' && name === 'kubernetes') {
        // the API server as the pods see it: the gateway address
        backends = [apiServer];
      } else {
        for (const subset of (ep?.subsets ?? []) as Obj[]) {
          const ports = (subset.ports ?? []) as Array<{
            name?: string;
            port: number;
            protocol?: string;
          }>;
          const match =
            ports.find(
              (ep) => (ep.name ?? '') === (p.name ?? '') && (ep.protocol ?? 'TCP') === protocol,
            ) ?? (ports.length === 1 && !p.name ? ports[0] : undefined);
          if (!match) continue;
          for (const a of (subset.addresses ?? []) as Array<{ ip: string }>)
            backends.push({ ip: a.ip, port: match.port });
        }
      }
      cluster.push({ ip, port: p.port, protocol, backends });
      if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort) {
        nodePorts.push({ ip: '', port: p.nodePort, protocol, backends });
      }
    }
  }
  return { cluster, nodePorts };
}

export class ServiceProxy {
  readonly #net: NodeNetwork;
  readonly #log: (m: string) => void;
  #agent: ChildProcess | undefined;
  readonly #nodePorts: Forwarder;
  #pending: ProxyRule[] | undefined;
  #timer: NodeJS.Timeout | undefined;
  #waiters: Array<() => void> = [];

  constructor(net: NodeNetwork, log: (m: string) => void) {
    this.#net = net;
    this.#log = log;
    this.#nodePorts = new Forwarder(log);
  }

  get agentPid(): number | undefined {
    return this.#agent?.pid;
  }

  async start(): Promise<void> {
    const agent = fork(AGENT, [], {
      execPath: '/usr/bin/nsenter',
      execArgv: [`--net=/run/netns/${this.#net.svcNetns}`, process.execPath],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    agent.stderr?.on('data', (d: Buffer) => this.#log(`service proxy: ${d.toString().trim()}`));
    agent.on('error', (err) => this.#log(`service proxy: ${err.message}`));
    agent.on('message', (m: { type: string }) => {
      if (m.type === 'applied') {
        const w = this.#waiters;
        this.#waiters = [];
        for (const f of w) f();
      }
    });
    await new Promise<void>((resolve, reject) => {
      const onMsg = (m: { type: string }) => {
        if (m.type === 'ready') {
          agent.off('message', onMsg);
          resolve();
        }
      };
      agent.on('message', onMsg);
      agent.once('exit', (code) =>
        reject(new Error(`service proxy agent exited (${String(code)})`)),
      );
    });
    this.#agent = agent;
  }

  /** Applies a full set of rules (debounced); resolves once the agent has applied it. */
  apply(rules: { cluster: ProxyRule[]; nodePorts: ProxyRule[] }): Promise<void> {
    this.#nodePorts.update(rules.nodePorts.map((r) => ({ ...r, ip: this.#net.gatewayIp })));
    this.#pending = rules.cluster;
    const done = new Promise<void>((r) => this.#waiters.push(r));
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      const agent = this.#agent;
      let sent = false;
      if (agent?.connected) {
        try {
          sent = agent.send({ type: 'config', rules: this.#pending });
        } catch (err) {
          this.#log(`service proxy: ${(err as Error).message}`);
        }
      }
      if (!sent) {
        const w = this.#waiters;
        this.#waiters = [];
        for (const f of w) f();
      }
    }, 20);
    return done;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#nodePorts.close();
    const agent = this.#agent;
    this.#agent = undefined;
    for (const f of this.#waiters) f();
    this.#waiters = [];
    if (agent && agent.exitCode === null) {
      const exited = new Promise<void>((r) => agent.once('exit', () => r()));
      agent.kill('SIGKILL');
      await exited;
    }
  }
}
