// core/v1 Events for what the controllers do, named and worded like kube-controller-manager's, so
// `kubectl describe` tells the same story as on a real cluster. Best effort: never blocks a reconcile.
import type { SandboxClient } from '../../core/contracts.ts';
import type { KubeObject } from '../../core/types.ts';
import { GVR } from '../gvr.ts';
import { rfc3339, type Clock } from './clock.ts';
import type { ControllerLogger } from './log.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  record(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

export function eventRecorder(
  client: SandboxClient,
  clock: Clock,
  log: ControllerLogger,
  component: string,
  involved: { apiVersion: string; kind: string },
): EventRecorder {
  let seq = 0;
  return {
    record(obj, type, reason, message) {
      const meta = obj.metadata ?? {};
      const now = clock.now();
      const time = rfc3339(now);
      // Real event names are <object>.<unix nanoseconds in hex>; a sequence keeps them unique here.
      const suffix = (BigInt(now) * 1000000n + BigInt(seq++ % 1000000)).toString(16);
      const event: KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${meta.name ?? 'unknown'}.${suffix}`,
          namespace: meta.namespace ?? 'default',
        },
        involvedObject: {
          apiVersion: involved.apiVersion,
          kind: involved.kind,
          name: meta.name,
          ...(meta.namespace ? { namespace: meta.namespace } : {}),
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        reason,
        message,
        type,
        source: { component },
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
        reportingComponent: component,
        reportingInstance: '',
      };
      void client.create(GVR.events, event).catch((err: unknown) => {
        log.error(`${component}: recording event ${reason} failed`, {
          error: err instanceof Error ? err.message : String(err),
        });
      });
    },
  };
}
