// What the runner reads about a person before advancing a journey or arbitrating a send: the
// live profile (after merges), traits, time zone, consent per purpose, suppressions, and an
// identifier to put on the events it writes back into the log so the profiles processor
// files them under the same person.
import { survivorOf } from '../../profiles/index.ts';
import type { ChannelSuppressionRow, ConsentState, ProfileRow, StateStore } from '../../store/index.ts';
import type { ProfileFacts } from '../journey/advance.ts';

export interface PersonFacts extends ProfileFacts {
  /** False when the profile is gone (erased) or never existed. */
  exists: boolean;
  profile: ProfileRow | undefined;
  consent: Record<string, ConsentState>;
  /** How events about this person are addressed in the log. */
  identity: { userId: string } | { anonymousId: string } | undefined;
}

export function timeZoneOf(traits: Readonly<Record<string, unknown>>): string | undefined {
  const zone = traits.timeZone ?? traits.timezone;
  return typeof zone === 'string' && zone !== '' ? zone : undefined;
}

export async function loadPerson(state: StateStore, profileId: string): Promise<PersonFacts> {
  const profile = await survivorOf(state, profileId);
  if (!profile) {
    return {
      profileId,
      exists: false,
      profile,
      traits: {},
      timeZone: undefined,
      consent: {},
      identity: undefined,
    };
  }
  const traits = Object.fromEntries(Object.entries(profile.traits).map(([key, trait]) => [key, trait.value]));
  const consent = Object.fromEntries(
    Object.entries(profile.consent ?? {}).map(([purpose, decision]) => [purpose, decision.state]),
  );
  const identities = await state.identitiesOfProfiles([profile.profileId]);
  const userId = identities.find((identity) => identity.kind === 'user_id')?.value;
  const anonymousId = identities.find((identity) => identity.kind === 'anonymous_id')?.value;
  const identity = userId ? { userId } : anonymousId ? { anonymousId } : undefined;
  return {
    profileId: profile.profileId,
    exists: true,
    profile,
    traits,
    timeZone: timeZoneOf(traits),
    consent,
    identity,
  };
}

/** Arbitration's suppressions: the channel suppressions on record, and everything for an erased person. */
export function suppressionsFor(person: PersonFacts, rows: readonly ChannelSuppressionRow[]) {
  if (!person.exists)
    return [{ channel: 'all' as const, scope: 'all' as const, reason: 'no such profile (erased?)' }];
  return rows.map((row) => ({
    channel: row.channel as 'all',
    scope: row.scope,
    reason: row.reason,
  }));
}
