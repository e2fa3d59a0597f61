// ISO-8601 parsing and Segment's clock-skew correction.
//
// Date.parse is not used: it accepts non-ISO text ("March 7 2020"), reads a date-time without
// an offset as server-local time, and maps years 0-99 to 1900-1999. Here a date-time without
// an offset is read as UTC, fractions finer than a millisecond are truncated, and only the
// shapes below are accepted: 2024-05-01, 2024-05-01T10:20Z, 2024-05-01 10:20:30.123456+02:00.

import { describeValue } from './describe.ts';
import type { Problem } from './types.ts';

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

const MIN_YEAR = 1900;
const MAX_YEAR = 9999;
/** The first instant of MIN_YEAR and the first after MAX_YEAR, UTC. */
const MIN_MILLIS = Date.UTC(MIN_YEAR, 0, 1);
const AFTER_MAX_MILLIS = Date.UTC(MAX_YEAR + 1, 0, 1);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Offset east of UTC in minutes, or undefined when out of range. */
function offsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  if (digits.length !== 2 && digits.length !== 4) return undefined;
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length === 4 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

function utcMillis(year: number, month: number, day: number, h: number, m: number, s: number, ms: number) {
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  if (year >= 100) return Date.UTC(year, month - 1, day, h, m, s, ms);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.setUTCHours(h, m, s, ms);
}

/** Epoch milliseconds of an ISO-8601 string, or undefined if it is not a valid one. */
export function parseIsoTimestamp(text: string): number | undefined {
  return text.length === 24 ? (parseCanonical(text) ?? parseGeneral(text)) : parseGeneral(text);
}

/** The digit at `at` of text, or NaN: NaN fails every range check below. */
function digitAt(text: string, at: number): number {
  const code = text.charCodeAt(at) - 48;
  return code >= 0 && code <= 9 ? code : Number.NaN;
}

/**
 * The shape every client library and toISOString writes, 2024-05-01T10:20:30.123Z, read from
 * its character codes: the regular expression, its nine substrings and their Number() calls
 * were a sixth of a message's validation (docs/performance.md, "Ingest", session 9). Anything
 * else (or a value out of range: the general reader decides) returns undefined.
 */
function parseCanonical(text: string): number | undefined {
  if (
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 || // .
    text.charCodeAt(23) !== 90 // Z
  )
    return undefined;
  const year = digitAt(text, 0) * 1000 + digitAt(text, 1) * 100 + digitAt(text, 2) * 10 + digitAt(text, 3);
  const month = digitAt(text, 5) * 10 + digitAt(text, 6);
  const day = digitAt(text, 8) * 10 + digitAt(text, 9);
  const hour = digitAt(text, 11) * 10 + digitAt(text, 12);
  const minute = digitAt(text, 14) * 10 + digitAt(text, 15);
  const second = digitAt(text, 17) * 10 + digitAt(text, 18);
  const millis = digitAt(text, 20) * 100 + digitAt(text, 21) * 10 + digitAt(text, 22);
  // Each comparison is false for NaN (a non-digit), so such text is left to the general reader.
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)))
    return undefined;
  if (!(hour <= 23 && minute <= 59 && second <= 60 && millis >= 0)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

/** The reader of every accepted shape (parseIsoTimestamp tries the canonical one first). */
export function parseGeneral(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // Second 60 is a leap second; Date rolls it into the next minute, which is close enough.
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const offset = offsetMinutes(zone);
  if (offset === undefined) return undefined;
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  return utcMillis(year, month, day, hour, minute, second, millis) - offset * 60_000;
}

const MS_PER_DAY = 86_400_000;
const DAYS_0000_TO_1970 = 719_468; // from 0000-03-01, the start of the shifted calendar below
/** Earliest and latest instants formatted without a Date: years 0000-9999. */
const FORMAT_MIN_MILLIS = -62_167_219_200_000;
const FORMAT_MAX_MILLIS = 253_402_300_799_999;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * Same output as new Date(millis).toISOString() for years 0000-9999, about twice as fast:
 * toISOString is a call into the runtime and it runs for every corrected timestamp.
 * Days to civil date: H. Hinnant's days_from_civil inverse (years begin on March 1st).
 */
export function formatIsoUtc(millis: number): string {
  if (!(millis >= FORMAT_MIN_MILLIS && millis <= FORMAT_MAX_MILLIS)) return new Date(millis).toISOString();
  const days = Math.floor(millis / MS_PER_DAY);
  const msOfDay = millis - days * MS_PER_DAY;
  const shifted = days + DAYS_0000_TO_1970;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(msOfDay / 3_600_000);
  const minute = Math.floor(msOfDay / 60_000) % 60;
  const second = Math.floor(msOfDay / 1000) % 60;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(msOfDay % 1000, 3)}Z`;
}

const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]\d\.\d{3}Z$/;

/** Exactly what Date#toISOString produces for years 0-9999 (and so needs no reformatting). */
export function isCanonicalIso(text: string): boolean {
  return text.length === 24 && CANONICAL_ISO.test(text);
}

/** A present timestamp field, parsed; undefined/null count as absent. */
export type TimestampField = { present: false } | { present: true; text: string; millis: number };

export function readTimestampField(field: string, value: unknown): TimestampField | Problem {
  if (value === undefined || value === null) return { present: false };
  const millis = typeof value === 'string' ? parseIsoTimestamp(value) : undefined;
  if (millis === undefined) {
    const got = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : describeValue(value);
    return {
      code: 'RAPPORT_INGEST_INVALID_MESSAGE',
      field,
      reason: `${field} must be an ISO-8601 date such as 2024-05-01T10:20:30.000Z (got ${got})`,
    };
  }
  return { present: true, text: value as string, millis };
}

export interface SkewInput {
  /** The client's event time: its `timestamp`, else its `originalTimestamp`. */
  clientMillis: number | undefined;
  sentAtMillis: number | undefined;
  receivedMillis: number;
  maxFutureMs: number;
}

export type SkewResult = { millis: number; clamped: boolean } | Problem;

/**
 * Segment's correction: timestamp = receivedAt - (sentAt - clientTimestamp). The device's clock
 * may be wrong, but the gap between two readings of the same clock is right. A result further
 * than maxFutureMs ahead of receivedAt is clamped to receivedAt; one before 1900 is rejected.
 */
export function correctClockSkew(input: SkewInput): SkewResult {
  const { clientMillis, sentAtMillis, receivedMillis, maxFutureMs } = input;
  if (clientMillis === undefined) return { millis: receivedMillis, clamped: false };
  const corrected =
    sentAtMillis === undefined ? clientMillis : receivedMillis - (sentAtMillis - clientMillis);
  if (corrected - receivedMillis > maxFutureMs) return { millis: receivedMillis, clamped: true };
  // Compared as milliseconds, not through a Date per message; NaN fails the comparison.
  if (!(corrected >= MIN_MILLIS && corrected < AFTER_MAX_MILLIS)) {
    const year = new Date(corrected).getUTCFullYear();
    return {
      code: 'RAPPORT_INGEST_INVALID_MESSAGE',
      field: 'timestamp',
      reason: `timestamp must fall between the years ${MIN_YEAR} and ${MAX_YEAR} after clock-skew correction (got ${Number.isNaN(year) ? 'an out-of-range date' : `the year ${year}`})`,
    };
  }
  return { millis: corrected, clamped: false };
}
