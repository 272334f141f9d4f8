// What every controller is built from, and the write helpers they share (status writes retried on
// optimistic-concurrency conflicts, deletes that tolerate objects already gone).
import type { DeleteOptions, SandboxClient } from '../../core/contracts.ts';
import type { GroupVersionResource, KubeObject } from '../../core/types.ts';
import { controllerRef, deepEqual, namespace } from '../util/objects.ts';
import type { Clock } from './clock.ts';
import { eventRecorder, type EventRecorder } from './events.ts';
import type { Informer, InformerFactory, InformerHandler } from './informer.ts';
import type { ControllerLogger } from './log.ts';
import { WorkQueue, type ReconcileFn } from './queue.ts';

export interface ControllerContext {
  client: SandboxClient;
  informers: InformerFactory;
  clock: Clock;
  log: ControllerLogger;
  /** Data directory of the sandbox (volumes live under <dataDir>/volumes). */
  dataDir?: string;
}

export interface Controller {
  name: string;
  queue: WorkQueue;
  /** Called once the informers have synced: enqueue every existing object. */
  start(): void;
}

export function newQueue(ctx: ControllerContext, name: string, reconcile: ReconcileFn): WorkQueue {
  return new WorkQueue({ name, reconcile, clock: ctx.clock, log: ctx.log });
}

export function recorder(
  ctx: ControllerContext,
  component: string,
  apiVersion: string,
  kind: string,
): EventRecorder {
  return eventRecorder(ctx.client, ctx.clock, ctx.log, component, { apiVersion, kind });
}

export function isStatusCode(err: unknown, code: number): boolean {
  return (err as { code?: unknown } | undefined)?.code === code;
}

/**
 * Writes `nextStatus` through the status subresource unless it is already there. On a 409 the
 * latest object is fetched and the write retried, so a stale cache never loses a status update.
 */
export async function writeStatus(
  client: SandboxClient,
  gvr: GroupVersionResource,
  obj: KubeObject,
  nextStatus: Record<string, unknown>,
): Promise<KubeObject | undefined> {
  let current: KubeObject | undefined = obj;
  let lastConflict: unknown;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    if (deepEqual(current.status ?? {}, nextStatus)) return current;
    try {
      return await client.update(
        gvr,
        { ...current, status: nextStatus },
        { subresource: 'status' },
      );
    } catch (err) {
      if (!isStatusCode(err, 409)) throw err;
      lastConflict = err;
      current = await client.get(gvr, obj.metadata?.namespace, obj.metadata?.name ?? '');
      if (current && current.metadata?.uid !== obj.metadata?.uid) return undefined;
    }
  }
  // Still conflicting: the queue retries the whole reconcile on a fresher cache.
  if (current && lastConflict !== undefined) throw lastConflict;
  return current;
}

/** Deletes, treating 404 (already gone) as success. */
export async function deleteIfExists(
  client: SandboxClient,
  gvr: GroupVersionResource,
  obj: KubeObject,
  opts: DeleteOptions = {},
): Promise<void> {
  try {
    await client.delete(gvr, obj.metadata?.namespace, obj.metadata?.name ?? '', {
      ...opts,
      preconditions: { uid: obj.metadata?.uid, ...opts.preconditions },
    });
  } catch (err) {
    if (isStatusCode(err, 404) || isStatusCode(err, 409)) return;
    throw err;
  }
}

/** Creates, treating 409 AlreadyExists as "someone (maybe we) did it already". */
export async function createIfAbsent(
  client: SandboxClient,
  gvr: GroupVersionResource,
  obj: KubeObject,
): Promise<KubeObject | undefined> {
  try {
    return await client.create(gvr, obj);
  } catch (err) {
    if ((err as { reason?: unknown }).reason === 'AlreadyExists') return undefined;
    throw err;
  }
}

/**
 * An informer handler for owned objects: enqueues the owner (of `kind`) that controls the object,
 * before and after the change, so both the old and the new owner of an adopted object hear of it.
 */
export function enqueueControllerOf(queue: WorkQueue, kind: string): InformerHandler {
  return (_type, obj, old) => {
    for (const o of [obj, old]) {
      const ref = o && controllerRef(o);
      if (o && ref?.kind === kind) queue.add(`${namespace(o)}/${ref.name}`);
    }
  };
}

/** Every key an informer holds, for the initial enqueue. */
export function enqueueAll(queue: WorkQueue, keys: Iterable<string>): void {
  for (const k of keys) queue.add(k);
}

/** Runs a create; on failure records a Warning FailedCreate event on the owner, then rethrows. */
export async function reportingFailedCreate<T>(
  events: EventRecorder,
  owner: KubeObject,
  message: (error: string) => string,
  create: () => Promise<T>,
): Promise<T> {
  try {
    return await create();
  } catch (err) {
    events.record(
      owner,
      'Warning',
      'FailedCreate',
      message(err instanceof Error ? err.message : String(err)),
    );
    throw err;
  }
}

const podName = (p: KubeObject): string => p.metadata?.name ?? '';

/**
 * Creates a pod for `owner` with the events the real controllers record (SuccessfulCreate, or
 * FailedCreate and rethrow). Returns a promise that settles once the pod cache has seen the pod, so
 * the caller does not reconcile again on a cache that lags its own writes. (Wrapped in an object:
 * an async function cannot return a bare promise without it being awaited too.)
 */
export async function createOwnedPod(
  ctx: ControllerContext,
  events: EventRecorder,
  owner: KubeObject,
  pods: Informer,
  pod: KubeObject,
): Promise<{ synced: Promise<boolean> }> {
  const created = await reportingFailedCreate(
    events,
    owner,
    (e) => `Error creating: ${e}`,
    () => ctx.client.create({ group: '', version: 'v1', resource: 'pods' }, pod),
  );
  events.record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${podName(created)}`);
  return { synced: pods.waitForWrite(created) };
}

/** Deletes an owned pod (already gone is fine), records SuccessfulDelete; returns the cache wait. */
export async function deleteOwnedPod(
  ctx: ControllerContext,
  events: EventRecorder,
  owner: KubeObject,
  pods: Informer,
  pod: KubeObject,
): Promise<{ synced: Promise<boolean> }> {
  await deleteIfExists(ctx.client, { group: '', version: 'v1', resource: 'pods' }, pod);
  events.record(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${podName(pod)}`);
  return { synced: pods.waitForDeletion(pod) };
}
