// The conductor's runtime: the I/O around the pure core (../index.ts). The journey runner,
// the timer step, the outbox worker with arbitration, the service the API and CLI call.

export type { ArbitrationPolicy } from '../arbitration/types.ts';
export { matchesEntryTrigger } from '../journey/entry.ts';
export type { JourneyEvent } from '../journey/filters.ts';
export { type ActiveJourney, JourneyCatalog } from './catalog.ts';
export {
  type Channel,
  type ChannelRegistry,
  channelRegistry,
  type DeliveryResult,
  type OutgoingMessage,
} from './channels.ts';
export { CONDUCTOR_SOURCE } from './emit.ts';
export { type JourneyRouteOptions, journeyRoutes } from './journey-routes.ts';
export { type JourneyStepOptions, journeysProcessor, runJourneysStep } from './journeys-processor.ts';
export { DECISION_EVENTS, LEASE_MS, MAX_ATTEMPTS, type OutboxPayload, runOutboxStep } from './outbox.ts';
export { loadPerson, type PersonFacts } from './person.ts';
export { type ArbitrationPolicyRouteOptions, arbitrationPolicyRoutes } from './policy-routes.ts';
export {
  ArbitrationPolicyStore,
  type CurrentPolicy,
  type PinnedPolicy,
  POLICY_SETTING_KEY,
  policyDocument,
} from './policy-store.ts';
export { prepareEntry, type RunnerContext, type RunResult, runInput, withHistoryRetry } from './runner.ts';
export { dueRun, runScheduleStep, SCHEDULE_PAGE, scheduleMarkKey } from './schedules.ts';
export {
  type ApiSend,
  ApiSendSchema,
  JourneyService,
  type JourneyTemplateLibrary,
  previewTemplate,
  type SalesLead,
  type TemplatePreview,
  TemplatePreviewSchema,
  type TemplateTestSendResult,
  type TemplateUse,
} from './service.ts';
export {
  type Conductor,
  type ConductorOptions,
  pinnedPolicyFromEnvironment,
  policyFromEnvironment,
  startConductor,
} from './start.ts';
export { type Clock, type ConductorState, DEFAULT_POLICY } from './state.ts';
export { suppressionFromEvent } from './suppressions.ts';
export { runTimersStep } from './timers.ts';
