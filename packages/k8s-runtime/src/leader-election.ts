import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KubeClient } from './client.ts';
import { isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import { silentLogger, type Logger } from './logger.ts';
import type { KubeObject } from './types.ts';
import { sleep } from './sleep.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity?: string;
  /** How long a standby waits after the last observed renewal before taking over. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failing renewal before giving up. Default 10 s. */
  renewDeadlineMs?: number;
  /** Interval between acquire/renew attempts. Default 2 s. */
  retryPeriodMs?: number;
  /** Clear the holder on a clean shutdown so a standby takes over at once. Default true. */
  releaseOnCancel?: boolean;
}

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
type Lease = KubeObject & { spec?: LeaseSpec };

const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };

/** MicroTime as the API server formats it: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Whether another holder's lease is still valid: the record must have changed within
 * leaseDuration of *our* observation (clocks of different hosts are never compared).
 */
export function leaseHeldByOther(
  spec: LeaseSpec | undefined,
  identity: string,
  observedAtMs: number,
  nowMs: number,
  leaseDurationMs: number,
): boolean {
  const holder = spec?.holderIdentity;
  if (!holder || holder === identity) return false;
  const duration = spec?.leaseDurationSeconds ? spec.leaseDurationSeconds * 1000 : leaseDurationMs;
  return observedAtMs + duration > nowMs;
}

/** Leader election on a coordination.k8s.io/v1 Lease with client-go's algorithm. */
export class LeaderElector {
  readonly identity: string;
  private readonly client: KubeClient;
  private readonly o: Required<LeaderElectionOptions>;
  private readonly log: Logger;
  private observed: { record: string; at: number } = { record: '', at: 0 };
  private lease: Lease | undefined;
  private leading = false;
  /** The holder last seen in the Lease ('' when none), undefined before the first read. */
  observedLeader: string | undefined;

  constructor(client: KubeClient, options: LeaderElectionOptions, logger: Logger = silentLogger) {
    this.client = client;
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.o = {
      identity: this.identity,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnCancel: true,
      ...options,
    };
    if (this.o.renewDeadlineMs >= this.o.leaseDurationMs)
      throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    this.log = logger.child({
      lease: `${options.namespace}/${options.name}`,
      identity: this.identity,
    });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Resolves true once this instance leads; false if the signal aborts first. */
  async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(this.o.renewDeadlineMs)) {
        this.leading = true;
        this.log.info('became leader');
        return true;
      }
      await sleep(this.o.retryPeriodMs * (1 + Math.random() * 0.2), signal);
    }
    return false;
  }

  /**
   * Renews every retryPeriod while leading. Resolves 'lost' when renewals fail for renewDeadline
   * (or another holder appears), 'released' when the signal aborts (releasing the lease).
   */
  async renewLoop(signal: AbortSignal): Promise<'lost' | 'released'> {
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(this.o.retryPeriodMs, signal);
      if (signal.aborted) break;
      // One attempt (its client retries included) may use only what is left of renewDeadline:
      // a hung API call must not keep us "leading" past the point where a standby takes over.
      const left = lastRenew + this.o.renewDeadlineMs - Date.now();
      if (left > 0 && (await this.tryAcquireOrRenew(left))) {
        lastRenew = Date.now();
        continue;
      }
      if (this.observedLeader && this.observedLeader !== this.identity) {
        this.leading = false;
        this.log.error({ holder: this.observedLeader }, 'leadership taken by another holder');
        return 'lost';
      }
      if (Date.now() - lastRenew >= this.o.renewDeadlineMs) {
        this.leading = false;
        this.log.error('failed to renew the lease within renewDeadline; leadership lost');
        return 'lost';
      }
    }
    if (this.leading && this.o.releaseOnCancel) await this.release();
    this.leading = false;
    return 'released';
  }

  /** Clears holderIdentity so a standby does not have to wait for expiry. */
  async release(): Promise<void> {
    if (!this.lease || this.lease.spec?.holderIdentity !== this.identity) return;
    try {
      const now = microTime(Date.now());
      await this.client.update<Lease>({
        ...this.lease,
        spec: { ...this.lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now },
      });
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn({ err }, 'could not release the lease');
    }
    this.leading = false;
  }

  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const nowMs = Date.now();
    const now = microTime(nowMs);
    const durationSeconds = Math.max(1, Math.ceil(this.o.leaseDurationMs / 1000));
    const signal = AbortSignal.timeout(Math.max(1, Math.round(timeoutMs)));
    try {
      let lease: Lease;
      try {
        lease = await this.client.get<Lease>(LEASE, this.o.name, this.o.namespace, { signal });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.lease = await this.client.create<Lease>(
          {
            ...LEASE,
            metadata: { name: this.o.name, namespace: this.o.namespace },
            spec: {
              holderIdentity: this.identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
          { signal },
        );
        this.observedLeader = this.identity;
        this.observed = { record: JSON.stringify(this.lease.spec), at: nowMs };
        return true;
      }
      const spec = lease.spec ?? {};
      const record = JSON.stringify(spec);
      if (record !== this.observed.record) this.observed = { record, at: nowMs };
      this.observedLeader = spec.holderIdentity ?? '';
      if (leaseHeldByOther(spec, this.identity, this.observed.at, nowMs, this.o.leaseDurationMs))
        return false;
      const ours = spec.holderIdentity === this.identity;
      const next: LeaseSpec = {
        holderIdentity: this.identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: ours ? spec.acquireTime : now,
        renewTime: now,
        leaseTransitions: ours ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      };
      this.lease = await this.client.update<Lease>({ ...lease, spec: next }, { signal });
      this.observed = { record: JSON.stringify(this.lease.spec), at: nowMs };
      this.observedLeader = this.identity;
      return true;
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return false; // someone else wrote first
      this.log.warn({ err }, 'lease acquire/renew failed');
      return false;
    }
  }
}
