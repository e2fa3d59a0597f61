// The assumption audit (docs/assumption-audit.md): the door to the capability.

export { AUDIT_USER_ID, BELIEF_FLIPPED, flipEntries } from './announce.ts';
export { EvidenceReader, type EvidenceSources, UnknownNameError } from './evidence.ts';
export {
  type Belief,
  type Claim,
  type Condition,
  conditionKey,
  conditionsOf,
  type EventRef,
  type Evidence,
  type Flip,
  type TestResult,
  testClaim,
  withResult,
} from './model.ts';
export {
  type AuditRouteOptions,
  auditRoutes,
  BeliefBodySchema,
  BeliefSchema,
  ClaimSchema,
} from './routes.ts';
export { AuditService, type AuditStores, BELIEFS_REPORT, type BeliefInput, type FlipOf } from './service.ts';
export {
  CONFIDENCE,
  differenceInterval,
  type Interval,
  shareInterval,
  type Verdict,
  wilsonInterval,
} from './stats.ts';
