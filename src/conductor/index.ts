// The conductor: journeys (definitions, validation, the pure step-by-step advance of one
// person's instance), arbitration of every send (suppression, quiet hours, fatigue caps,
// consent last), best channel, and placements (`/v1/decide`). Everything here is pure: the
// runner that reads the store, keeps timers and writes the outbox calls these functions.

export * from './arbitration/index.ts';
export {
  BEST_CHANNEL_PRIOR_STRENGTH,
  type BestChannelInput,
  type ChannelEstimate,
  type ChannelRecord,
  chooseBestChannel,
  DEFAULT_PRIOR_RATE,
  estimateEngagement,
  explainPreference,
  rankChannels,
} from './best-channel.ts';
export type * from './journey/actions.ts';
export {
  type AdvanceInput,
  type AdvanceResult,
  advanceJourney,
  MAX_STEPS_PER_ADVANCE,
  type ProfileFacts,
  type RulePredicate,
} from './journey/advance.ts';
export * from './journey/definition.ts';
export {
  canEnter,
  dateTriggerAt,
  type EntryDecision,
  type EntryHistory,
  matchesEntryTrigger,
  nextScheduledRun,
  SEGMENT_ENTERED,
  SEGMENT_EXITED,
} from './journey/entry.ts';
export { type JourneyEvent, matchesEvent, matchesFilters } from './journey/filters.ts';
export {
  type LibraryVersion,
  type TemplateLookup,
  templateReferences,
  withLibraryContent,
} from './journey/library.ts';
export { assignSplit, SPLIT_BUCKETS, type SplitAssignment, splitBucket } from './journey/split.ts';
export {
  type ExitReason,
  HISTORY_LIMIT,
  instanceIdFor,
  JOURNEY_STATE_VERSION,
  type JourneyInstance,
  newJourneyInstance,
  type StepRecord,
} from './journey/state.ts';
export {
  type ContentTemplate,
  checkHtmlTemplate,
  checkTemplate,
  liquid,
  type RenderedContent,
  renderContent,
  renderTemplate,
  type TemplateIssue,
  type TemplateVariables,
} from './journey/templates.ts';
export {
  type JourneyIssue,
  type JourneyIssueCode,
  type JourneyValidation,
  type JourneyValidationContext,
  templateVariables,
  validateJourney,
} from './journey/validate.ts';
export * from './placements/index.ts';
export { candidateFromSend } from './send-candidate.ts';
export { addDuration, describeLocal, nextTimeOfDay, resolveZone } from './time.ts';
