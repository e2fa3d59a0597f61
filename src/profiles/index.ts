// Profiles: the read model of each person (traits with their source and time, counters,
// groups) built from the log by the profiles processor, the pure rules that apply a message
// to a profile and fold two profiles into one, and the view the API serves.

export { ADMIN_CONSENT_SOURCE, type AdminConsentChange, adminConsentChange } from './admin-consent.ts';
export { analyticsConsentCondition, analyticsConsentFilter, analyticsExcludedProfiles } from './analytics.ts';
export { formatJob, formatProfile, formatSearch, registerProfilesCommands } from './cli.ts';
export {
  ANALYTICS_PURPOSE,
  applyConsent,
  CONSENT_EVENT,
  CONSENT_STATES,
  type ConsentAnswer,
  consentAllows,
  consentChoicesOf,
  consentOf,
  consentStateOf,
  DEFAULT_CONSENT_PURPOSES,
  readConsentChoices,
} from './consent.ts';
export { type ErasedPerson, type ErasureDeps, ErasureService } from './erasure.ts';
export { type ExportSection, exportHeader, exportProfile } from './export.ts';
export { INTERNAL_TRAIT, isCustomer } from './internal.ts';
export { applyMessage, mergeProfiles, newProfile, traitsOf, traitValues } from './model.ts';
export { type PurposeRouteOptions, purposeRoutes } from './purpose-routes.ts';
export { PURPOSE_NAME, PurposeCatalog, type PurposeEntry } from './purposes.ts';
export { type ProfileApiOptions, profileRoutes } from './routes.ts';
export type { ProfileSummary } from './schema.ts';
export { privacyScreen } from './screen.ts';
export {
  decodeCursor,
  encodeCursor,
  profilesNamedBy,
  profileTimeline,
  searchProfiles,
  summariesOf,
} from './search.ts';
export { identifierHash, SuppressionList } from './suppression.ts';
export {
  buildProfileView,
  type ConsentView,
  lookupProfileId,
  mergedIdsOf,
  type ProfileSegmentsReader,
  type ProfileView,
  survivorOf,
} from './view.ts';
