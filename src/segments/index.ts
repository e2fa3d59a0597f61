// Segments: who belongs to a group of customers, defined by a rule. This folder owns the rule
// tree and its JSON and text forms (parse, print, validate with errors that point at the
// column), the SQL compiler that builds a segment from history on DuckDB or PostgreSQL, the
// incremental evaluator the realtime processor runs on each event (with the moments a time
// window can expire), and `explain`. All pure: the runner that stores state and membership
// is the integration step's. Reference: docs/segments.md.
export type * from './ast.ts';
export { durationMs, isDateLiteral, literalType, TIME_UNIT_MS } from './ast.ts';
export { checkRuleJson, checkRuleText } from './check.ts';
// `rapport segments …` against a running server.
export { registerSegmentsCommands } from './cli.ts';
export { explainMembership, type RuleExplanation } from './explain.ts';
export { applyEvent, identifyTraits, mergeStates } from './incremental/apply.ts';
export { evaluateRule, nextRecheckAt } from './incremental/evaluate.ts';
export { type Measurement, measureCondition } from './incremental/measure.ts';
export { planTracking, type TrackerSpec, type TrackingPlan, trackerKeyOf } from './incremental/plan.ts';
export {
  emptyProfileState,
  factKey,
  type ProfileSegmentState,
  type SegmentEvent,
  STATE_VERSION,
  type TrackerState,
  type TraitEntry,
} from './incremental/state.ts';
export { formatIssue, formatIssues, type RuleIssue, type RuleResult } from './issues.ts';
export { decodeRuleJson } from './json.ts';
export {
  checkFunnel,
  describeFunnel,
  ECOMMERCE_FUNNEL,
  type FunnelDefinition,
  type FunnelStage,
  NONPROFIT_FUNNEL,
  PRIMARY_FUNNEL_ID,
  stageOf,
} from './lifecycle.ts';
// Live membership (the integration): the model the realtime processor evaluates, the SQL
// recompute with the state store's relations, the service and routes of the admin API.
export { recheckSegmentsOnComputedWrites } from './live/computed-rechecks.ts';
export { type FunnelReport, funnelReport } from './live/funnel-report.ts';
export { INTERNAL_EVENTS, isInternalEvent, SEGMENTS_SOURCE } from './live/internal.ts';
export { buildModel, evaluateProfile, type LiveModel, type LiveSegment, pruneFacts } from './live/model.ts';
// The realtime processor (offset `segments`), run by the pipeline's worker thread.
export { loadModel, runSegmentsStep, type SegmentsStepContext, segmentsProcessor } from './live/processor.ts';
export { type SegmentRouteOptions, segmentRoutes } from './live/routes.ts';
export { historyFor, seedFromHistory } from './live/seed.ts';
export { SegmentService } from './live/service.ts';
export { factKeysOf, gatherRelations, recomputeQuery } from './live/sql.ts';
export { type DerivedStages, deriveStageHistory } from './live/stage-history.ts';
export { type ParsedRuleText, parseRuleText, type SourceMap } from './parse.ts';
export { printRule } from './print.ts';
export { type CompiledSegmentSql, compileRuleToSql, type SegmentSqlOptions } from './sql/compile.ts';
export { quoteRelation, type SqlDialect } from './sql/dialect.ts';
export { duckDbDialect } from './sql/duckdb.ts';
export { postgresDialect } from './sql/postgres.ts';
export {
  type FieldCatalogue,
  MAX_COUNT,
  MAX_WINDOW_MS,
  type ValidationContext,
  validateRule,
} from './validate.ts';
export { dateKeyOf, parseDateLiteral, passesComparison } from './values.ts';
export { conditionsOf, referencedSegments } from './walk.ts';
