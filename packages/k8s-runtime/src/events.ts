import { hostname } from 'node:os';
import type { KubeClient } from './client.ts';
import { microTime } from './leader-election.ts';
import { silentLogger, type Logger } from './logger.ts';
import type { KubeObject, UnknownObject } from './types.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  /** A qualified name, e.g. "etcd.opsmith.io/etcd-operator". */
  reportingController: string;
  reportingInstance?: string;
  logger?: Logger;
  /** Identical events within this window become one Event with a growing series.count. */
  seriesWindowMs?: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  lastMs: number;
}

/** The de-duplication key of an event (pure). */
export function eventKey(
  regarding: KubeObject,
  type: EventType,
  reason: string,
  action: string,
  note: string,
): string {
  const m = regarding.metadata ?? {};
  return [m.uid ?? `${m.namespace}/${m.name}`, type, reason, action, note].join('\u0000');
}

/**
 * events.k8s.io/v1 recorder. Repeats of the same event update one object's series (count and
 * lastObservedTime) instead of creating a new Event each time. Failures are logged, never thrown:
 * an event must not fail a reconcile.
 */
export class EventRecorder {
  private readonly client: KubeClient;
  private readonly o: Required<Omit<EventRecorderOptions, 'logger'>>;
  private readonly log: Logger;
  private readonly seen = new Map<string, Seen>();
  private seq = 0;

  constructor(client: KubeClient, options: EventRecorderOptions) {
    this.client = client;
    this.o = {
      reportingInstance: `${options.reportingController.split('/').pop()}-${hostname()}`.slice(
        0,
        128,
      ),
      seriesWindowMs: 6 * 60_000,
      ...options,
    };
    this.log = options.logger ?? silentLogger;
  }

  async record(
    regarding: KubeObject,
    type: EventType,
    reason: string,
    action: string,
    note: string,
  ): Promise<void> {
    const m = regarding.metadata ?? {};
    const namespace = m.namespace || 'default';
    const key = eventKey(regarding, type, reason, action, note);
    const nowMs = Date.now();
    const prev = this.seen.get(key);
    try {
      if (prev && nowMs - prev.lastMs < this.o.seriesWindowMs) {
        prev.count++;
        prev.lastMs = nowMs;
        await this.client.patch(
          { apiVersion: 'events.k8s.io/v1', kind: 'Event' },
          prev.name,
          prev.namespace,
          'merge',
          { series: { count: prev.count, lastObservedTime: microTime(nowMs) } },
        );
        return;
      }
      const created = await this.client.create<UnknownObject>({
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        // client-go's naming: <regarding name>.<unix nanos in hex> (a generateName may not end in '.')
        metadata: {
          name: `${m.name ?? 'object'}.${(BigInt(nowMs) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`,
          namespace,
        },
        eventTime: microTime(nowMs),
        reportingController: this.o.reportingController,
        reportingInstance: this.o.reportingInstance,
        action,
        reason,
        type,
        note: note.slice(0, 1024),
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: m.name,
          namespace: m.namespace,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
        },
      });
      this.seen.set(key, {
        name: created.metadata?.name ?? '',
        namespace,
        count: 1,
        lastMs: nowMs,
      });
      if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value!);
    } catch (err) {
      if (prev) this.seen.delete(key); // the event may be gone: create a fresh one next time
      this.log.warn({ err, reason }, 'could not record event');
    }
  }

  normal(regarding: KubeObject, reason: string, action: string, note: string): Promise<void> {
    return this.record(regarding, 'Normal', reason, action, note);
  }

  warning(regarding: KubeObject, reason: string, action: string, note: string): Promise<void> {
    return this.record(regarding, 'Warning', reason, action, note);
  }
}
