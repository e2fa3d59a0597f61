// Arbitration: the gate on the send path of every message.
export { arbitrate, consentFailure, rankCandidates } from './arbitrate.ts';
export { type CapBucket, capBucket, capBucketKeys, capBucketsFor, describeCap } from './caps.ts';
export { type GlobalHoldout, HOLDOUT_SALT, holdoutPosition, inGlobalHoldout } from './holdout.ts';
export {
  type ArbitrationPolicyDocument,
  ArbitrationPolicySchema,
  type PolicyValidation,
  validatePolicy,
} from './policy.ts';
export { isInQuietHours, quietHoursEnd } from './quiet-hours.ts';
export { describeUntil } from './reasons.ts';
export type * from './types.ts';
