// kube-sandbox's workload controllers (what kube-controller-manager does, for the fields our
// operators use), running in the sandbox process against its in-process client.
import type { SandboxClient, SandboxComponent } from '../core/contracts.ts';
import { cronJobController } from './cronjob/controller.ts';
import { daemonSetController } from './daemonset/controller.ts';
import { deploymentController } from './deployment/controller.ts';
import { endpointsController } from './endpoints/controller.ts';
import { jobController } from './job/controller.ts';
import { pdbController } from './pdb/controller.ts';
import { replicaSetController } from './replicaset/controller.ts';
import { realClock, type Clock } from './runtime/clock.ts';
import type { Controller, ControllerContext } from './runtime/context.ts';
import { InformerFactory } from './runtime/informer.ts';
import { silentLogger, stderrLogger, type ControllerLogger } from './runtime/log.ts';
import { statefulSetController } from './statefulset/controller.ts';
import { volumeController } from './volumes/controller.ts';

export type ControllerName =
  | 'deployment'
  | 'replicaset'
  | 'statefulset'
  | 'daemonset'
  | 'job'
  | 'cronjob'
  | 'endpoints'
  | 'volumes'
  | 'disruption';

export const ALL_CONTROLLERS: readonly ControllerName[] = [
  'deployment',
  'replicaset',
  'statefulset',
  'daemonset',
  'job',
  'cronjob',
  'endpoints',
  'volumes',
  'disruption',
];

export interface StartControllersOptions {
  client: SandboxClient;
  log?: ControllerLogger;
  /** Time source for schedules, deadlines, TTLs and minReadySeconds; tests pass a FakeClock. */
  clock?: Clock;
  /** Sandbox data directory; provisioned volumes live in <dataDir>/volumes/<pv-name>. Without it no PVs are provisioned. */
  dataDir?: string;
  /** Which controllers to run (default: all). */
  controllers?: readonly ControllerName[];
  /** Safety re-list interval (default 60 s); watches the server ends are re-listed at once. */
  resyncMs?: number;
  /** First Job pod re-creation delay after a failure (default 10 s, as Kubernetes). */
  jobBackoffBaseMs?: number;
}

export interface RunningControllers {
  /** Resolves when every controller's queue is empty (timers excluded); for tests. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startControllers(opts: StartControllersOptions): Promise<RunningControllers> {
  const log = opts.log ?? silentLogger;
  const informers = new InformerFactory(opts.client, log, opts.resyncMs ?? 60_000);
  const ctx: ControllerContext = {
    client: opts.client,
    informers,
    clock: opts.clock ?? realClock,
    log,
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
  };
  const enabled = new Set(opts.controllers ?? ALL_CONTROLLERS);
  const factories: Record<ControllerName, () => Controller> = {
    deployment: () => deploymentController(ctx),
    replicaset: () => replicaSetController(ctx),
    statefulset: () => statefulSetController(ctx),
    daemonset: () => daemonSetController(ctx),
    job: () => jobController(ctx, { backoffBaseMs: opts.jobBackoffBaseMs }),
    cronjob: () => cronJobController(ctx),
    endpoints: () => endpointsController(ctx),
    volumes: () => volumeController(ctx),
    disruption: () => pdbController(ctx),
  };
  const controllers = ALL_CONTROLLERS.filter((n) => enabled.has(n)).map((n) => factories[n]());
  try {
    await informers.startAll();
  } catch (err) {
    informers.stopAll();
    throw err;
  }
  for (const c of controllers) {
    c.queue.start();
    c.start();
  }
  log.info('controllers started', { controllers: controllers.map((c) => c.name) });

  return {
    async idle() {
      await Promise.all(controllers.map((c) => c.queue.idle()));
    },
    async stop() {
      informers.stopAll();
      await Promise.all(controllers.map((c) => c.queue.stop()));
    },
  };
}

/** The sandbox component (startSandbox `components`, and what the CLI loads): every controller. */
export const controllersComponent: SandboxComponent = async (ctx) =>
  startControllers({
    client: ctx.client,
    dataDir: ctx.dataDir,
    // KUBE_SANDBOX_DEBUG=1 shows what the controllers do and what fails, on stderr.
    ...(process.env.KUBE_SANDBOX_DEBUG ? { log: stderrLogger } : {}),
  });

export { FakeClock, realClock, type Clock } from './runtime/clock.ts';
export type { ControllerLogger } from './runtime/log.ts';
