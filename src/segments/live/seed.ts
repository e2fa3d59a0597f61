// Filling new trackers from history. A tracker (one per distinct performed/aggregate
// condition) or a trait that no live rule read before is empty in every profile's state; on
// build, the events it needs (seq ≤ the processor's offset, so nothing is counted twice when
// the processor later applies newer ones) are read from the event store, folded onto the
// profile they now belong to (profile_map), and applied with a plan of just the new parts.
// First/last seen need no replay: every state already saw every event up to the offset.
import type { EventStore } from '../../store/index.ts';
import type { SegmentStore } from '../../store/segment-types.ts';
import type { TrackingPlan } from '../incremental/plan.ts';
import type { ProfileSegmentState, SegmentEvent } from '../incremental/state.ts';
import { INTERNAL_EVENTS } from './internal.ts';
import type { LiveModel } from './model.ts';

const SEEDED_META = 'seeded';
const PAGE = 50_000;

interface Seeded {
  trackers: string[];
  traits: string[];
}

export interface Replay {
  plan: TrackingPlan;
  metaKey: string;
  seeded: Seeded;
  /** The state without any stale data of the parts being refilled. */
  reset(state: ProfileSegmentState): ProfileSegmentState;
  eventsOf(profileId: string): SegmentEvent[];
}

function parseJson(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') return JSON.parse(value) as Record<string, unknown>;
  return (value ?? {}) as Record<string, unknown>;
}

export async function seedFromHistory(
  ctx: { events: EventStore; store: SegmentStore },
  model: LiveModel,
  offset: number,
): Promise<Replay> {
  const previous = ((await ctx.store.getMeta(SEEDED_META)) ?? { trackers: [], traits: [] }) as Seeded;
  const plan: TrackingPlan = { traits: new Set(), trackers: new Map() };
  for (const [key, spec] of model.plan.trackers)
    if (!previous.trackers.includes(key)) plan.trackers.set(key, spec);
  for (const trait of model.plan.traits) if (!previous.traits.includes(trait)) plan.traits.add(trait);
  const seeded = { trackers: [...model.plan.trackers.keys()], traits: [...model.plan.traits] };
  const byProfile = await readHistory(ctx, plan, offset);
  return {
    plan,
    metaKey: SEEDED_META,
    seeded,
    reset(state) {
      if (plan.trackers.size === 0 && plan.traits.size === 0) return state;
      const trackers = { ...state.trackers };
      for (const key of plan.trackers.keys()) delete trackers[key];
      const traits = { ...state.traits };
      for (const trait of plan.traits) delete traits[trait];
      return { ...state, trackers, traits };
    },
    eventsOf: (profileId) => byProfile.get(profileId) ?? [],
  };
}

/**
 * Every event the rules of `model` read, up to `offset`, per (surviving) profile: the history
 * a funnel switched on after an import derives its stage changes from (stage-history.ts).
 */
export async function historyFor(
  ctx: { events: EventStore; store: SegmentStore },
  model: LiveModel,
  offset: number,
): Promise<(profileId: string) => SegmentEvent[]> {
  const byProfile = await readHistory(ctx, model.plan, offset);
  return (profileId) => byProfile.get(profileId) ?? [];
}

/**
 * The events of these profiles (by the profile id each event was stored under: `owners` maps
 * a merged profile's stored id to the survivor's) that the rules of `model` read, up to
 * `offset`: the history a late event re-dates a person's stage changes from.
 */
export async function historyOfProfiles(
  ctx: { events: EventStore },
  model: LiveModel,
  owners: ReadonlyMap<string, string>,
  offset: number,
): Promise<Map<string, SegmentEvent[]>> {
  const byProfile = new Map<string, SegmentEvent[]>();
  const stored = [...owners.keys()];
  for (let i = 0; i < stored.length; i += PROFILES_PER_QUERY) {
    const chunk = stored.slice(i, i + PROFILES_PER_QUERY);
    await readEvents(ctx, model.plan, offset, byProfile, (id) => owners.get(id) ?? id, chunk);
  }
  return byProfile;
}

const PROFILES_PER_QUERY = 500;

async function readHistory(
  ctx: { events: EventStore; store: SegmentStore },
  plan: TrackingPlan,
  offset: number,
): Promise<Map<string, SegmentEvent[]>> {
  const byProfile = new Map<string, SegmentEvent[]>();
  if (!readsEvents(plan)) return byProfile;
  const map = await ctx.store.profileMap();
  await readEvents(ctx, plan, offset, byProfile, (id) => map.get(id) ?? id);
  return byProfile;
}

function eventNames(plan: TrackingPlan): string[] {
  return [...new Set([...plan.trackers.values()].map((spec) => spec.event))].filter(
    (name) => !INTERNAL_EVENTS.has(name),
  );
}

function readsEvents(plan: TrackingPlan): boolean {
  return eventNames(plan).length > 0 || plan.traits.size > 0;
}

/** Pages through the events `plan` reads up to `offset` (of `profiles` only, when given). */
async function readEvents(
  ctx: { events: EventStore },
  plan: TrackingPlan,
  offset: number,
  byProfile: Map<string, SegmentEvent[]>,
  ownerOf: (storedProfileId: string) => string,
  profiles?: string[],
): Promise<void> {
  const names = eventNames(plan);
  const wantIdentifies = plan.traits.size > 0;
  if (names.length === 0 && !wantIdentifies) return;
  const nameMarks = names.map((_, i) => `$${i + 3}`);
  const profileMarks = (profiles ?? []).map((_, i) => `$${i + 3 + names.length}`);
  const filters = [
    ...(names.length > 0 ? [`(type <> 'identify' AND name IN (${nameMarks.join(', ')}))`] : []),
    ...(wantIdentifies ? ["type = 'identify'"] : []),
  ];
  const ofProfiles = profiles ? `AND profile_id IN (${profileMarks.join(', ')})` : '';
  let after = 0;
  for (;;) {
    const rows = await ctx.events.query(
      `SELECT seq, profile_id, message_id, type, name, timestamp, properties,
              CASE WHEN type = 'identify' THEN message END AS message
       FROM events WHERE seq > $1 AND seq <= $2 AND (${filters.join(' OR ')}) ${ofProfiles}
       ORDER BY seq LIMIT ${PAGE}`,
      [after, offset, ...names, ...(profiles ?? [])],
    );
    for (const row of rows) {
      const profileId = ownerOf(String(row.profile_id));
      const list = byProfile.get(profileId) ?? [];
      list.push({
        messageId: String(row.message_id),
        type: String(row.type),
        name: row.name === null || row.name === undefined ? null : String(row.name),
        timestamp: new Date(String(row.timestamp)).toISOString(),
        properties: parseJson(row.properties),
        message: parseJson(row.message),
      });
      byProfile.set(profileId, list);
    }
    if (rows.length < PAGE) break;
    after = Number(rows.at(-1)?.seq);
  }
}
