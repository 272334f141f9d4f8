// Time as the controllers see it. Injectable so tests can drive schedules (CronJob, Job deadlines,
// TTLs, minReadySeconds) without waiting for real minutes.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls fn once `ms` of this clock's time have passed; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A clock that only moves when told to; due timers fire on advance(). */
export class FakeClock implements Clock {
  #now: number;
  #timers: { at: number; fn: () => void; cancelled: boolean }[] = [];

  constructor(start: number | Date) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + Math.max(0, ms), fn, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time forward and fires every timer that became due, in order. */
  advance(ms: number): void {
    this.set(this.#now + ms);
  }

  set(time: number | Date): void {
    this.#now = typeof time === 'number' ? time : time.getTime();
    const due = this.#timers.filter((t) => t.at <= this.#now).sort((a, b) => a.at - b.at);
    this.#timers = this.#timers.filter((t) => t.at > this.#now);
    for (const t of due) if (!t.cancelled) t.fn();
  }
}

export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
