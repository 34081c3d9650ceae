// Floe's controller runtime (the "operator SDK"): informers, work queue, reconcilers, controllers, manager, leader election, events, status helpers.
export { ManualClock, delay, realClock, type Clock, type ManualClockOptions, type TimerHandle } from './clock.js';
export {
  findCondition,
  isFalse,
  isGenerationObserved,
  isTrue,
  kubeMicroTime,
  kubeTime,
  removeCondition,
  setCondition,
  setObservedGeneration,
  type Condition,
  type ConditionInput,
  type ConditionStatus,
  type ObservedStatus,
} from './conditions.js';
export {
  Controller,
  ControllerBuilder,
  generationChanged,
  type ControllerBuilderOptions,
  type ControllerEnvironment,
  type ControllerMetrics,
  type ControllerMetricsHooks,
  type ReconcileOutcome,
  type ControllerOptions,
  type ControllerRunOptions,
  type ControllerStats,
  type MapFunction,
  type Predicate,
  type SourceEvent,
  type SourceOptions,
} from './controller.js';
export { EventRecorder, EventRef, type EventRecorderOptions, type EventType, type KubeEvent } from './event-recorder.js';
export { addFinalizer, hasFinalizer, isBeingDeleted, removeFinalizer } from './finalizers.js';
export { Informer, type CacheListOptions, type IndexFunc, type InformerEventHandler, type InformerOptions } from './informer.js';
export { InformerFactory, type InformerFactoryOptions, type InformerForOptions } from './informer-factory.js';
export { objectKey, parseRequestKey, requestFor, requestKey, type Request } from './keys.js';
export { LeaderElector, LeaseRef, type Lease, type LeaseSpec, type LeaderElectorOptions } from './leader-election.js';
export { Manager, type LeaderElectionOptions, type ManagerOptions, type ManagerState } from './manager.js';
export { controllerOf, controllerReference, isControlledBy, refersToKind, setControllerReference } from './owners.js';
export { TerminalError, type ReconcileContext, type ReconcileFunction, type ReconcileResult, type Reconciler, type TerminalErrorOptions } from './reconciler.js';
export { ExponentialBackoff, WorkQueue, type ExponentialBackoffOptions, type QueueMetrics, type RateLimiter, type WorkQueueOptions } from './work-queue.js';
export { installCrds, type InstallCrdsOptions } from './install-crds.js';
export type { AdmissionPlugin, Caller, Capability, CapabilityContext, CapabilityMode, Http2Access, NodeNeed, NodeRuntime, PodCredentials, ResourceAttributes, Route, RouteAccess, StartedCapability } from './capability.js';
export { forbiddenMessage } from './capability.js';
export { admissionOf, capabilitiesFor, startCapabilities, type RunningCapabilities } from './capabilities.js';
