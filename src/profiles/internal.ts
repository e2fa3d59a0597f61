// Profiles that are Rapport's own, not customers': the assumption audit's (the owner of `Belief
// Flipped` events, so journeys can act on them). They carry the trait `rapport_internal`; the
// audit, the personas and the surveys' population leave them out.
import type { ProfileRow } from '../store/index.ts';

export const INTERNAL_TRAIT = 'rapport_internal';

export function isCustomer(profile: Pick<ProfileRow, 'traits'>): boolean {
  return profile.traits[INTERNAL_TRAIT] === undefined;
}
