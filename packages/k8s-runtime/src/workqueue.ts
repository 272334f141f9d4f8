import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';

/** Hooks for the workqueue_* metrics. */
export interface QueueMetrics {
  add(): void;
  depth(n: number): void;
  queueLatency(seconds: number): void;
  workDuration(seconds: number): void;
  retry(): void;
}

export interface WorkQueueOptions {
  rateLimiter?: RateLimiter;
  metrics?: QueueMetrics;
}

/**
 * A work queue of keys with client-go semantics: an item is queued at most once (dirty set); an
 * item being processed is not handed out again, and if it is added meanwhile it is queued once more
 * when `done` is called (processing set). Delays (AddAfter, rate limiting) are timers.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly getters: ((item: string | undefined) => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private shutdown = false;
  private draining = false;
  readonly rateLimiter: RateLimiter;
  private readonly metrics: QueueMetrics | undefined;

  constructor(opts: WorkQueueOptions = {}) {
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter();
    this.metrics = opts.metrics;
  }

  get shuttingDown(): boolean {
    return this.shutdown;
  }

  len(): number {
    return this.queue.length;
  }

  add(item: string): void {
    if (this.shutdown) return;
    if (this.dirty.has(item)) return;
    this.metrics?.add();
    this.dirty.add(item);
    if (!this.addedAt.has(item)) this.addedAt.set(item, performance.now());
    if (this.processing.has(item)) return;
    this.queue.push(item);
    this.metrics?.depth(this.queue.length);
    this.wakeOne();
  }

  /** Adds the item after a delay; an earlier pending deadline for the same item wins. */
  addAfter(item: string, delayMs: number): void {
    if (this.shutdown) return;
    if (delayMs <= 0) return this.add(item);
    const at = Date.now() + delayMs;
    const existing = this.waiting.get(item);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(item);
      this.add(item);
    }, delayMs);
    this.waiting.set(item, { at, timer });
  }

  addRateLimited(item: string): void {
    this.metrics?.retry();
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** Clears the item's failure history (call after a successful reconcile). */
  forget(item: string): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: string): number {
    return this.rateLimiter.numRequeues(item);
  }

  /** Resolves with the next item, or undefined once the queue is shut down (and drained). */
  get(): Promise<string | undefined> {
    const item = this.take();
    if (item !== undefined || this.shutdown) return Promise.resolve(item);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  private take(): string | undefined {
    const item = this.queue.shift();
    if (item === undefined) return undefined;
    this.metrics?.depth(this.queue.length);
    this.processing.add(item);
    this.dirty.delete(item);
    const added = this.addedAt.get(item);
    this.addedAt.delete(item);
    if (added !== undefined) this.metrics?.queueLatency((performance.now() - added) / 1000);
    this.startedAt.set(item, performance.now());
    return item;
  }

  private wakeOne(): void {
    while (this.getters.length && this.queue.length) {
      const getter = this.getters.shift()!;
      getter(this.take());
    }
  }

  /** Marks the item processed; if it was added while processing, it is queued again. */
  done(item: string): void {
    const started = this.startedAt.get(item);
    this.startedAt.delete(item);
    if (started !== undefined) this.metrics?.workDuration((performance.now() - started) / 1000);
    this.processing.delete(item);
    if (this.dirty.has(item) && !this.shutdown) {
      this.queue.push(item);
      this.metrics?.depth(this.queue.length);
      this.wakeOne();
    }
    if (this.draining && this.processing.size === 0)
      this.drainWaiters.splice(0).forEach((f) => f());
  }

  /** Stops handing out items: waiting getters resolve undefined; pending delays are dropped. */
  shutDown(): void {
    this.shutdown = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    this.queue.length = 0;
    this.dirty.clear();
    this.getters.splice(0).forEach((g) => g(undefined));
  }

  /** Shuts down, then waits until every item being processed is done. */
  async shutDownWithDrain(): Promise<void> {
    this.draining = true;
    this.shutDown();
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }
}
