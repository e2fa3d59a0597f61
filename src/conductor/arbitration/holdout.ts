// The global holdout: a stable share of people who get no marketing message at all
// (transactional ones still go), so the lift of the whole programme can be measured against
// them. Membership is a hash of the profile id, so it needs no table and is the same on every
// process; the experiments module reads the same function to split people when it measures.
import { createHash } from 'node:crypto';

/** Hashed before the profile id; the warehouse's SQL (experiments) hashes the same text. */
export const HOLDOUT_SALT = 'rapport-global-holdout:';

export interface GlobalHoldout {
  /** Share of people held out, 0–50, to two decimals. */
  percent: number;
}

/** The person's position in [0, 1): the same for the same profile id, everywhere. */
export function holdoutPosition(profileId: string): number {
  return createHash('sha256').update(`${HOLDOUT_SALT}${profileId}`).digest().readUInt32BE(0) / 2 ** 32;
}

export function inGlobalHoldout(profileId: string, holdout: GlobalHoldout | undefined): boolean {
  return holdout !== undefined && holdout.percent > 0 && holdoutPosition(profileId) < holdout.percent / 100;
}
