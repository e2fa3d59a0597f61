// The date range every stats route reads: whole UTC days, `from` and `to` inclusive. Pure, so
// the rules (defaults, the span limit, which field is wrong) are tested without a server.
import { RapportError } from '../errors/index.ts';
import { MAX_RANGE_DAYS } from './schema.ts';

export const DAY_MS = 86_400_000;

export { MAX_RANGE_DAYS };

export interface DayRange {
  /** First day, YYYY-MM-DD (UTC), inclusive. */
  from: string;
  /** Last day, YYYY-MM-DD (UTC), inclusive. */
  to: string;
  /** Epoch ms of `from` at 00:00 UTC. */
  startMs: number;
  /** Epoch ms of the day after `to` at 00:00 UTC (exclusive end). */
  endMs: number;
  days: number;
}

export interface RangeInput {
  from?: string | undefined;
  to?: string | undefined;
  /** Only for routes that take it: the last N days ending `to` (or today). */
  days?: number | undefined;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function bad(field: string, message: string): RapportError {
  return new RapportError('RAPPORT_API_BAD_REQUEST', `${field}: ${message}`, { field });
}

/** Epoch ms of a YYYY-MM-DD day at 00:00 UTC; throws naming `field` when it is not a real date. */
export function parseDay(field: string, text: string): number {
  const match = DATE.exec(text);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  // Date.UTC rolls 2026-02-30 over to March: a round trip catches it.
  if (!match || Number.isNaN(ms) || dayOf(ms) !== text) {
    throw bad(field, `"${text}" is not a date; use YYYY-MM-DD (UTC)`);
  }
  return ms;
}

/** YYYY-MM-DD (UTC) of an instant. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Resolves the range. With neither `from` nor `days` the range is `defaultDays` ending `to`
 * (default today, UTC). `days` and `from` together are refused (which one wins would be a guess).
 */
export function resolveRange(input: RangeInput, nowMs: number, defaultDays: number): DayRange {
  if (input.days !== undefined && input.from !== undefined) {
    throw bad('days', 'give either days or from, not both');
  }
  if (
    input.days !== undefined &&
    (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_RANGE_DAYS)
  ) {
    throw bad('days', `must be a whole number from 1 to ${MAX_RANGE_DAYS}`);
  }
  const toMs = input.to !== undefined ? parseDay('to', input.to) : parseDay('to', dayOf(nowMs));
  const fromMs =
    input.from !== undefined
      ? parseDay('from', input.from)
      : toMs - ((input.days ?? defaultDays) - 1) * DAY_MS;
  if (fromMs > toMs) throw bad('from', `${dayOf(fromMs)} is after to (${dayOf(toMs)})`);
  const days = Math.round((toMs - fromMs) / DAY_MS) + 1;
  if (days > MAX_RANGE_DAYS) {
    throw bad('from', `the range is ${days} days; at most ${MAX_RANGE_DAYS} days from from to to`);
  }
  return { from: dayOf(fromMs), to: dayOf(toMs), startMs: fromMs, endMs: toMs + DAY_MS, days };
}

/** Every day of the range, in order (the zero rows of a chart are days, not gaps). */
export function daysOf(range: DayRange): string[] {
  return Array.from({ length: range.days }, (_, index) => dayOf(range.startMs + index * DAY_MS));
}
