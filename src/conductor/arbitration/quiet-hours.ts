// Quiet hours in the person's zone. A window may cross midnight (21:00–08:00). A message
// inside it is deferred to the window's end, never dropped.
import { DateTime } from 'luxon';
import { inZone, minuteOfDay, parseTimeOfDay, toInstant } from '../time.ts';
import type { QuietHours } from './types.ts';

function toMinutes(text: string): number {
  const { hour, minute } = parseTimeOfDay(text);
  return hour * 60 + minute;
}

export function isInQuietHours(instant: string, quiet: QuietHours, zone: string): boolean {
  const minute = minuteOfDay(inZone(instant, zone));
  const start = toMinutes(quiet.start);
  const end = toMinutes(quiet.end);
  return start <= end ? minute >= start && minute < end : minute >= start || minute < end;
}

/**
 * The end's wall-clock time does not exist on a spring-forward night (Pacific/Chatham skips
 * 02:45-03:45) and luxon moves it past the gap, possibly back into the next quiet hours:
 * walk the real minutes instead. Rare, and bounded by two days.
 */
function firstMinuteOutside(local: DateTime, quiet: QuietHours, zone: string): string {
  for (let minutes = 1; minutes <= 2 * 24 * 60; minutes++) {
    const candidate = toInstant(
      DateTime.fromMillis(local.toMillis() + minutes * 60_000, { zone }).startOf('minute'),
    );
    if (!isInQuietHours(candidate, quiet, zone)) return candidate;
  }
  throw new Error(`quiet hours ${quiet.start}-${quiet.end} in ${zone} never end`);
}

/** When the quiet hours around `instant` end, or undefined when `instant` is not in them. */
export function quietHoursEnd(instant: string, quiet: QuietHours, zone: string): string | undefined {
  if (!isInQuietHours(instant, quiet, zone)) return undefined;
  const local = inZone(instant, zone);
  const { hour, minute } = parseTimeOfDay(quiet.end);
  const endsTomorrow = minuteOfDay(local) >= toMinutes(quiet.end);
  const end = local
    .startOf('day')
    .plus({ days: endsTomorrow ? 1 : 0 })
    .set({ hour, minute });
  if (end > local && !isInQuietHours(toInstant(end), quiet, zone)) return toInstant(end);
  if (end > local) return firstMinuteOutside(local, quiet, zone);
  // In the repeated hour of a fall-back night the wall-clock end names the first occurrence,
  // already past: count the wall-clock minutes left instead (no transition lies between).
  const wallMinutesLeft = toMinutes(quiet.end) - minuteOfDay(local);
  return toInstant(
    DateTime.fromMillis(local.toMillis() + wallMinutesLeft * 60_000, { zone }).startOf('minute'),
  );
}
