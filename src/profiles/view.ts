// The profile as the API shows it (the "360"): traits with when and where each was set,
// identities, merges (done and refused), consent per purpose, computed properties (value
// scores, lifecycle stage… written by other modules) and the latest events, across every
// profile merged into it.

import type {
  ConsentState,
  EventReader,
  IdentityKey,
  IdentityRow,
  ProfileRow,
  SegmentStore,
  StateStore,
  StoredEvent,
  StoredMergeRecord,
} from '../store/index.ts';
import { consentAllows, DEFAULT_CONSENT_PURPOSES } from './consent.ts';

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
  /** Every configured purpose (and any other one a decision named), unknown when undecided. */
  consent: Record<string, ConsentView>;
  computedProperties: Record<string, { value: unknown; computedAt: string }>;
  lastEvents: Array<Pick<StoredEvent, 'messageId' | 'type' | 'name' | 'timestamp' | 'properties'>>;
  /** Live segments the profile is in now (absent when live segments do not run here). */
  segments?: Array<{ segmentId: string; since: string; reason: string }>;
  /** The stage in the primary funnel (`lifecycle`), null when none; and the stage in every funnel. */
  lifecycleStage?: { stage: string; since: string } | null;
  stages?: Array<{ funnelId: string; stage: string; since: string }>;
}

/** What the view reads of the segments processor's store (docs/segments.md). */
export type ProfileSegmentsReader = Pick<SegmentStore, 'membershipsOfProfile' | 'stagesOf'>;

// PRIMARY_FUNNEL_ID of src/segments (not imported: segments' door leads back to the API and here).
const PRIMARY_FUNNEL = 'lifecycle';

async function segmentsPart(segments: ProfileSegmentsReader, profileId: string) {
  const members = await segments.membershipsOfProfile(profileId);
  const stages = await segments.stagesOf([profileId]);
  const primary = stages.find((s) => s.funnelId === PRIMARY_FUNNEL);
  return {
    segments: members.map(({ segmentId, since, reason }) => ({ segmentId, since, reason })),
    lifecycleStage: primary ? { stage: primary.stage, since: primary.since } : null,
    stages: stages.map(({ funnelId, stage, since }) => ({ funnelId, stage, since })),
  };
}

export interface ConsentView {
  state: ConsentState;
  /** What a sender may do with it: unknown is no for every purpose but analytics. */
  allowed: boolean;
  at: string | null;
  source: string | null;
  messageId: string | null;
}

export function consentViewOf(profile: ProfileRow, purposes: readonly string[]): Record<string, ConsentView> {
  const view: Record<string, ConsentView> = {};
  for (const purpose of new Set([...purposes, ...Object.keys(profile.consent)])) {
    const decision = profile.consent[purpose];
    const state = decision?.state ?? 'unknown';
    view[purpose] = {
      state,
      allowed: consentAllows(state, purpose),
      at: decision?.at ?? null,
      source: decision?.source ?? null,
      messageId: decision?.messageId ?? null,
    };
  }
  return view;
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
  options: { eventLimit: number; purposes?: readonly string[]; segments?: ProfileSegmentsReader } = {
    eventLimit: 20,
  },
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
    consent: consentViewOf(profile, options.purposes ?? DEFAULT_CONSENT_PURPOSES),
    computedProperties: Object.fromEntries(
      (await state.computedPropertiesOf([profile.profileId])).map((row) => [
        row.name,
        { value: row.value, computedAt: row.computedAt },
      ]),
    ),
    lastEvents: lastEvents.map(({ messageId, type, name, timestamp, properties }) => ({
      messageId,
      type,
      name,
      timestamp,
      properties,
    })),
    ...(options.segments ? await segmentsPart(options.segments, profile.profileId) : {}),
  };
}
