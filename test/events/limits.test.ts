import { describe, expect, it } from 'vitest';
import { SEGMENT_LIMITS, toStorableString } from '../../src/events/index.ts';
import { acceptOne, parse, rejectOne } from './helpers.ts';

function nestedObject(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level++) value = { a: value };
  return value;
}

describe('unstorable strings', () => {
  it.each([
    ['a\u0000b', 'a\uFFFDb'],
    ['x\uD800', 'x\uFFFD'],
    ['\uDC00y', '\uFFFDy'],
    ['\uDC00\uD800', '\uFFFD\uFFFD'],
    ['emoji 😀 stays', 'emoji 😀 stays'],
    ['plain', 'plain'],
  ])('toStorableString(%j) is %j', (input, output) => {
    expect(toStorableString(input)).toBe(output);
  });

  it('replaces them in values, keys, arrays and ids anywhere in the message', () => {
    const message = acceptOne({
      userId: 'u\u0000',
      event: 'E\uD83D',
      properties: { 'k\u0000ey': 'v\uDE00', list: ['ok', 'bad\u0000'], deep: { 'x\uD800': { y: '\u0000' } } },
    });
    expect(message.userId).toBe('u\uFFFD');
    expect(message.event).toBe('E\uFFFD');
    expect(message.properties).toEqual({
      'k\uFFFDey': 'v\uFFFD',
      list: ['ok', 'bad\uFFFD'],
      deep: { 'x\uFFFD': { y: '\uFFFD' } },
    });
  });

  it('produces json without escaped surrogates or NUL', () => {
    const { accepted } = parse({ userId: 'u', event: 'E', properties: { s: '\uD800\u0000' } }, 'track');
    expect(accepted[0]?.json).not.toMatch(/\\u(d[89a-f]|0000)/i);
  });
});

describe('numbers JSON cannot carry', () => {
  it('become what JSON.stringify writes (-0 as 0, 1e999 as null), so the message equals its json', () => {
    const body = JSON.parse(
      '{"userId":"u","event":"E","properties":{"n":-0,"list":[-0,1e999],"big":-1e999}}',
    );
    const first = parse(body, 'track').accepted[0];
    expect(Object.is(first?.message.properties?.n, 0)).toBe(true);
    expect(first?.message.properties).toEqual({ n: 0, list: [0, null], big: null });
    expect(JSON.parse(first?.json ?? '')).toEqual(first?.message);
  });
});

describe('depth', () => {
  it('accepts nesting exactly at the limit', () => {
    // properties is the outermost of the 32 nested objects, at level 1.
    const message = acceptOne({ userId: 'u', event: 'E', properties: nestedObject(32) });
    expect(message.properties).toBeDefined();
  });

  it('rejects one level more, naming the path and the limit', () => {
    const rejection = rejectOne({ userId: 'u', event: 'E', properties: nestedObject(33) });
    const path = `properties${'.a'.repeat(32)}`;
    expect(rejection).toMatchObject({
      code: 'RAPPORT_INGEST_MESSAGE_TOO_DEEP',
      field: path,
      reason: `${path} is nested 33 levels deep; the limit is 32 levels`,
    });
  });

  it('names array indexes and odd keys in the path', () => {
    const limits = { ...SEGMENT_LIMITS, maxDepth: 3 };
    const body = { userId: 'u', event: 'E', properties: { items: [{ 'a.b': { c: 1 } }] } };
    const { rejected } = parse(body, 'track', limits);
    expect(rejected[0]?.field).toBe('properties.items[0]["a.b"]');
  });

  it('does not throw on 100,000 levels built in code or by JSON.parse', () => {
    const built = parse({ userId: 'u', event: 'E', properties: nestedObject(100_000) }, 'track');
    expect(built.rejected[0]?.code).toBe('RAPPORT_INGEST_MESSAGE_TOO_DEEP');

    const deepJson = `{"userId":"u","event":"E","properties":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const parsed = parse(JSON.parse(deepJson), 'track');
    expect(parsed.rejected[0]?.field).toBe(`properties.x${'[0]'.repeat(31)}`);
  });

  it('counts batch context towards each message’s depth', () => {
    const limits = { ...SEGMENT_LIMITS, maxDepth: 2 };
    const body = {
      context: { library: { meta: { x: 1 } } },
      batch: [{ type: 'track', userId: 'u', event: 'E' }],
    };
    expect(parse(body, 'batch', limits).rejected[0]?.field).toBe('context.library.meta');
  });
});

describe('size', () => {
  function messageOfBytes(bytes: number, filler = 'x') {
    const base = { messageId: 'm', userId: 'u', event: 'E', properties: { s: '' } };
    const overhead = Buffer.byteLength(JSON.stringify(acceptOne(base)));
    const fillerBytes = Buffer.byteLength(filler);
    return { ...base, properties: { s: filler.repeat((bytes - overhead) / fillerBytes) } };
  }

  it('accepts a message of exactly the limit', () => {
    const { accepted } = parse(messageOfBytes(32_768), 'track');
    expect(Buffer.byteLength(accepted[0]?.json ?? '')).toBe(32_768);
  });

  it('rejects one byte more, reporting the bytes and the limit', () => {
    expect(rejectOne(messageOfBytes(32_769))).toMatchObject({
      code: 'RAPPORT_INGEST_MESSAGE_TOO_LARGE',
      field: '',
      reason: 'message is 32769 bytes; the limit is 32768 bytes (32 KB)',
    });
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 'é' is 2 bytes: under 32,768 characters but over 32,768 bytes.
    const body = { userId: 'u', event: 'E', properties: { s: 'é'.repeat(17_000) } };
    const rejection = rejectOne(body);
    expect(rejection.code).toBe('RAPPORT_INGEST_MESSAGE_TOO_LARGE');
    expect(rejection.reason).toMatch(/^message is 341\d\d bytes/);
  });

  it('names a limit that is not a whole number of KB', () => {
    const limits = { ...SEGMENT_LIMITS, messageBytes: 1536 + 100 };
    const body = { userId: 'u', event: 'E', properties: { s: 'x'.repeat(2000) } };
    expect(parse(body, 'track', limits).rejected[0]?.reason).toMatch(/the limit is 1636 bytes \(1\.6 KB\)$/);
  });
});

describe('identifiers and keys (index keys in the state store)', () => {
  const limit = SEGMENT_LIMITS.idChars;
  it.each([
    ['userId', { userId: 'u'.repeat(limit + 1), event: 'E' }, 'track'],
    ['anonymousId', { anonymousId: 'a'.repeat(limit + 1), event: 'E' }, 'track'],
    ['event', { userId: 'u', event: 'e'.repeat(limit + 1) }, 'track'],
    ['groupId', { userId: 'u', groupId: 'g'.repeat(limit + 1) }, 'group'],
    ['previousId', { userId: 'u', previousId: 'p'.repeat(limit + 1) }, 'alias'],
  ] as const)(
    'rejects a %s one character over the limit, naming the field and the limit',
    (field, body, type) => {
      expect(rejectOne(body, type)).toMatchObject({
        code: 'RAPPORT_INGEST_FIELD_TOO_LONG',
        field,
        reason: `${field} is ${limit + 1} characters; the limit is ${limit} characters`,
      });
    },
  );

  it('accepts every identifier at exactly the limit', () => {
    const id = 'x'.repeat(limit);
    expect(acceptOne({ userId: id, anonymousId: id, event: id }).userId).toBe(id);
    expect(acceptOne({ userId: id, previousId: id }, 'alias').previousId).toBe(id);
    expect(acceptOne({ userId: id, groupId: id }, 'group').groupId).toBe(id);
  });

  it('rejects a trait or property key over the limit anywhere in the message, naming its path', () => {
    const key = 'k'.repeat(SEGMENT_LIMITS.keyChars + 1);
    const rejection = rejectOne({ userId: 'u', traits: { ok: 1, [key]: 'v' } }, 'identify');
    expect(rejection.code).toBe('RAPPORT_INGEST_FIELD_TOO_LONG');
    expect(rejection.field).toBe(`traits["${'k'.repeat(40)}…"]`);
    expect(rejection.reason).toContain(
      `is ${SEGMENT_LIMITS.keyChars + 1} characters; the limit is 255 characters`,
    );
    const nested = parse({ userId: 'u', event: 'E', properties: { list: [{ [key]: 1 }] } }, 'track');
    expect(nested.rejected[0]?.field).toBe(`properties.list[0]["${'k'.repeat(40)}…"]`);
    expect(
      acceptOne({ userId: 'u', event: 'E', properties: { ['k'.repeat(255)]: 1 } }).properties,
    ).toBeDefined();
  });

  it('rejects only the long message of a batch; the rest are accepted', () => {
    const body = {
      batch: [
        { type: 'identify', userId: 'ok-1' },
        { type: 'identify', userId: 'x'.repeat(4000) },
        { type: 'track', userId: 'ok-2', event: 'E' },
      ],
    };
    const result = parse(body, 'batch');
    expect(result.accepted.map((a) => a.message.userId)).toEqual(['ok-1', 'ok-2']);
    expect(result.rejected).toEqual([expect.objectContaining({ index: 1, field: 'userId' })]);
  });
});
