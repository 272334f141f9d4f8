// A tiny deduplicating work queue for the in-process controllers: keys are processed after the
// current tick (never inside a store commit), failures retried with a delay.
export class WorkQueue {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private stopped = false;
  private readonly handler: (key: string) => void;
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: Array<() => void> = [];

  constructor(handler: (key: string) => void) {
    this.handler = handler;
  }

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  retryLater(key: string, delayMs = 200): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(key);
    }, delayMs);
    t.unref();
    this.timers.add(t);
  }

  private drain(): void {
    this.scheduled = false;
    let rounds = 0;
    while (this.pending.size && !this.stopped && rounds++ < 10000) {
      const [key] = this.pending;
      this.pending.delete(key);
      try {
        this.handler(key);
      } catch {
        this.retryLater(key);
      }
    }
    if (this.pending.size && !this.stopped) {
      this.scheduled = true;
      setImmediate(() => this.drain());
      return;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  idle(): Promise<void> {
    if (!this.pending.size && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
    for (const w of this.waiters) w();
    this.waiters = [];
  }
}
