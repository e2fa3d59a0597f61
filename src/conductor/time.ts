// Wall-clock arithmetic in a person's time zone, with luxon: "wait 2 days" keeps the hour
// across a DST change, "until 09:00" means 09:00 where the person is. Instants go in and come
// out as UTC ISO strings. A wall-clock time that does not exist (the spring-forward gap) moves
// forward by the gap (02:30 → 03:30); one that happens twice (fall-back) means the first.
import { DateTime, IANAZone } from 'luxon';
import type { Duration } from './journey/definition.ts';

/** The person's zone when it is a real IANA zone, else the fallback. */
export function resolveZone(personZone: string | undefined, fallback: string): string {
  return personZone && IANAZone.isValidZone(personZone) ? personZone : fallback;
}

export function inZone(instant: string, zone: string): DateTime {
  return DateTime.fromISO(instant, { zone: 'utc' }).setZone(zone);
}

export function toInstant(time: DateTime): string {
  return time.toUTC().toISO()!;
}

/** `HH:MM` → hour and minute. The schema has already checked the format. */
export function parseTimeOfDay(text: string): { hour: number; minute: number } {
  return { hour: Number(text.slice(0, 2)), minute: Number(text.slice(3, 5)) };
}

/** Minutes since local midnight. */
export function minuteOfDay(time: DateTime): number {
  return time.hour * 60 + time.minute;
}

/** Calendar arithmetic in the zone: one day is the same wall-clock time tomorrow, 23 or 25 hours on DST days. */
export function addDuration(instant: string, duration: Duration, zone: string): string {
  return toInstant(inZone(instant, zone).plus({ [duration.unit]: duration.amount }));
}

/**
 * The first instant strictly after `instant` whose wall-clock time in `zone` is `at`, on one
 * of `weekdays` (ISO, 1 = Monday) when given.
 */
export function nextTimeOfDay(
  instant: string,
  at: string,
  zone: string,
  weekdays?: readonly number[],
): string {
  const { hour, minute } = parseTimeOfDay(at);
  const now = inZone(instant, zone);
  for (let day = 0; day <= 7; day += 1) {
    const date = now.startOf('day').plus({ days: day });
    if (weekdays && !weekdays.includes(date.weekday)) continue;
    const candidate = date.set({ hour, minute, second: 0, millisecond: 0 });
    if (candidate > now) return toInstant(candidate);
  }
  throw new Error(`no ${at} on weekdays ${weekdays?.join(',')} within a week`); // unreachable: weekdays are 1..7
}

/** `08:00 Europe/Paris`: how a wall-clock instant is shown in reasons. */
export function describeLocal(instant: string, zone: string): string {
  return `${inZone(instant, zone).toFormat('HH:mm')} ${zone}`;
}
