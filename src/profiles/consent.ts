// Consent: per purpose, granted, denied or unknown, with when and from where. Decisions arrive
// as messages (Segment's context.consent.categoryPreferences, the "Segment Consent Preference
// Updated" event, an identify's `consent` trait, or the admin API, which appends such an
// event), so they follow the same order-independent rule as traits. Pure; no I/O here except
// in the `consentOf` door at the bottom.
import type { SegmentMessage } from '../events/index.ts';
import type { ConsentDecision, ConsentRecord, ConsentState, ProfileRow, StateStore } from '../store/index.ts';

export const DEFAULT_CONSENT_PURPOSES: readonly string[] = [
  'analytics',
  'personalization',
  'email',
  'sms',
  'push',
  'phone',
  'location',
];

export const CONSENT_STATES: readonly ConsentState[] = ['granted', 'denied', 'unknown'];

/** Segment's consent event; the admin API appends one of these with source `admin-api`. */
export const CONSENT_EVENT = 'Segment Consent Preference Updated';

/** The identify trait that carries decisions; kept out of the traits. */
export const CONSENT_TRAIT = 'consent';

/** The one purpose where unknown counts as yes: only an explicit denial excludes. */
export const ANALYTICS_PURPOSE = 'analytics';

export interface ConsentProblem {
  field: string;
  reason: string;
}

export interface ConsentChoice {
  purpose: string;
  state: ConsentState;
}

/** true/false (Segment's booleans) or the state names, any case. */
export function parseConsentState(raw: unknown): ConsentState | undefined {
  if (raw === true) return 'granted';
  if (raw === false) return 'denied';
  if (typeof raw !== 'string') return undefined;
  const state = raw.trim().toLowerCase();
  return (CONSENT_STATES as readonly string[]).includes(state) ? (state as ConsentState) : undefined;
}

/** The configured purpose a name means (exact, then case-insensitive), or undefined. */
export function canonicalPurpose(name: string, purposes: readonly string[]): string | undefined {
  if (purposes.includes(name)) return name;
  const lower = name.toLowerCase();
  return purposes.find((purpose) => purpose.toLowerCase() === lower);
}

/**
 * Reads a { purpose: value } object, naming each entry it cannot use. Good entries are kept
 * even when others are bad: one typo does not throw away the rest of a person's choices.
 */
export function readConsentChoices(
  raw: unknown,
  field: string,
  purposes: readonly string[],
): { choices: ConsentChoice[]; problems: ConsentProblem[] } {
  const choices: ConsentChoice[] = [];
  const problems: ConsentProblem[] = [];
  if (raw === undefined || raw === null) return { choices, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ field, reason: 'must be an object of purpose: granted | denied | unknown' });
    return { choices, problems };
  }
  for (const [name, value] of Object.entries(raw)) {
    const purpose = canonicalPurpose(name, purposes);
    const state = parseConsentState(value);
    if (!purpose) {
      problems.push({
        field: `${field}.${name}`,
        reason: `unknown purpose ${JSON.stringify(name)}; configured purposes: ${purposes.join(', ')}`,
      });
    } else if (!state) {
      problems.push({
        field: `${field}.${name}`,
        reason: `${JSON.stringify(value)} is not a consent state; use granted, denied, unknown, true or false`,
      });
    } else {
      choices.push({ purpose, state });
    }
  }
  return { choices, problems };
}

function objectAt(value: unknown, key: string): unknown {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** Every consent choice a message carries, later sources overriding earlier ones per purpose. */
export function consentChoicesOf(
  message: SegmentMessage,
  purposes: readonly string[],
): { choices: ConsentChoice[]; problems: ConsentProblem[] } {
  const fromContext = objectAt(objectAt(message.context, 'consent'), 'categoryPreferences');
  const consentEvent = message.type === 'track' && message.event === CONSENT_EVENT;
  // Most messages carry no consent at all: the profiles step asks for every one of them.
  if ((fromContext === undefined || fromContext === null) && !consentEvent && message.type !== 'identify')
    return { choices: [], problems: [] };
  const sources: [unknown, string][] = [[fromContext, 'context.consent.categoryPreferences']];
  if (consentEvent) {
    sources.push([objectAt(message.properties, 'categoryPreferences'), 'properties.categoryPreferences']);
  }
  if (message.type === 'identify') {
    sources.push([objectAt(message.traits, CONSENT_TRAIT), `traits.${CONSENT_TRAIT}`]);
  }
  const byPurpose = new Map<string, ConsentChoice>();
  const problems: ConsentProblem[] = [];
  for (const [raw, field] of sources) {
    const read = readConsentChoices(raw, field, purposes);
    for (const choice of read.choices) byPurpose.set(choice.purpose, choice);
    problems.push(...read.problems);
  }
  return { choices: [...byPurpose.values()], problems };
}

/** At one instant the stricter decision wins, so a tie can never turn a denial into a grant. */
const STRICTNESS: Record<ConsentState, number> = { granted: 0, unknown: 1, denied: 2 };

/** The total order of decisions: time, then strictness, then messageId. Merges commute on it. */
export function isLaterDecision(a: ConsentDecision, b: ConsentDecision): boolean {
  const byTime = Date.parse(a.at) - Date.parse(b.at);
  if (byTime !== 0) return byTime > 0;
  const byStrictness = STRICTNESS[a.state] - STRICTNESS[b.state];
  if (byStrictness !== 0) return byStrictness > 0;
  return a.messageId > b.messageId;
}

export function setConsent(profile: ProfileRow, purpose: string, candidate: ConsentDecision): void {
  const current = profile.consent[purpose];
  if (!current || isLaterDecision(candidate, current)) profile.consent[purpose] = candidate;
}

/**
 * Applies the message's consent choices to the profile it resolved to and returns them as
 * history rows. History keeps every decision, including ones older than the current state.
 */
export function applyConsent(
  profile: ProfileRow,
  message: SegmentMessage,
  source: string,
  purposes: readonly string[],
): ConsentRecord[] {
  const { choices } = consentChoicesOf(message, purposes);
  const note = noteOf(message);
  return choices.map(({ purpose, state }) => {
    const decision: ConsentDecision = { state, at: message.timestamp, source, messageId: message.messageId };
    setConsent(profile, purpose, decision);
    return { ...decision, profileId: profile.profileId, purpose, note };
  });
}

/** The consent event's `note` (the admin API puts the PUT's note there), kept in the history. */
function noteOf(message: SegmentMessage): string | null {
  if (message.type !== 'track' || message.event !== CONSENT_EVENT) return null;
  const note = message.properties?.note;
  return typeof note === 'string' && note.trim() !== '' ? note.slice(0, 500) : null;
}

/** Folds the loser's decisions into the winner: the most recent decision per purpose wins. */
export function mergeConsent(winner: ProfileRow, loser: ProfileRow): void {
  for (const [purpose, decision] of Object.entries(loser.consent)) setConsent(winner, purpose, decision);
  loser.consent = {};
}

/** The state of one purpose on a loaded profile; no decision is unknown. */
export function consentStateOf(
  profile: Pick<ProfileRow, 'consent'> | undefined,
  purpose: string,
): ConsentState {
  return profile?.consent[purpose]?.state ?? 'unknown';
}

/**
 * Whether a state allows using the person's data for the purpose. Unknown means no for every
 * purpose but analytics: marketing needs a grant (permission marketing), analytics only
 * stops at an explicit denial.
 */
export function consentAllows(state: ConsentState, purpose: string): boolean {
  if (state === 'granted') return true;
  if (state === 'denied') return false;
  return purpose === ANALYTICS_PURPOSE;
}

export interface ConsentAnswer {
  state: ConsentState;
  allowed: boolean;
  decision: ConsentDecision | null;
}

const MAX_MERGE_HOPS = 64;

/**
 * The door every sender calls before using a person's data for a purpose: follows merges to
 * the live profile. An unknown (or erased) profile answers unknown, which is no for marketing.
 */
export async function consentOf(
  state: StateStore,
  profileId: string,
  purpose: string,
): Promise<ConsentAnswer> {
  let profile = await state.getProfile(profileId);
  for (let hops = 0; profile?.mergedInto && hops < MAX_MERGE_HOPS; hops++) {
    profile = await state.getProfile(profile.mergedInto);
  }
  const decision = profile?.consent[purpose] ?? null;
  const current = decision?.state ?? 'unknown';
  return { state: current, allowed: consentAllows(current, purpose), decision };
}
