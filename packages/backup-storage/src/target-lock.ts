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
 * unless renewed, so a killed worker never blocks its target for longer than that.
 */
export class TargetLock {
  private readonly redis: LockRedis;
  private readonly key: string;
  private readonly owner: string;
  private readonly ttlMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(redis: LockRedis, key: string, owner: string, ttlMs: number) {
    this.redis = redis;
    this.key = key;
    this.owner = owner;
    this.ttlMs = ttlMs;
  }

  async acquire(): Promise<boolean> {
    const ok = (await this.redis.eval(ACQUIRE, 1, this.key, this.owner, this.ttlMs)) === 1;
    if (ok) {
      this.timer = setInterval(
        () => {
          this.redis.eval(RENEW, 1, this.key, this.owner, this.ttlMs).catch(() => undefined);
        },
        Math.max(100, Math.floor(this.ttlMs / 3)),
      );
      this.timer.unref();
    }
    return ok;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.redis.eval(RELEASE, 1, this.key, this.owner).catch(() => undefined);
  }
}
