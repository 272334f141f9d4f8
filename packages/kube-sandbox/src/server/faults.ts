// Fault injection: a seeded fraction of matching requests fail with 409, 429, 500 or a timeout;
// the server can be paused (requests are held) and resumed.
import { errors, StatusError } from '../core/errors.ts';

export interface FaultRule {
  /** Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection); omitted = all. */
  verb?: string;
  /** Plural resource name, e.g. "pods"; omitted = all. */
  resource?: string;
  namespace?: string;
  /** 0..1 share of matching requests that fail (default 1). */
  fraction?: number;
  seed?: number;
  code: 409 | 429 | 500 | 'timeout';
  retryAfterSeconds?: number;
}

interface ActiveRule extends FaultRule {
  id: number;
  random: () => number;
}

/** mulberry32: small, deterministic, good enough for choosing which requests fail. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function validateFaultRule(input: unknown): FaultRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw errors.badRequest('a fault must be a JSON object');
  }
  const r = input as Record<string, unknown>;
  if (![409, 429, 500, 'timeout'].includes(r.code as never)) {
    throw errors.badRequest('fault code must be one of 409, 429, 500, "timeout"');
  }
  if (
    r.fraction !== undefined &&
    (typeof r.fraction !== 'number' || r.fraction < 0 || r.fraction > 1)
  ) {
    throw errors.badRequest('fault fraction must be a number between 0 and 1');
  }
  for (const k of ['verb', 'resource', 'namespace'] as const) {
    if (r[k] !== undefined && typeof r[k] !== 'string')
      throw errors.badRequest(`fault ${k} must be a string`);
  }
  return r as unknown as FaultRule;
}

export interface FaultDecision {
  error?: StatusError;
  /** Hang without answering (the client's timeout fires). */
  timeout?: boolean;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  private pausedUntil: Promise<void> | undefined;
  private resumeFn: (() => void) | undefined;

  add(rule: FaultRule): number {
    const id = this.nextId++;
    this.rules.push({ ...rule, id, random: seeded(rule.seed ?? id) });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map(({ random: _r, ...rest }) => rest);
  }

  /** Decides the fate of one request. */
  decide(
    verb: string,
    resource: string | undefined,
    namespace: string | undefined,
    name?: string,
  ): FaultDecision {
    for (const rule of this.rules) {
      if (rule.verb && rule.verb !== verb) continue;
      if (rule.resource && rule.resource !== resource) continue;
      if (rule.namespace && rule.namespace !== namespace) continue;
      if (rule.random() >= (rule.fraction ?? 1)) continue;
      switch (rule.code) {
        case 409:
          return {
            error: errors.conflict(
              resource ?? '',
              '',
              name ?? '',
              'the object has been modified; please apply your changes to the latest version and try again',
            ),
          };
        case 429:
          return {
            error: errors.tooManyRequests(
              'Too many requests, please try again later.',
              rule.retryAfterSeconds ?? 1,
            ),
          };
        case 500:
          return { error: errors.internal('injected fault') };
        case 'timeout':
          return { timeout: true };
      }
    }
    return {};
  }

  pause(): void {
    if (this.pausedUntil) return;
    this.pausedUntil = new Promise((resolve) => {
      this.resumeFn = resolve;
    });
  }

  resume(): void {
    this.resumeFn?.();
    this.resumeFn = undefined;
    this.pausedUntil = undefined;
  }

  /** Resolves immediately unless paused. */
  gate(): Promise<void> | undefined {
    return this.pausedUntil;
  }

  get paused(): boolean {
    return this.pausedUntil !== undefined;
  }
}
