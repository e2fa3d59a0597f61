// The PostgreSQL adapters' pure helpers: no database needed.
import { describe, expect, it } from 'vitest';
import { eventRecordset, eventsOfSql } from '../../src/store/postgres/events.ts';
import { collapseIdentities } from '../../src/store/postgres/profiles.ts';
import { toCredential, toEvent, toProfile } from '../../src/store/postgres/rows.ts';
import {
  chunk,
  lastByKey,
  quoteIdent,
  storableJson,
  storableText,
  tablesIn,
  toIso,
  toNumber,
} from '../../src/store/postgres/sql.ts';
import type { StoredEvent } from '../../src/store/types.ts';

describe('identifiers', () => {
  it('quotes and doubles embedded quotes', () => {
    expect(quoteIdent('rapport')).toBe('"rapport"');
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
  });

  it('qualifies every table with the schema', () => {
    const tables = tablesIn('t"1');
    expect(tables.logBatches).toBe('"t""1"."log_batches"');
    expect(tables.eventProcessorOffsets).toBe('"t""1"."event_processor_offsets"');
  });
});

describe('storable values', () => {
  it('replaces U+0000 in text and leaves other text as it is', () => {
    expect(storableText('a\u0000b\u0000')).toBe('a\uFFFDb\uFFFD');
    expect(storableText('plain ✓ 🎉')).toBe('plain ✓ 🎉');
    expect(storableText(null)).toBeNull();
  });

  it('serialises clean values exactly as JSON.stringify does', () => {
    const value = { a: [1, 'two', null, { b: true }], 'ü🎉': 'x', escaped: 'back\\u0000slash' };
    expect(storableJson(value)).toBe(JSON.stringify(value));
    expect(storableJson(undefined)).toBe('null');
  });

  it('replaces U+0000 and lone surrogates in values and keys, nested', () => {
    const value = { 'k\u0000': ['a\u0000', { deep: 'x\uD800y', pair: '🎉' }], lone: '\uDC00' };
    expect(JSON.parse(storableJson(value))).toEqual({
      'k\uFFFD': ['a\uFFFD', { deep: 'x\uFFFDy', pair: '🎉' }],
      lone: '\uFFFD',
    });
  });

  it('keeps a literal backslash-u0000 that only looks like an escape', () => {
    const value = { text: 'C:\\u0000', bad: '\u0000' };
    expect(JSON.parse(storableJson(value))).toEqual({ text: 'C:\\u0000', bad: '\uFFFD' });
  });
});

describe('batching', () => {
  it('chunks without losing or reordering items', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });

  it('keeps the last item per key, sorted by key', () => {
    const items = [
      { k: 'b', v: 1 },
      { k: 'a', v: 2 },
      { k: 'b', v: 3 },
    ];
    expect(lastByKey(items, (item) => item.k)).toEqual([
      { k: 'a', v: 2 },
      { k: 'b', v: 3 },
    ]);
  });

  it('collapses repeated identities to the first firstSeen and the last profile', () => {
    const rows = [
      { kind: 'user_id', value: 'u1', profileId: 'p1', firstSeen: 't1' },
      { kind: 'email', value: 'e', profileId: 'p1', firstSeen: 't1' },
      { kind: 'user_id', value: 'u1', profileId: 'p2', firstSeen: 't2' },
    ];
    expect(collapseIdentities(rows)).toEqual([
      { kind: 'email', value: 'e', profileId: 'p1', firstSeen: 't1' },
      { kind: 'user_id', value: 'u1', profileId: 'p2', firstSeen: 't1' },
    ]);
  });

  it('does not confuse identities whose kind and value run together', () => {
    const rows = [
      { kind: 'a', value: 'b:c', profileId: 'p1', firstSeen: 't1' },
      { kind: 'a:b', value: 'c', profileId: 'p2', firstSeen: 't1' },
    ];
    expect(collapseIdentities(rows)).toHaveLength(2);
  });
});

describe('events query', () => {
  it('binds every filter and the cursor as parameters', () => {
    const query = eventsOfSql('"s"."events"', {
      profileIds: ['p1', 'p\u00002'],
      limit: 10.7,
      type: 'track',
      name: 'Bought',
      from: '2024-01-01T00:00:00.000Z',
      to: '2024-02-01T00:00:00.000Z',
      before: { timestamp: '2024-01-15T00:00:00.000Z', seq: 42 },
    });
    expect(query.values).toEqual([
      ['p1', 'p\uFFFD2'],
      'track',
      'Bought',
      '2024-01-01T00:00:00.000Z',
      '2024-02-01T00:00:00.000Z',
      '2024-01-15T00:00:00.000Z',
      42,
      10,
    ]);
    expect(query.text).toContain('FROM "s"."events" WHERE profile_id = ANY($1::text[]) AND type = $2');
    expect(query.text).toContain('(timestamp, seq) < ($6::timestamptz, $7::bigint)');
    expect(query.text).toMatch(/ORDER BY timestamp DESC, seq DESC LIMIT \$8$/);
  });

  it('leaves absent filters out and never asks for fewer than one row', () => {
    const query = eventsOfSql('e', { profileIds: ['p1'], limit: 0 });
    expect(query.values).toEqual([['p1'], 1]);
    expect(query.text).not.toContain('type =');
    expect(query.text).not.toContain('(timestamp, seq)');
  });

  it('turns events into one JSON document, every value storable', () => {
    const event: StoredEvent = {
      seq: 7,
      messageId: 'm\u0000',
      profileId: 'p',
      type: 'track',
      name: null,
      userId: 'u\uD800',
      anonymousId: null,
      timestamp: 't',
      receivedAt: 'r',
      properties: { x: 'a\u0000' },
      message: { type: 'track' },
    };
    expect(JSON.parse(eventRecordset([event]))).toEqual([
      {
        seq: 7,
        message_id: 'm\uFFFD',
        profile_id: 'p',
        type: 'track',
        name: null,
        user_id: 'u\uFFFD',
        anonymous_id: null,
        timestamp: 't',
        received_at: 'r',
        properties: { x: 'a\uFFFD' },
        message: { type: 'track' },
      },
    ]);
  });
});

describe('events as one document, from the log text', () => {
  const base: StoredEvent = {
    seq: 1,
    messageId: 'm',
    profileId: 'p',
    type: 'track',
    name: null,
    userId: null,
    anonymousId: null,
    timestamp: 't',
    receivedAt: 'r',
    properties: {},
    message: {},
  };

  it("splices in the message's own text, and no properties where they are the message's", () => {
    const message = { type: 'track', properties: { a: 1 } };
    const text = '{"type": "track", "properties": {"a": 1}}';
    const document = eventRecordset([
      { ...base, properties: message.properties, message, messageJson: text },
    ]);
    expect(document).toContain(`"message":${text}}`);
    expect(JSON.parse(document)[0]).not.toHaveProperty('properties');
  });

  it('serialises the message storably when its text holds what jsonb refuses', () => {
    const message = { type: 'track', x: 'a\u0000' };
    const [row] = JSON.parse(eventRecordset([{ ...base, message, messageJson: JSON.stringify(message) }]));
    expect(row.message).toEqual({ type: 'track', x: 'a\uFFFD' });
    expect(row.properties).toEqual({});
  });
});

describe('row mappers', () => {
  const when = new Date('2024-03-01T10:00:00.000Z');

  it('converts bigint strings to numbers and timestamps to ISO strings', () => {
    expect(toNumber('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(toNumber(3)).toBe(3);
    expect(toIso(when)).toBe('2024-03-01T10:00:00.000Z');
    expect(toIso('2024-03-01 12:00:00+02')).toBe('2024-03-01T10:00:00.000Z');
  });

  it('maps profiles, credentials and events', () => {
    expect(
      toProfile({
        profile_id: 'p',
        created_at: when,
        first_seen: when,
        last_seen: when,
        event_count: '5',
        traits: {},
        groups: {},
        merged_into: null,
      }),
    ).toMatchObject({
      profileId: 'p',
      eventCount: 5,
      lastSeen: '2024-03-01T10:00:00.000Z',
      mergedInto: null,
    });
    expect(toCredential({ id: 'c', kind: 'write', name: 'n', created_at: when, revoked_at: null })).toEqual({
      id: 'c',
      kind: 'write',
      name: 'n',
      createdAt: '2024-03-01T10:00:00.000Z',
      revokedAt: null,
    });
    const event = toEvent({
      seq: '3',
      message_id: 'm',
      profile_id: 'p',
      type: 'identify',
      name: null,
      user_id: null,
      anonymous_id: 'a',
      timestamp: when,
      received_at: when,
      properties: null,
      message: { type: 'identify' },
    });
    expect(event).toMatchObject({ seq: 3, properties: {}, anonymousId: 'a', name: null });
  });
});
