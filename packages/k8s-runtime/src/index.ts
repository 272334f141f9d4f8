export { objectKey, parseObjectKey } from './object-key.ts';
export type {
  KubeList,
  KubeObject,
  ObjectMeta,
  OwnerReference,
  ResourceInfo,
  TypeRef,
  UnknownObject,
  WatchEvent,
  WatchEventType,
} from './types.ts';
export * from './errors.ts';
export { builtinResources, collectionPath, groupOf, objectPath, typeKey } from './resources.ts';
export {
  KubeClient,
  loadKubeConfig,
  type ClientOptions,
  type DeleteOptions,
  type ListOptions,
  type PatchOptions,
  type PatchType,
  type RequestOptions,
  type WatchOptions,
  type WriteOptions,
} from './client.ts';
export {
  Informer,
  stripManagedFields,
  toPartialObjectMetadata,
  type EventHandler,
  type InformerOptions,
} from './informer.ts';
export {
  InformerFactory,
  type InformerFactoryOptions,
  type InformerRequest,
  type NamespaceScope,
  type SharedInformer,
} from './informer-factory.ts';
export {
  BucketRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type RateLimiter,
} from './rate-limiter.ts';
export { WorkQueue, type QueueMetrics, type WorkQueueOptions } from './workqueue.ts';
export * from './predicates.ts';
export {
  Controller,
  ControllerBuilder,
  TerminalError,
  controllerOwnerKey,
  type ControllerOptions,
  type MapFunction,
  type ReconcileContext,
  type ReconcileResult,
  type Reconciler,
  type Request,
  type SourceOptions,
} from './controller.ts';
export {
  LeaderElector,
  leaseHeldByOther,
  microTime,
  type LeaderElectionOptions,
  type LeaseSpec,
} from './leader-election.ts';
export { Manager, type ManagerOptions, type Runnable } from './manager.ts';
export { RuntimeMetrics } from './metrics.ts';
export { createLogger, silentLogger, type Logger } from './logger.ts';
export * from './conditions.ts';
export * from './finalizers.ts';
export * from './owner-refs.ts';
export { EventRecorder, eventKey, type EventRecorderOptions, type EventType } from './events.ts';
export * from './child-objects.ts';
export * from './readiness.ts';
