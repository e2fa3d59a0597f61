// The schedule step: entry triggers that no event starts. Each step looks at every active
// journey whose trigger is
//   - `broadcast` or `schedule`: when a run is due (the journey's schedule mark holds the last
//     run done), enters every current member of the segment, a page per step, then moves the
//     mark (compare-and-set, so one process finishes each page). Runs missed while no process
//     ran collapse into the latest one; the instance id is a hash of journey, person and run
//     time, so a page entered twice (a crash before the mark moved) is one entry per person;
//   - `dateTrait`: sweeps the live profiles a page per step (the mark holds the sweep's cursor)
//     and enters each person whose date (`renewal_date` − 30 days, at `at` in their zone) is due
//     and no earlier than the journey's creation; the instance id is a hash of journey, person
//     and the date value, so a date fires once and a new date value fires again.
// Entries go through the same re-entry rule and runner as event-started ones.
import type { StoredJourney } from '../../store/index.ts';
import type { EntryTrigger, JourneyDefinition } from '../journey/definition.ts';
import { dateTriggerAt, nextScheduledRun } from '../journey/entry.ts';
import { instanceIdFor } from '../journey/state.ts';
import { loadPerson, timeZoneOf } from './person.ts';
import { prepareEntry, runInput, withHistoryRetry } from './runner.ts';
import type { ConductorState } from './state.ts';

/** Profiles read per date-trait journey per step, and segment members per run per step. */
export const SCHEDULE_PAGE = 200;
/** A mark of a run in progress: `<run instant> <last profile id entered>`. */
const IN_PROGRESS = ' ';
const EPOCH = '1970-01-01T00:00:00.000Z';
const MAX_CATCH_UP = 100_000;

type DateTrigger = Extract<EntryTrigger, { kind: 'dateTrait' }>;
type SegmentRunTrigger = Extract<EntryTrigger, { kind: 'broadcast' | 'schedule' }>;

/** One pass over the active journeys with time-based triggers; returns how many people it entered. */
export async function runScheduleStep(conductor: ConductorState, pageSize = SCHEDULE_PAGE): Promise<number> {
  let entered = 0;
  for (const { stored, definition } of await conductor.catalog.active()) {
    const trigger = definition.entry;
    if (trigger.kind === 'dateTrait')
      entered += await runDateTrait(conductor, stored, definition, trigger, pageSize);
    else if (trigger.kind === 'broadcast' || trigger.kind === 'schedule')
      entered += await runSegmentRun(conductor, stored, definition, trigger, pageSize);
  }
  return entered;
}

export function scheduleMarkKey(journeyId: string, kind: 'run' | 'dateTrait'): string {
  return `${kind}:${journeyId}`;
}

/** The run a schedule or broadcast owes at `now` after the last run `from`, if one is due. */
export function dueRun(trigger: SegmentRunTrigger, from: string, now: string): string | undefined {
  let due = nextScheduledRun(trigger, from);
  if (due === undefined || Date.parse(due) > Date.parse(now)) return undefined;
  for (let i = 0; i < MAX_CATCH_UP; i++) {
    const later = nextScheduledRun(trigger, due);
    if (later === undefined || Date.parse(later) > Date.parse(now)) break;
    due = later;
  }
  return due;
}

async function runSegmentRun(
  conductor: ConductorState,
  stored: StoredJourney,
  definition: JourneyDefinition,
  trigger: SegmentRunTrigger,
  pageSize: number,
): Promise<number> {
  const segments = conductor.segments;
  if (!segments) return 0;
  const key = scheduleMarkKey(stored.journeyId, 'run');
  const mark = await conductor.store.getScheduleMark(key);
  const now = conductor.now();
  let runAt: string;
  let afterId: string | undefined;
  if (mark?.includes(IN_PROGRESS)) {
    const at = mark.indexOf(IN_PROGRESS);
    runAt = mark.slice(0, at);
    afterId = mark.slice(at + 1);
  } else {
    // A broadcast saved after its instant still goes out (once); a schedule counts from its save.
    const from = mark ?? (trigger.kind === 'broadcast' ? EPOCH : stored.createdAt);
    const due = dueRun(trigger, from, now);
    if (due === undefined) return 0;
    runAt = due;
  }
  const members = await segments.listMembers(trigger.segmentId, {
    ...(afterId === undefined ? {} : { afterId }),
    limit: pageSize,
  });
  let entered = 0;
  for (const member of members)
    if (await enter(conductor, definition, member.profileId, `${trigger.kind}:${runAt}`, now)) entered++;
  const last = members.at(-1);
  const next = members.length < pageSize || !last ? runAt : `${runAt}${IN_PROGRESS}${last.profileId}`;
  await conductor.store.moveScheduleMark(key, mark, next);
  return entered;
}

async function runDateTrait(
  conductor: ConductorState,
  stored: StoredJourney,
  definition: JourneyDefinition,
  trigger: DateTrigger,
  pageSize: number,
): Promise<number> {
  const key = scheduleMarkKey(stored.journeyId, 'dateTrait');
  const mark = await conductor.store.getScheduleMark(key);
  const now = conductor.now();
  const profiles = await conductor.state.searchProfiles({
    ...(mark ? { afterId: mark } : {}),
    limit: pageSize,
  });
  let entered = 0;
  for (const profile of profiles) {
    const traits = Object.fromEntries(Object.entries(profile.traits).map(([name, t]) => [name, t.value]));
    const value = traits[trigger.trait];
    const zone = timeZoneOf(traits) ?? definition.defaultTimeZone;
    const dueAt = dateTriggerAt(trigger, traits, zone);
    if (dueAt === undefined || Date.parse(dueAt) > Date.parse(now)) continue;
    // Dates already past when the journey was made are not owed (no flood at publish).
    if (Date.parse(dueAt) < Date.parse(stored.createdAt)) continue;
    if (await enter(conductor, definition, profile.profileId, `dateTrait:${trigger.trait}:${value}`, now))
      entered++;
  }
  // The sweep's cursor; a short page ends the sweep and the next step starts over.
  const last = profiles.at(-1);
  const next = profiles.length < pageSize || !last ? '' : last.profileId;
  if (next !== (mark ?? '')) await conductor.store.moveScheduleMark(key, mark, next);
  return entered;
}

/** Enters one person for one occurrence of the trigger; false when refused or already done. */
async function enter(
  conductor: ConductorState,
  definition: JourneyDefinition,
  profileId: string,
  triggerId: string,
  now: string,
): Promise<boolean> {
  if (await conductor.store.getInstance(instanceIdFor(definition.id, profileId, triggerId))) return false;
  const person = await loadPerson(conductor.state, profileId);
  if (!person.exists) return false;
  if (
    person.profileId !== profileId &&
    (await conductor.store.getInstance(instanceIdFor(definition.id, person.profileId, triggerId)))
  )
    return false;
  return withHistoryRetry(conductor.runner, () =>
    conductor.store.withTransaction(async (tx) => {
      const entry = await prepareEntry(tx, definition, person, undefined, triggerId, now);
      if ('refused' in entry) return false;
      const input = { kind: 'entered' as const, now, profile: person };
      const result = await runInput(conductor.runner, tx, definition, entry.instance, input, person);
      return result.outcome === 'applied';
    }),
  );
}
