// Calendar days and the time units the models count in. Everything inside the module works in
// whole days since 1970-01-01 (UTC) so that "same day" is an integer comparison, and converts
// to the chosen unit only when building a customer's summary.

export type TimeUnit = 'days' | 'weeks' | 'months';

/** Length of one unit in days. A month is the average Gregorian month, 365.25 / 12 days. */
export const DAYS_PER_UNIT: Readonly<Record<TimeUnit, number>> = { days: 1, weeks: 7, months: 30.4375 };

export const TIME_UNITS = Object.keys(DAYS_PER_UNIT) as TimeUnit[];

export function isTimeUnit(value: string): value is TimeUnit {
  return Object.hasOwn(DAYS_PER_UNIT, value);
}

const MS_PER_DAY = 86_400_000;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;
// YYYY-MM-DD, optionally followed by a time and an offset. The calendar date as written is
// the purchase day: a 23:30 purchase belongs to the day the customer saw on the receipt.
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Day number (days since 1970-01-01) of a date written as YYYY-MM-DD, an ISO timestamp or YYYYMMDD; undefined when it is not a real date. */
export function parseDay(text: string): number | undefined {
  const trimmed = text.trim();
  const match = COMPACT_DATE.exec(trimmed) ?? ISO_DATE.exec(trimmed);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  // Date.UTC rolls 2023-02-30 over to March; a roll-over means the date does not exist.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  return Math.round(ms / MS_PER_DAY);
}

/** The day as YYYY-MM-DD. */
export function formatDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}
