// Consent set through the admin API travels the same path as consent from SDKs: it becomes a
// "Segment Consent Preference Updated" track message with source `admin-api`, appended to the
// ingest log, and the profiles processor applies it. One path means one ordering rule and one
// history, whoever made the change.
import { randomUUID } from 'node:crypto';
import { RapportError } from '../errors/index.ts';
import { parsePayload } from '../events/index.ts';
import type { ConsentState, IdentityRow, LogEntry, StateStore } from '../store/index.ts';
import { CONSENT_EVENT, readConsentChoices } from './consent.ts';
import { survivorOf } from './view.ts';

export const ADMIN_CONSENT_SOURCE = 'admin-api';

export interface AdminConsentChange {
  profileId: string;
  messageId: string;
  purposes: Record<string, ConsentState>;
  entry: LogEntry;
}

/** The identifier the message goes out under, so it resolves to this profile. */
function addressOf(identities: IdentityRow[]): Record<string, unknown> | undefined {
  const pick = (kind: string) => identities.find((identity) => identity.kind === kind);
  const userId = pick('user_id');
  if (userId) return { userId: userId.value };
  const anonymousId = pick('anonymous_id');
  if (anonymousId) return { anonymousId: anonymousId.value };
  const other = identities[0];
  // An identifier trait (email…) alone: Segment needs an anonymousId; a fresh one is harmless.
  return other
    ? { anonymousId: randomUUID(), context: { traits: { [other.kind]: other.value } } }
    : undefined;
}

/**
 * Validates the requested purposes (every bad entry named, nothing applied when any is bad)
 * and builds the log entry. Throws 404 for an unknown profile.
 */
export async function adminConsentChange(
  state: StateStore,
  profileId: string,
  body: unknown,
  purposes: readonly string[],
  note?: string,
): Promise<AdminConsentChange> {
  const raw = body && typeof body === 'object' ? (body as { purposes?: unknown }).purposes : undefined;
  const { choices, problems } = readConsentChoices(raw, 'purposes', purposes);
  if (problems.length > 0 || choices.length === 0) {
    const first = problems[0] ?? { field: 'purposes', reason: 'name at least one purpose' };
    throw new RapportError('RAPPORT_CONSENT_INVALID', `${first.field}: ${first.reason}`, {
      field: first.field,
      problems,
    });
  }
  const profile = await survivorOf(state, profileId);
  if (!profile) throw new RapportError('RAPPORT_API_NOT_FOUND', `no profile ${profileId}`);
  const address = addressOf(await state.identitiesOfProfiles([profile.profileId]));
  if (!address)
    throw new RapportError('RAPPORT_API_NOT_FOUND', `profile ${profileId} has no identifier left`);
  const categoryPreferences = Object.fromEntries(choices.map((choice) => [choice.purpose, choice.state]));
  const messageId = `consent-${randomUUID()}`;
  const context = { ...((address.context as object) ?? {}), consent: { categoryPreferences } };
  const message = {
    ...address,
    type: 'track',
    event: CONSENT_EVENT,
    messageId,
    properties: note ? { note } : {},
    context,
  };
  const receivedAt = new Date();
  const parsed = parsePayload(message, 'track', { receivedAt });
  const accepted = parsed.accepted[0];
  if (!accepted) {
    const rejection = parsed.rejected[0];
    throw new RapportError('RAPPORT_API_BAD_REQUEST', `${rejection?.field}: ${rejection?.reason}`);
  }
  return {
    profileId: profile.profileId,
    messageId,
    purposes: categoryPreferences,
    entry: {
      messageId,
      source: ADMIN_CONSENT_SOURCE,
      receivedAt: receivedAt.toISOString(),
      json: accepted.json,
    },
  };
}
