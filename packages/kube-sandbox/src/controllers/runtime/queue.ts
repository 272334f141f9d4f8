// A de-duplicating work queue in the manner of client-go's workqueue: a key is queued at most once,
// never processed by two workers at once, and a key added while it is being processed runs again
// afterwards (so no change is lost).
import type { Clock } from './clock.ts';
import type { ControllerLogger } from './log.ts';

export interface ReconcileResult {
  /** Reconcile this key again after this many milliseconds of the controller clock. */
  requeueAfterMs?: number;
}

export type ReconcileFn = (key: string) => Promise<ReconcileResult | void>;

export interface WorkQueueOptions {
  name: string;
  reconcile: ReconcileFn;
  clock: Clock;
  log: ControllerLogger;
  workers?: number;
  /** First retry delay after an error (real milliseconds); doubles per failure up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export class WorkQueue {
  readonly name: string;
  #opts: WorkQueueOptions;
  #pending: string[] = [];
  #queued = new Set<string>();
  #processing = new Set<string>();
  #dirty = new Set<string>();
  #failures = new Map<string, number>();
  #timers = new Map<string, { at: number; cancel: () => void }>();
  #retryTimers = new Set<NodeJS.Timeout>();
  #waiting: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];
  #stopped = false;
  #workers: Promise<void>[] = [];

  constructor(opts: WorkQueueOptions) {
    this.name = opts.name;
    this.#opts = opts;
  }

  start(): void {
    const n = this.#opts.workers ?? 2;
    for (let i = 0; i < n; i++) this.#workers.push(this.#work());
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#pending.push(key);
    this.#waiting.shift()?.();
  }

  /** Adds the key after `ms` of clock time; an earlier pending request wins. */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    if (ms <= 0) return this.add(key);
    const at = this.#opts.clock.now() + ms;
    const existing = this.#timers.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const cancel = this.#opts.clock.after(ms, () => {
      this.#timers.delete(key);
      this.add(key);
    });
    this.#timers.set(key, { at, cancel });
  }

  /** Resolves when nothing is queued or being processed (timers excluded). */
  async idle(): Promise<void> {
    if (this.#isIdle()) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    for (const t of this.#retryTimers) clearTimeout(t);
    this.#retryTimers.clear();
    for (const w of this.#waiting.splice(0)) w();
    await Promise.all(this.#workers);
  }

  #isIdle(): boolean {
    return this.#pending.length === 0 && this.#processing.size === 0;
  }

  async #next(): Promise<string | undefined> {
    while (!this.#stopped) {
      const key = this.#pending.shift();
      if (key !== undefined) {
        this.#queued.delete(key);
        return key;
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    return undefined;
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.#next();
      if (key === undefined) return;
      this.#processing.add(key);
      try {
        const result = await this.#opts.reconcile(key);
        this.#failures.delete(key);
        if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        this.#retryLater(key, err);
      } finally {
        this.#processing.delete(key);
        if (this.#dirty.delete(key)) this.add(key);
        if (this.#isIdle()) for (const w of this.#idleWaiters.splice(0)) w();
      }
    }
  }

  #retryLater(key: string, err: unknown): void {
    if (this.#stopped) return;
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const base = this.#opts.baseBackoffMs ?? 10;
    const delay = Math.min(base * 2 ** (failures - 1), this.#opts.maxBackoffMs ?? 5000);
    const code = (err as { code?: unknown }).code;
    if (code !== 409) {
      this.#opts.log.error(`${this.name}: reconcile ${key} failed`, {
        error: err instanceof Error ? err.message : String(err),
        retryInMs: delay,
      });
    }
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      this.add(key);
    }, delay);
    timer.unref();
    this.#retryTimers.add(timer);
  }
}
