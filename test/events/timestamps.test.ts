import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIsoTimestamp, SEGMENT_LIMITS } from '../../src/events/index.ts';
import { formatIsoUtc, parseGeneral } from '../../src/events/timestamps.ts';
import { acceptOne, parse, RECEIVED_AT, rejectOne } from './helpers.ts';

const RECEIVED = RECEIVED_AT.toISOString(); // 2024-05-01T12:00:00.000Z

describe('parseIsoTimestamp', () => {
  it('reads the canonical shape from its character codes exactly as the general reader does', () => {
    // Digits anywhere (out-of-range months, days, hours, Feb 29 of any year, second 60, years
    // below 100), and now and then a non-digit or a wrong separator in any position.
    const digits = (n: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n });
    const canonical = fc
      .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), digits(3))
      .map(
        ([y, mo, d, h, mi, s, ms]) =>
          `${y.join('')}-${mo.join('')}-${d.join('')}T${h.join('')}:${mi.join('')}:${s.join('')}.${ms.join('')}Z`,
      );
    const nearly = fc
      .tuple(canonical, fc.nat(23), fc.constantFrom('x', ' ', '-', ':', 'T', 'z', '٣', '+', '.'))
      .map(([text, at, char]) => text.slice(0, at) + char + text.slice(at + 1));
    fc.assert(
      fc.property(fc.oneof(canonical, nearly), (text) => {
        expect(parseIsoTimestamp(text)).toBe(parseGeneral(text));
      }),
      { numRuns: 20_000 },
    );
    for (const text of ['2024-02-29T23:59:60.999Z', '2023-02-29T00:00:00.000Z', '0099-12-31T23:59:59.999Z'])
      expect(parseIsoTimestamp(text)).toBe(parseGeneral(text));
  });

  it.each([
    ['2024-05-01T10:20:30.000Z', '2024-05-01T10:20:30.000Z'],
    ['2024-05-01T10:20:30Z', '2024-05-01T10:20:30.000Z'],
    ['2024-05-01T10:20:30.123456Z', '2024-05-01T10:20:30.123Z'],
    ['2024-05-01T10:20:30.5+02:00', '2024-05-01T08:20:30.500Z'],
    ['2024-05-01T10:20:30-0530', '2024-05-01T15:50:30.000Z'],
    ['2024-05-01T10:20+01', '2024-05-01T09:20:00.000Z'],
    ['2024-05-01 10:20:30', '2024-05-01T10:20:30.000Z'],
    ['2024-05-01', '2024-05-01T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    const millis = parseIsoTimestamp(text);
    expect(millis === undefined ? undefined : new Date(millis).toISOString()).toBe(iso);
  });

  it.each([
    'yesterday',
    'March 7 2024',
    '2024-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-04-31',
    '2024-05-01T24:00:00Z',
    '2024-05-01T10:60:00Z',
    '2024-05-01T10:00:00+25:00',
    '+012024-05-01T00:00:00Z',
    '1714564800000',
    '',
  ])('rejects %j', (text) => {
    expect(parseIsoTimestamp(text)).toBeUndefined();
  });
});

describe('clock-skew correction', () => {
  it('computes timestamp = receivedAt - (sentAt - timestamp)', () => {
    // The device clock is 2 hours fast: it says sentAt 14:00:05, event at 13:59:50.
    // The event happened 15 s before sending, so 15 s before receivedAt (12:00:00).
    const message = acceptOne({
      userId: 'u',
      event: 'E',
      timestamp: '2024-05-01T13:59:50.000Z',
      sentAt: '2024-05-01T14:00:05.000Z',
    });
    expect(message.timestamp).toBe('2024-05-01T11:59:45.000Z');
    expect(message.originalTimestamp).toBe('2024-05-01T13:59:50.000Z');
    expect(message.sentAt).toBe('2024-05-01T14:00:05.000Z');
    expect(message.receivedAt).toBe(RECEIVED);
  });

  it('corrects a device clock reset to 1970', () => {
    const message = acceptOne({
      userId: 'u',
      event: 'E',
      timestamp: '1970-01-01T00:10:00.000Z',
      sentAt: '1970-01-01T00:10:30.000Z',
    });
    expect(message.timestamp).toBe('2024-05-01T11:59:30.000Z');
  });

  it('uses the client timestamp as is without sentAt', () => {
    const message = acceptOne({ userId: 'u', event: 'E', timestamp: '2024-04-30T08:00:00+02:00' });
    expect(message.timestamp).toBe('2024-04-30T06:00:00.000Z');
    expect(message.originalTimestamp).toBe('2024-04-30T08:00:00+02:00');
    expect('sentAt' in message).toBe(false);
  });

  it('falls back to originalTimestamp, then to receivedAt', () => {
    const fromOriginal = acceptOne({
      userId: 'u',
      event: 'E',
      originalTimestamp: '2024-05-01T09:00:10.000Z',
      sentAt: '2024-05-01T09:00:20.000Z',
    });
    expect(fromOriginal.timestamp).toBe('2024-05-01T11:59:50.000Z');
    expect(fromOriginal.originalTimestamp).toBe('2024-05-01T09:00:10.000Z');

    const fromReceived = acceptOne({ userId: 'u', event: 'E', sentAt: '2024-05-01T09:00:20.000Z' });
    expect(fromReceived.timestamp).toBe(RECEIVED);
    expect('originalTimestamp' in fromReceived).toBe(false);
  });

  it('keeps a client originalTimestamp and corrects from timestamp when both are sent', () => {
    const message = acceptOne({
      userId: 'u',
      event: 'E',
      timestamp: '2024-05-01T10:00:00.000Z',
      originalTimestamp: '2024-05-01T09:00:00.000Z',
    });
    expect(message.timestamp).toBe('2024-05-01T10:00:00.000Z');
    expect(message.originalTimestamp).toBe('2024-05-01T09:00:00.000Z');
  });

  it('accepts history: an import from 1997', () => {
    const message = acceptOne({ userId: 'u', event: 'E', timestamp: '1997-08-29T02:14:00Z' });
    expect(message.timestamp).toBe('1997-08-29T02:14:00.000Z');
    expect(message.context).toBeUndefined();
  });

  it('treats null timestamps as absent', () => {
    const message = acceptOne({ userId: 'u', event: 'E', timestamp: null, sentAt: null });
    expect(message.timestamp).toBe(RECEIVED);
    expect('sentAt' in message || 'originalTimestamp' in message).toBe(false);
  });
});

describe('future timestamps', () => {
  it('keeps a timestamp exactly maxFutureMs ahead', () => {
    const message = acceptOne({ userId: 'u', event: 'E', timestamp: '2024-05-02T12:00:00.000Z' });
    expect(message.timestamp).toBe('2024-05-02T12:00:00.000Z');
    expect(message.context).toBeUndefined();
  });

  it('clamps a timestamp further ahead to receivedAt and marks it, keeping the client value', () => {
    const message = acceptOne({
      userId: 'u',
      event: 'E',
      timestamp: '2024-05-02T12:00:00.001Z',
      context: { ip: '1.2.3.4', rapport: { note: 'client' } },
    });
    expect(message.timestamp).toBe(RECEIVED);
    expect(message.originalTimestamp).toBe('2024-05-02T12:00:00.001Z');
    expect(message.context).toEqual({ ip: '1.2.3.4', rapport: { note: 'client', timestampClamped: true } });
  });

  it('clamps after correction, not before', () => {
    // Far in the future by the device clock, but the device clock is just as far ahead.
    const message = acceptOne({
      userId: 'u',
      event: 'E',
      timestamp: '2030-01-01T00:00:00.000Z',
      sentAt: '2030-01-01T00:00:01.000Z',
    });
    expect(message.timestamp).toBe('2024-05-01T11:59:59.000Z');
    expect(message.context).toBeUndefined();
  });

  it('honours a custom maxFutureMs', () => {
    const limits = { ...SEGMENT_LIMITS, batchMessages: 10, maxFutureMs: 1000 };
    const result = parse({ userId: 'u', event: 'E', timestamp: '2024-05-01T12:00:02Z' }, 'track', limits);
    expect(result.accepted[0]?.message.timestamp).toBe(RECEIVED);
  });
});

describe('invalid timestamps', () => {
  it.each(['timestamp', 'sentAt', 'originalTimestamp'])('rejects an unparseable %s naming it', (field) => {
    expect(rejectOne({ userId: 'u', event: 'E', [field]: 'last tuesday' })).toMatchObject({
      code: 'RAPPORT_INGEST_INVALID_MESSAGE',
      field,
      reason: `${field} must be an ISO-8601 date such as 2024-05-01T10:20:30.000Z (got "last tuesday")`,
    });
  });

  it('rejects an epoch number', () => {
    expect(rejectOne({ userId: 'u', event: 'E', timestamp: 1714564800000 })).toMatchObject({
      field: 'timestamp',
      reason: expect.stringContaining('(got number)'),
    });
  });

  it('rejects a year before 1900', () => {
    expect(rejectOne({ userId: 'u', event: 'E', timestamp: '1899-12-31T23:59:59Z' })).toMatchObject({
      field: 'timestamp',
      reason:
        'timestamp must fall between the years 1900 and 9999 after clock-skew correction (got the year 1899)',
    });
  });

  it('accepts the first instant of 1900', () => {
    expect(acceptOne({ userId: 'u', event: 'E', timestamp: '1900-01-01T00:00:00Z' }).timestamp).toBe(
      '1900-01-01T00:00:00.000Z',
    );
  });

  it('rejects a five-digit year', () => {
    expect(rejectOne({ userId: 'u', event: 'E', timestamp: '10000-01-01T00:00:00Z' }).field).toBe(
      'timestamp',
    );
  });

  it('rejects a correction that lands before 1900', () => {
    const body = {
      userId: 'u',
      event: 'E',
      timestamp: '1900-01-01T00:00:00Z',
      sentAt: '2100-01-01T00:00:00Z',
    };
    expect(rejectOne(body).field).toBe('timestamp');
  });
});

describe('formatIsoUtc', () => {
  it('matches Date#toISOString for every instant of years 0000-9999, and beyond', () => {
    const yearZero = new Date(0).setUTCFullYear(0, 0, 1);
    const lastOf9999 = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    const edges = [
      yearZero,
      lastOf9999,
      0,
      -1,
      Date.UTC(2000, 1, 29),
      Date.UTC(1900, 2, 1) - 1,
      lastOf9999 + 1,
    ];
    for (const millis of edges) expect(formatIsoUtc(millis)).toBe(new Date(millis).toISOString());
    fc.assert(
      fc.property(fc.integer({ min: yearZero - 1000, max: lastOf9999 + 1000 }), (millis) => {
        expect(formatIsoUtc(millis)).toBe(new Date(millis).toISOString());
      }),
      { numRuns: 2000 },
    );
  });
});
