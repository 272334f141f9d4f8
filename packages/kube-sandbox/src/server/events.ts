// events.k8s.io/v1 Events share the core/v1 Event storage, as in the real server: an event a
// controller records through events.k8s.io shows up in `kubectl describe` (which reads core/v1),
// and the other way round. Field mapping follows the real conversion functions.
import type { KubeObject } from '../core/types.ts';

type Obj = Record<string, unknown>;

function compact(obj: Obj): KubeObject {
  for (const [k, v] of Object.entries(obj)) if (v === undefined) delete obj[k];
  return obj;
}

/** core/v1 Event -> events.k8s.io/v1 Event. */
export function coreToEventsV1(e: KubeObject): KubeObject {
  const o = e as Obj;
  return compact({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: e.metadata,
    eventTime: o.eventTime ?? null,
    series: o.series,
    reportingController: o.reportingComponent,
    reportingInstance: o.reportingInstance,
    action: o.action,
    reason: o.reason,
    regarding: o.involvedObject,
    related: o.related,
    note: o.message,
    type: o.type,
    deprecatedSource: o.source,
    deprecatedFirstTimestamp: o.firstTimestamp,
    deprecatedLastTimestamp: o.lastTimestamp,
    deprecatedCount: o.count,
  });
}

/** events.k8s.io/v1 Event -> core/v1 Event (the stored form). */
export function eventsV1ToCore(e: KubeObject): KubeObject {
  const o = e as Obj;
  return compact({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata,
    involvedObject: o.regarding ?? {},
    reason: o.reason,
    message: o.note,
    source: o.deprecatedSource ?? {},
    firstTimestamp: o.deprecatedFirstTimestamp ?? null,
    lastTimestamp: o.deprecatedLastTimestamp ?? null,
    count: o.deprecatedCount,
    type: o.type,
    eventTime: o.eventTime ?? null,
    series: o.series,
    action: o.action,
    related: o.related,
    reportingComponent: o.reportingController ?? '',
    reportingInstance: o.reportingInstance ?? '',
  });
}

export const eventsCodec = { toStorage: eventsV1ToCore, fromStorage: coreToEventsV1 };
