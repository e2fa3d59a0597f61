// The placement events are built without the ingest API's normalisation; they must be exactly
// what parsePayload would have made of the same message, whatever the ids look like.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePayload } from '../../src/events/index.ts';
import { type PlacementEvent, placementEventJson } from '../../src/placements/events.ts';

function throughIngest(input: PlacementEvent): string | undefined {
  const identity = input.key.userId ? { userId: input.key.userId } : { anonymousId: input.key.anonymousId };
  const parsed = parsePayload(
    {
      ...identity,
      type: 'track',
      event: input.event,
      messageId: input.messageId,
      properties: { ...input.properties },
    },
    'track',
    { receivedAt: input.receivedAt },
  );
  return parsed.accepted[0]?.json;
}

// Ids as a query string can carry them: plain ones, long ones, and what the ingest API repairs.
const id = fc.oneof(
  fc.string({ minLength: 0, maxLength: 20 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
  fc.string({ minLength: 250, maxLength: 300 }),
  fc.constantFrom('', 'a\u0000b', '\ud800', 'ok\udc00', '😀', 'x'.repeat(255), 'x'.repeat(256)),
);

const event: fc.Arbitrary<PlacementEvent> = fc.record({
  key: fc.record({
    userId: fc.option(id, { nil: undefined }),
    anonymousId: fc.option(id, { nil: undefined }),
  }),
  event: fc.constantFrom('Promotion Viewed', 'Promotion Clicked', 'Survey Asked'),
  messageId: fc.oneof(fc.uuid(), id),
  properties: fc.dictionary(
    fc.constantFrom('promotion_id', 'creative', 'position', 'placement', 'survey_id', 'channel'),
    id,
  ),
  receivedAt: fc.date({
    min: new Date('2000-01-01T00:00:00Z'),
    max: new Date('2100-01-01T00:00:00Z'),
    noInvalidDate: true,
  }),
});

describe('placement events', () => {
  it('are the JSON parsePayload makes of the same message, or nothing where it refuses it', () => {
    fc.assert(
      fc.property(event, (input) => {
        const ours = placementEventJson(input);
        const key = input.key.userId || input.key.anonymousId;
        // A key-less call records nothing (decide for nobody in particular).
        if (!key) expect(ours).toBeUndefined();
        else expect(ours).toBe(throughIngest(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('take the direct path for ordinary ids and keep the ingest shape', () => {
    const receivedAt = new Date('2026-12-07T18:30:00.123Z');
    const json = placementEventJson({
      key: { userId: 'u-1' },
      event: 'Promotion Viewed',
      messageId: 'rapport-view-1',
      properties: { promotion_id: 'ink', placement: 'receipt' },
      receivedAt,
    });
    expect(JSON.parse(json as string)).toEqual({
      userId: 'u-1',
      type: 'track',
      event: 'Promotion Viewed',
      messageId: 'rapport-view-1',
      properties: { promotion_id: 'ink', placement: 'receipt' },
      timestamp: '2026-12-07T18:30:00.123Z',
      receivedAt: '2026-12-07T18:30:00.123Z',
    });
  });

  it('refuses what the ingest API refuses: an id over its 255 characters', () => {
    const input = {
      key: { anonymousId: 'a'.repeat(256) },
      event: 'Promotion Viewed',
      messageId: 'm',
      properties: {},
      receivedAt: new Date(),
    };
    expect(placementEventJson(input)).toBeUndefined();
    expect(throughIngest(input)).toBeUndefined();
  });
});
