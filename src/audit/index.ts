// The assumption audit (docs/assumption-audit.md): the door to the capability.

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
  CONFIDENCE,
  differenceInterval,
  type Interval,
  shareInterval,
  type Verdict,
  wilsonInterval,
} from './stats.ts';
