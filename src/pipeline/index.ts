// The pipeline: the processors that read the ingest log, each from its own offset (profiles:
// identity resolution and traits; warehouse: the event store), the worker thread they run in
// so ingest never waits on them, and the channel the HTTP thread uses to query events.

export { clockFrom, TestClock } from './clock.ts';
export {
  type CompactionReport,
  type CompactionSettings,
  compactLog,
  DEFAULT_COMPACTION_CHUNK,
  DEFAULT_VACUUM_PAGES,
} from './compaction.ts';
export { failIfInjected, type InjectedFault } from './faults.ts';
export { type Pipeline, startPipeline } from './host.ts';
export { type LogRouteOptions, logRoutes } from './log-routes.ts';
export { type LoopHandle, startLoop } from './loop.ts';
export { everyProcessorPassed } from './passed.ts';
export {
  DEFAULT_QUARANTINE_POLICY,
  isTransientError,
  type QuarantinePolicy,
  SystemicFailure,
} from './quarantine.ts';
export {
  type ProcessorLoop,
  type QuarantinableProcessor,
  type ReplayResult,
  recordOf,
  replayQuarantined,
  runGuardedStep,
  startProcessorLoop,
} from './quarantine-loop.ts';
export { QuarantineReplays, type Replay } from './quarantine-replays.ts';
export { type QuarantineRouteOptions, quarantineRoutes } from './quarantine-routes.ts';
export { JOURNEYS_PROCESSOR, LOG_READERS, logReaderOffsets } from './readers.ts';
export type { PipelineStatus } from './rpc.ts';
export { type StatusRouteOptions, statusRoutes } from './status-routes.ts';
export {
  DEFAULT_STEP_OPTIONS,
  lookupOwners,
  PROFILES_PROCESSOR,
  parse,
  runProfilesStep,
  runWarehouseStep,
  type StepOptions,
  WAREHOUSE_PROCESSOR,
} from './steps.ts';
export type { PipelineWorkerData } from './worker.ts';
