import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from './client.ts';
import { Controller, ControllerBuilder } from './controller.ts';
import { EventRecorder } from './events.ts';
import {
  InformerFactory,
  type InformerFactoryOptions,
  type NamespaceScope,
} from './informer-factory.ts';
import { LeaderElector, type LeaderElectionOptions } from './leader-election.ts';
import { createLogger, type Logger } from './logger.ts';
import { RuntimeMetrics } from './metrics.ts';
import type { KubeObject } from './types.ts';

export interface ManagerOptions {
  client?: KubeClient;
  kubeConfig?: KubeConfig;
  /** fieldManager of the client the manager creates. */
  fieldManager?: string;
  namespaces?: NamespaceScope;
  /** Off when omitted; pass the Lease namespace/name to enable. */
  leaderElection?: LeaderElectionOptions;
  /** Serves /healthz, /readyz and /metrics; omitted = no server, 0 = any free port. */
  httpPort?: number;
  httpHost?: string;
  logger?: Logger;
  /** Called when leadership is lost; default: log and exit(1) so a fresh process stands in line. */
  onLeadershipLost?: () => void;
  informers?: Omit<InformerFactoryOptions, 'namespaces' | 'logger'>;
  /** Process metrics (CPU, memory, event loop) on /metrics. Default true. */
  processMetrics?: boolean;
}

/** Work that runs with the manager; by default only on the leader. */
export interface Runnable {
  start(signal: AbortSignal): Promise<void> | void;
  needLeaderElection?: boolean;
}

/**
 * Owns the client, the shared caches, the controllers, leader election and the health/metrics
 * endpoint. Caches start on every replica; controllers and leader runnables only on the leader.
 */
export class Manager {
  readonly client: KubeClient;
  readonly informers: InformerFactory;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  readonly elector: LeaderElector | undefined;
  private readonly opts: ManagerOptions;
  private readonly controllers: Controller[] = [];
  private readonly runnables: Runnable[] = [];
  private readonly stopping = new AbortController();
  private server: Server | undefined;
  private leaderWork: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private started = false;
  private resolveLeading!: () => void;
  /** Resolves when this replica starts leading (at once without leader election). */
  readonly elected: Promise<void> = new Promise((r) => (this.resolveLeading = r));

  constructor(opts: ManagerOptions = {}) {
    this.opts = opts;
    this.logger = opts.logger ?? createLogger();
    this.client =
      opts.client ??
      new KubeClient({ kubeConfig: opts.kubeConfig, fieldManager: opts.fieldManager });
    this.metrics = new RuntimeMetrics({ processMetrics: opts.processMetrics });
    this.informers = new InformerFactory(this.client, {
      ...opts.informers,
      namespaces: opts.namespaces,
      logger: this.logger,
    });
    if (opts.leaderElection)
      this.elector = new LeaderElector(this.client, opts.leaderElection, this.logger);
  }

  /** Starts a controller definition: `mgr.controller('x').for(T).owns(C).complete(fn)`. */
  controller<P extends KubeObject = KubeObject>(name: string): ControllerBuilder<P> {
    if (this.controllers.some((c) => c.name === name))
      throw new Error(`controller ${name} already exists`);
    return new ControllerBuilder<P>(name, {
      informers: this.informers,
      metrics: this.metrics,
      logger: this.logger,
      onCreated: (c) => {
        this.controllers.push(c);
        if (this.started && this.isLeader()) void c.start();
      },
    });
  }

  /** An events.k8s.io/v1 recorder; reportingController must be qualified ("example.com/name"). */
  eventRecorder(reportingController: string): EventRecorder {
    return new EventRecorder(this.client, { reportingController, logger: this.logger });
  }

  add(r: Runnable): void {
    this.runnables.push(r);
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.started;
  }

  /** Ready once caches are synced and leadership is known (leading, or a leader observed). */
  isReady(): boolean {
    if (!this.started || this.stopping.signal.aborted) return false;
    if (!this.informers.hasSynced()) return false;
    return !this.elector || this.elector.isLeader() || this.elector.observedLeader !== undefined;
  }

  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  /** Starts everything and returns once the HTTP endpoint listens; work continues in background. */
  async start(): Promise<void> {
    if (this.started) throw new Error('manager already started');
    this.started = true;
    if (this.opts.httpPort !== undefined) await this.listen(this.opts.httpPort);
    this.informers.start();
    for (const r of this.runnables.filter((x) => x.needLeaderElection === false))
      void this.runGuarded(r);
    this.leaderWork = this.lead();
  }

  private async lead(): Promise<void> {
    const signal = this.stopping.signal;
    if (this.elector) {
      this.metrics.leader.set({ name: this.leaseName() }, 0);
      if (!(await this.elector.acquire(signal))) return;
      this.metrics.leader.set({ name: this.leaseName() }, 1);
    }
    this.resolveLeading();
    for (const c of this.controllers) void c.start();
    for (const r of this.runnables.filter((x) => x.needLeaderElection !== false))
      void this.runGuarded(r);
    if (!this.elector) return;
    const outcome = await this.elector.renewLoop(signal);
    this.metrics.leader.set({ name: this.leaseName() }, 0);
    if (outcome === 'lost') {
      // Controllers must stop acting at once: another replica now owns the objects.
      await Promise.all(this.controllers.map((c) => c.stop()));
      (this.opts.onLeadershipLost ?? defaultOnLost(this.logger))();
    }
  }

  private leaseName(): string {
    const le = this.opts.leaderElection!;
    return `${le.namespace}/${le.name}`;
  }

  private async runGuarded(r: Runnable): Promise<void> {
    try {
      await r.start(this.stopping.signal);
    } catch (err) {
      this.logger.error({ err }, 'runnable failed');
    }
  }

  /** Graceful stop: controllers drain, the lease is released, caches and the server close. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.logger.info('stopping manager');
      this.stopping.abort();
      await Promise.all(this.controllers.map((c) => c.stop()));
      await this.leaderWork; // releases the lease when leading
      await this.informers.stop();
      await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
      this.server?.closeAllConnections();
    })();
    return this.stopped;
  }

  /** SIGTERM/SIGINT -> graceful stop -> exit; unhandled rejections are logged, not fatal. */
  handleSignals(): void {
    const onSignal = (sig: string) => {
      this.logger.info({ signal: sig }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 30_000);
      force.unref();
      void this.stop().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    process.on('unhandledRejection', (err) => this.logger.error({ err }, 'unhandled rejection'));
  }

  private listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz' || path === '/livez') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else if (path === '/readyz') {
        const ready = this.isReady();
        res
          .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
          .end(ready ? 'ok' : 'not ready');
      } else if (path === '/metrics') {
        this.metrics.registry.metrics().then(
          (text) =>
            res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
          (err) => res.writeHead(500).end(String(err)),
        );
      } else res.writeHead(404).end('not found');
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.httpHost ?? '0.0.0.0', () => resolve());
    });
  }
}

function defaultOnLost(logger: Logger): () => void {
  return () => {
    logger.fatal('leader election lost; exiting');
    process.exit(1);
  };
}
