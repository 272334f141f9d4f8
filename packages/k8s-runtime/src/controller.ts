import { randomUUID } from 'node:crypto';
import type { InformerRequest, SharedInformer } from './informer-factory.ts';
import { silentLogger, type Logger } from './logger.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { objectKey, parseObjectKey } from './object-key.ts';
import { passes, type Predicate } from './predicates.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { groupOf } from './resources.ts';
import type { KubeObject, TypeRef } from './types.ts';
import { WorkQueue } from './workqueue.ts';

/** What to reconcile: a key only, never an event (level-based). */
export interface Request {
  key: string;
  namespace?: string;
  name: string;
}

export interface ReconcileContext {
  controller: string;
  reconcileID: string;
  log: Logger;
  /** Aborted when the per-reconcile timeout passes or the manager stops. */
  signal: AbortSignal;
}

/** Requeue after a delay (and forget failures); no result = done until the next event. */
export interface ReconcileResult {
  requeueAfter?: number;
  requeue?: boolean;
}

export type Reconciler = (
  req: Request,
  ctx: ReconcileContext,
) => Promise<ReconcileResult | void> | ReconcileResult | void;

/** An error that retrying cannot fix (bad spec): recorded and counted, not requeued. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export type MapFunction<T extends KubeObject = KubeObject> = (
  obj: T,
) => (string | { name: string; namespace?: string })[];

export interface ControllerOptions {
  /** Concurrent reconciles (different keys); one key is never reconciled twice at once. Default 1. */
  maxConcurrentReconciles?: number;
  /** Aborts the reconcile's signal and counts it as an error after this long. */
  reconcileTimeoutMs?: number;
  rateLimiter?: RateLimiter;
}

export interface ControllerDeps {
  /** Where sources get their shared caches (a manager's InformerFactory). */
  informers: {
    informerFor<T extends KubeObject>(type: TypeRef, req?: InformerRequest): SharedInformer<T>;
  };
  metrics?: RuntimeMetrics;
  logger?: Logger;
  onCreated?: (c: Controller) => void;
}

interface Source {
  type: TypeRef;
  request: InformerRequest;
  predicates: Predicate[];
  toKeys: (obj: KubeObject) => string[];
}

/** A reconcile loop: sources enqueue keys, workers take them from a de-duplicating queue. */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private readonly opts: ControllerOptions;
  private readonly informers: SharedInformer[] = [];
  private readonly log: Logger;
  private readonly metrics: RuntimeMetrics | undefined;
  private workers: Promise<void>[] = [];
  private stopController = new AbortController();
  private started = false;

  constructor(
    name: string,
    reconciler: Reconciler,
    sources: Source[],
    deps: ControllerDeps,
    opts: ControllerOptions = {},
  ) {
    this.name = name;
    this.reconciler = reconciler;
    this.opts = opts;
    this.metrics = deps.metrics;
    this.log = (deps.logger ?? silentLogger).child({ controller: name });
    this.queue = new WorkQueue({
      rateLimiter: opts.rateLimiter,
      metrics: deps.metrics?.queueMetrics(name),
    });
    for (const s of sources) {
      const inf = deps.informers.informerFor(s.type, s.request);
      this.informers.push(inf);
      const enqueue = (obj: KubeObject) => s.toKeys(obj).forEach((k) => this.queue.add(k));
      inf.addEventHandler({
        onAdd: (o) => {
          if (passes(s.predicates, 'create', o)) enqueue(o);
        },
        onUpdate: (a, b) => {
          if (!passes(s.predicates, 'update', b, a)) return;
          enqueue(b);
          // an owner or mapping may have changed: the previous target must look again too
          if (a !== b) enqueue(a);
        },
        onDelete: (o) => {
          if (passes(s.predicates, 'delete', o)) enqueue(o);
        },
      });
    }
  }

  hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  /** Waits for this controller's caches, then runs the workers until stop(). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const signal = this.stopController.signal;
    for (const i of this.informers) if (!(await i.waitForSync(signal))) return;
    const n = Math.max(1, this.opts.maxConcurrentReconciles ?? 1);
    this.metrics?.maxWorkers.set({ controller: this.name }, n);
    this.log.info({ workers: n }, 'starting workers');
    this.workers = Array.from({ length: n }, () => this.worker());
  }

  /** Stops taking work and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.queue.shutDownWithDrain();
    await Promise.all(this.workers);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.metrics?.activeWorkers.inc({ controller: this.name });
      try {
        await this.reconcileKey(key);
      } finally {
        this.metrics?.activeWorkers.dec({ controller: this.name });
        this.queue.done(key);
      }
    }
  }

  private async reconcileKey(key: string): Promise<void> {
    const reconcileID = randomUUID();
    let req: Request;
    try {
      req = { key, ...parseObjectKey(key) };
    } catch (err) {
      this.log.error({ err, key }, 'dropping malformed key');
      return;
    }
    const log = this.log.child({ namespace: req.namespace, name: req.name, reconcileID });
    const signals = [this.stopController.signal];
    if (this.opts.reconcileTimeoutMs)
      signals.push(AbortSignal.timeout(this.opts.reconcileTimeoutMs));
    const signal = AbortSignal.any(signals);
    const started = performance.now();
    const labels = { controller: this.name };
    try {
      const result = await withAbort(
        Promise.resolve().then(() =>
          this.reconciler(req, { controller: this.name, reconcileID, log, signal }),
        ),
        signal,
      );
      if (result?.requeueAfter && result.requeueAfter > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfter);
        this.metrics?.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
      } else if (result?.requeue) {
        this.queue.addRateLimited(key);
        this.metrics?.reconcileTotal.inc({ ...labels, result: 'requeue' });
      } else {
        this.queue.forget(key);
        this.metrics?.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (err) {
      this.metrics?.reconcileErrors.inc(labels);
      this.metrics?.reconcileTotal.inc({ ...labels, result: 'error' });
      if (err instanceof TerminalError) {
        this.metrics?.terminalErrors.inc(labels);
        this.queue.forget(key);
        log.error({ err }, 'reconcile failed terminally; not retrying');
      } else if (!this.queue.shuttingDown) {
        this.queue.addRateLimited(key);
        log.error({ err, requeues: this.queue.numRequeues(key) }, 'reconcile failed; will retry');
      }
    } finally {
      this.metrics?.reconcileTime.observe(labels, (performance.now() - started) / 1000);
    }
  }
}

/** Rejects when the signal aborts (timeout), without waiting for a reconciler that ignores it. */
function withAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('reconcile aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(`reconcile aborted: ${String(signal.reason)}`));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The key of the controlling owner of `obj` if it is of the given kind (any version of its group). */
export function controllerOwnerKey(obj: KubeObject, owner: TypeRef): string | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller);
  if (!ref || ref.kind !== owner.kind || groupOf(ref.apiVersion) !== groupOf(owner.apiVersion))
    return undefined;
  return objectKey({ name: ref.name, namespace: obj.metadata?.namespace });
}

export interface SourceOptions<T extends KubeObject = KubeObject> {
  predicates?: Predicate<T>[];
  metadataOnly?: boolean;
  labelSelector?: string;
}

/** For / Owns / Watches, as in controller-runtime's builder. */
export class ControllerBuilder<P extends KubeObject = KubeObject> {
  private readonly name: string;
  private readonly deps: ControllerDeps;
  private primary: TypeRef | undefined;
  private readonly sources: Source[] = [];
  private opts: ControllerOptions = {};

  constructor(name: string, deps: ControllerDeps) {
    this.name = name;
    this.deps = deps;
  }

  for<T extends KubeObject = P>(type: TypeRef, o: SourceOptions<T> = {}): ControllerBuilder<T> {
    this.primary = type;
    this.sources.push({
      type,
      request: { metadataOnly: o.metadataOnly, labelSelector: o.labelSelector },
      predicates: o.predicates ?? [],
      toKeys: (obj) => [objectKey(obj.metadata ?? {})],
    });
    return this;
  }

  /** Children: events enqueue their controller owner of the For kind. */
  owns<T extends KubeObject>(type: TypeRef, o: SourceOptions<T> = {}): this {
    this.sources.push({
      type,
      request: { metadataOnly: o.metadataOnly, labelSelector: o.labelSelector },
      predicates: o.predicates ?? [],
      toKeys: (obj) => {
        if (!this.primary) throw new Error('owns() needs for() first');
        const k = controllerOwnerKey(obj, this.primary);
        return k ? [k] : [];
      },
    });
    return this;
  }

  watches<T extends KubeObject>(
    type: TypeRef,
    map: MapFunction<T>,
    o: SourceOptions<T> = {},
  ): this {
    this.sources.push({
      type,
      request: { metadataOnly: o.metadataOnly, labelSelector: o.labelSelector },
      predicates: o.predicates ?? [],
      toKeys: (obj) => map(obj as T).map((k) => (typeof k === 'string' ? k : objectKey(k))),
    });
    return this;
  }

  withOptions(opts: ControllerOptions): this {
    this.opts = { ...this.opts, ...opts };
    return this;
  }

  complete(reconciler: Reconciler): Controller {
    if (!this.primary) throw new Error(`controller ${this.name}: for() is required`);
    const c = new Controller(this.name, reconciler, this.sources, this.deps, this.opts);
    this.deps.onCreated?.(c);
    return c;
  }
}
