// How instants read in decision reasons: "08:00 Europe/Paris" within a day, with the date
// further out ("2026-03-09 00:00 Europe/Paris"), always in the person's zone.
import { inZone } from '../time.ts';

const DAY_MS = 86_400_000;

export function describeUntil(until: string, now: string, zone: string): string {
  const local = inZone(until, zone);
  const soon = Date.parse(until) - Date.parse(now) < DAY_MS;
  return `${local.toFormat(soon ? 'HH:mm' : 'yyyy-MM-dd HH:mm')} ${zone}`;
}
