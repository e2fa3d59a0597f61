// A segment's membership over time (docs/segments.md, "Membership over time"): the store
// counts entries and exits per UTC day in SQL; this turns those counts into the size at the
// end of each day, counting back from the current size, so the last point always equals the
// size the segment list shows and only the recent history is ever read.
import type { MembershipDayRow } from '../../store/index.ts';

export interface MembershipPoint {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** Members at the end of the day (now, for today). */
  size: number;
  joined: number;
  left: number;
}

const DAY_MS = 86_400_000;

/** The `count` UTC days ending with the day of `now`, oldest first. */
export function lastDays(now: Date, count: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: count }, (_, i) =>
    new Date(today - (count - 1 - i) * DAY_MS).toISOString().slice(0, 10),
  );
}

/**
 * The size at the end of each of `days` (ascending), from the current size and the changes
 * per day of one segment. Changes dated after the last day (a clock behind the data) are
 * taken back too, so the sizes stay consistent with the changes.
 */
export function dailySizes(
  currentSize: number,
  changes: MembershipDayRow[],
  days: string[],
): MembershipPoint[] {
  const byDay = new Map(changes.map((c) => [c.day, c]));
  const last = days.at(-1) ?? '';
  let size = currentSize;
  for (const c of changes) if (c.day > last) size -= c.entered - c.exited;
  const points: MembershipPoint[] = [];
  for (let i = days.length - 1; i >= 0; i--) {
    const day = days[i] as string;
    const change = byDay.get(day);
    const joined = change?.entered ?? 0;
    const left = change?.exited ?? 0;
    points.push({ day, size, joined, left });
    size -= joined - left;
  }
  return points.reverse();
}
