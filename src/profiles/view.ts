// The profile as the API shows it: traits with when and where each was set, identities,
// merges (done and refused), and the latest events, across every profile merged into it.
import type { EventReader } from '../pipeline/index.ts';
import type {
  IdentityKey,
  IdentityRow,
  ProfileRow,
  StateStore,
  StoredEvent,
  StoredMergeRecord,
} from '../store/index.ts';

export interface ProfileView {
  profileId: string;
  createdAt: string;
  firstSeen: string;
  lastSeen: string;
  eventCount: number;
  traits: Record<string, unknown>;
  traitSources: Record<string, { at: string; source: string; messageId: string }>;
  groups: ProfileRow['groups'];
  identities: Array<{ kind: string; value: string; firstSeen: string }>;
  mergedFrom: string[];
  merges: StoredMergeRecord[];
  lastEvents: Array<Pick<StoredEvent, 'messageId' | 'type' | 'name' | 'timestamp' | 'properties'>>;
}

const MAX_MERGE_DEPTH = 64;

/** Follows merged-into links to the live profile. */
export async function survivorOf(state: StateStore, profileId: string): Promise<ProfileRow | undefined> {
  let profile = await state.getProfile(profileId);
  for (let hops = 0; profile?.mergedInto && hops < MAX_MERGE_DEPTH; hops++) {
    profile = await state.getProfile(profile.mergedInto);
  }
  return profile;
}

/** Every profile id folded into this one, directly or through earlier merges. */
export async function mergedIdsOf(state: StateStore, profileId: string): Promise<string[]> {
  const found = new Set<string>();
  let frontier = [profileId];
  for (let depth = 0; frontier.length > 0 && depth < MAX_MERGE_DEPTH; depth++) {
    const merges = await state.mergesOf(frontier);
    const next = merges
      .filter((m) => m.outcome === 'merged' && frontier.includes(m.winnerId) && !found.has(m.loserId))
      .map((m) => m.loserId);
    for (const id of next) found.add(id);
    frontier = next;
  }
  found.delete(profileId);
  return [...found];
}

export async function lookupProfileId(state: StateStore, key: IdentityKey): Promise<string | undefined> {
  const [identity] = await state.findIdentities([key]);
  return identity?.profileId;
}

export async function buildProfileView(
  state: StateStore,
  events: EventReader,
  profileId: string,
  options: { eventLimit: number } = { eventLimit: 20 },
): Promise<ProfileView | undefined> {
  const profile = await survivorOf(state, profileId);
  if (!profile) return undefined;
  const mergedFrom = await mergedIdsOf(state, profile.profileId);
  const allIds = [profile.profileId, ...mergedFrom];
  const identities: IdentityRow[] = await state.identitiesOfProfiles([profile.profileId]);
  const lastEvents = await events.eventsOf({ profileIds: allIds, limit: options.eventLimit });
  return {
    profileId: profile.profileId,
    createdAt: profile.createdAt,
    firstSeen: profile.firstSeen,
    lastSeen: profile.lastSeen,
    eventCount: profile.eventCount,
    traits: Object.fromEntries(Object.entries(profile.traits).map(([k, t]) => [k, t.value])),
    traitSources: Object.fromEntries(
      Object.entries(profile.traits).map(([k, t]) => [
        k,
        { at: t.at, source: t.source, messageId: t.messageId },
      ]),
    ),
    groups: profile.groups,
    identities: identities.map(({ kind, value, firstSeen }) => ({ kind, value, firstSeen })),
    mergedFrom,
    merges: await state.mergesOf(allIds),
    lastEvents: lastEvents.map(({ messageId, type, name, timestamp, properties }) => ({
      messageId,
      type,
      name,
      timestamp,
      properties,
    })),
  };
}
