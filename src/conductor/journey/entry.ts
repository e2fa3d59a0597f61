// Who enters a journey and when: matching a trigger event, the re-entry rule, and the instants
// at which time-based triggers (broadcasts, schedules, date traits) fire.
import { DateTime } from 'luxon';
import { nextTimeOfDay, parseTimeOfDay, toInstant } from '../time.ts';
import type { EntryTrigger, ReentryRule } from './definition.ts';
import { durationMs } from './definition.ts';
import { type JourneyEvent, matchesFilters } from './filters.ts';

/** The internal events segments announce; the conductor listens for them. */
export const SEGMENT_ENTERED = 'Segment Entered';
export const SEGMENT_EXITED = 'Segment Exited';

/** Does this event start the journey? Only event and segment triggers start on events. */
export function matchesEntryTrigger(trigger: EntryTrigger, event: JourneyEvent): boolean {
  if (trigger.kind === 'event')
    return trigger.event === event.name && matchesFilters(trigger.where, event.properties);
  if (trigger.kind !== 'segment') return false;
  const name = trigger.on === 'entered' ? SEGMENT_ENTERED : SEGMENT_EXITED;
  return event.name === name && event.properties.segmentId === trigger.segmentId;
}

/** The person's past in this journey, as the runner reads it from the instances table. */
export interface EntryHistory {
  /** An instance of this journey is running or waiting for the person. */
  active: boolean;
  entries: number;
  lastExitAt: string | undefined;
}

export type EntryDecision = { enter: true } | { enter: false; reason: string };

/**
 * The re-entry rule. Whatever the rule, a person is in a journey at most once at a time: a
 * second trigger while the first trip runs is refused (it would send the same messages twice).
 */
export function canEnter(rule: ReentryRule, history: EntryHistory, now: string): EntryDecision {
  if (history.active) return { enter: false, reason: 'already in the journey' };
  if (history.entries === 0) return { enter: true };
  if (rule.mode === 'once')
    return { enter: false, reason: 'entered before; this journey is once per person' };
  if (rule.mode === 'always' || history.lastExitAt === undefined) return { enter: true };
  const openAt = Date.parse(history.lastExitAt) + durationMs(rule.cooldown);
  if (Date.parse(now) >= openAt) return { enter: true };
  return { enter: false, reason: `cooling down until ${new Date(openAt).toISOString()}` };
}

/** The next instant after `after` at which a broadcast or schedule sends to its segment, if any. */
export function nextScheduledRun(trigger: EntryTrigger, after: string): string | undefined {
  if (trigger.kind === 'broadcast')
    return Date.parse(trigger.at) > Date.parse(after) ? trigger.at : undefined;
  if (trigger.kind === 'schedule')
    return nextTimeOfDay(after, trigger.at, trigger.timeZone, trigger.weekdays);
  return undefined;
}

/**
 * When a date-trait trigger fires for a person: the trait's calendar date plus `offsetDays`, at
 * `at` (default 09:00) in the person's zone. Undefined when the trait is missing or not a date.
 * A date-time trait counts by its calendar date in the person's zone.
 */
export function dateTriggerAt(
  trigger: Extract<EntryTrigger, { kind: 'dateTrait' }>,
  traits: Readonly<Record<string, unknown>>,
  zone: string,
): string | undefined {
  const raw = traits[trigger.trait];
  if (typeof raw !== 'string') return undefined;
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(raw)
    ? DateTime.fromISO(raw, { zone })
    : DateTime.fromISO(raw, { setZone: true }).setZone(zone);
  if (!parsed.isValid) return undefined;
  const { hour, minute } = parseTimeOfDay(trigger.at ?? '09:00');
  return toInstant(parsed.startOf('day').plus({ days: trigger.offsetDays }).set({ hour, minute }));
}
