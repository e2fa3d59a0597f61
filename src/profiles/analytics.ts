// Analytics respects consent: profiles that denied analytics (and every profile merged into
// them, whose events still carry those ids) are left out of analytics results by default
// (RAPPORT_ANALYTICS_RESPECT_CONSENT=off to include them). Analytics runs on the event store,
// which has no consent table, so the excluded ids travel as one JSON parameter.
import type { StateStore } from '../store/index.ts';
import { ANALYTICS_PURPOSE } from './consent.ts';

/** Ids to leave out of analytics; empty when the setting is off. */
export async function analyticsExcludedProfiles(
  state: StateStore,
  respectConsent: boolean,
): Promise<string[]> {
  return respectConsent ? state.profilesByConsent(ANALYTICS_PURPOSE, 'denied') : [];
}

/**
 * A condition on `profile_id` for the event store's SQL, taking the ids as a JSON array in the
 * parameter `param` (e.g. '$3'): `WHERE … AND ${analyticsConsentCondition('duckdb', '$3')}`.
 */
export function analyticsConsentCondition(
  engine: 'duckdb' | 'postgres',
  param: string,
  column = 'profile_id',
): string {
  if (engine === 'duckdb') {
    return `${column} NOT IN (SELECT unnest(CAST(json(${param}) AS VARCHAR[])))`;
  }
  return `${column} NOT IN (SELECT jsonb_array_elements_text(${param}::jsonb))`;
}

/** The condition and its parameter value together. */
export async function analyticsConsentFilter(
  state: StateStore,
  engine: 'duckdb' | 'postgres',
  param: string,
  respectConsent: boolean,
): Promise<{ sql: string; value: string }> {
  const ids = await analyticsExcludedProfiles(state, respectConsent);
  return { sql: analyticsConsentCondition(engine, param), value: JSON.stringify(ids) };
}
