/** The Redis commands the lock needs (satisfied by ioredis clients, e.g. `await worker.client`). */
export interface LockRedis {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

// Take the lock when free or already ours (a retried job takes over its own lock at once).
const ACQUIRE = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * One holder per target (e.g. one backup per cluster at a time). The lock expires after ttlMs
 * unless renewed, so a killed worker never blocks its target for longer than that. A holder that
 * cannot renew (the key was taken over, or Redis was unreachable for a whole ttl) has lost it:
 * `onLost` runs once so the work it guards can stop before a second holder starts.
 */
export class TargetLock {
  private readonly redis: LockRedis;
  private readonly key: string;
  private readonly owner: string;
  private readonly ttlMs: number;
  private readonly onLost: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private renewedAt = 0;

  constructor(redis: LockRedis, key: string, owner: string, ttlMs: number, onLost?: () => void) {
    this.redis = redis;
    this.key = key;
    this.owner = owner;
    this.ttlMs = ttlMs;
    this.onLost = onLost;
  }

  async acquire(): Promise<boolean> {
    const ok = (await this.redis.eval(ACQUIRE, 1, this.key, this.owner, this.ttlMs)) === 1;
    if (ok) {
      this.renewedAt = Date.now();
      this.timer = setInterval(() => this.renew(), Math.max(100, Math.floor(this.ttlMs / 3)));
      this.timer.unref();
    }
    return ok;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.redis.eval(RELEASE, 1, this.key, this.owner).catch(() => undefined);
  }

  private renew(): void {
    this.redis.eval(RENEW, 1, this.key, this.owner, this.ttlMs).then(
      (renewed) => {
        if (renewed === 1) this.renewedAt = Date.now();
        else this.lose();
      },
      // Unreachable Redis: the key expires on its own after ttlMs, so only then is it lost.
      () => {
        if (Date.now() - this.renewedAt >= this.ttlMs) this.lose();
      },
    );
  }

  private lose(): void {
    if (!this.timer) return; // released meanwhile
    clearInterval(this.timer);
    this.timer = undefined;
    this.onLost?.();
  }
}
