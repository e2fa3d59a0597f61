// The event names a journey reads (src/conductor/journey/event-names.ts): the journeys
// processor leaves every track not named by one of them unparsed, so a place in the journey
// core that reads an event and is missing here would silently lose events. The schema walk
// below fails when a definition gains a new place that names an event, or a new step kind,
// until event-names.ts says what it reads.
import type { TSchema } from '@sinclair/typebox';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EntryTriggerSchema,
  type JourneyDefinition,
  JourneyDefinitionSchema,
  SEGMENT_ENTERED,
  SEGMENT_EXITED,
  StepSchema,
} from '../../src/conductor/index.ts';
import {
  awaitedAtStep,
  awaitedEventNames,
  entryEventNames,
  nameTest,
} from '../../src/conductor/journey/event-names.ts';
import { exit, journey, send } from './fixtures.ts';

/** Every path in a schema to a property named `event`, with the union variant it sits in. */
function eventPaths(schema: TSchema, path: string): string[] {
  const found: string[] = [];
  const node = schema as TSchema & {
    anyOf?: TSchema[];
    items?: TSchema;
    properties?: Record<string, TSchema & { const?: unknown }>;
  };
  if (node.anyOf)
    for (const variant of node.anyOf) {
      const tag = (variant as typeof node).properties?.type ?? (variant as typeof node).properties?.kind;
      found.push(...eventPaths(variant, tag?.const === undefined ? path : `${path}(${tag.const})`));
    }
  if (node.items) found.push(...eventPaths(node.items, `${path}[]`));
  for (const [key, property] of Object.entries(node.properties ?? {})) {
    if (key === 'event') found.push(`${path}.event`);
    else found.push(...eventPaths(property, `${path}.${key}`));
  }
  return found;
}

describe('the event names a journey reads', () => {
  it('covers every place a journey definition names an event', () => {
    // A new one fails here: make entryEventNames / awaitedEventNames read it, then list it.
    expect(eventPaths(JourneyDefinitionSchema, '').sort()).toEqual([
      '.entry(event).event',
      '.goal.event',
      '.steps[](waitForEvent).event',
    ]);
  });

  it('knows every step kind (a new kind must say whether a person there waits for an event)', () => {
    const kinds = (
      StepSchema as unknown as { anyOf: Array<{ properties: { type: { const: string } } }> }
    ).anyOf.map((variant) => variant.properties.type.const);
    expect(kinds.sort()).toEqual(
      [
        'branch',
        'createTask',
        'exit',
        'send',
        'setTrait',
        'split',
        'wait',
        'waitForEvent',
        'waitUntil',
      ].sort(),
    );
    const waits = {
      id: 'w',
      type: 'waitForEvent' as const,
      event: 'Email Opened',
      timeout: { amount: 1, unit: 'days' as const },
      next: 'a',
      onTimeout: 'b',
    };
    expect(awaitedAtStep(waits)).toEqual(['Email Opened']);
    expect(awaitedAtStep(send('s', 'done'))).toEqual([]);
    expect(
      awaitedAtStep({ id: 'w', type: 'wait', duration: { amount: 1, unit: 'days' }, next: 'a' }),
    ).toEqual([]);
  });

  it('names the entry events of event and segment triggers, none for the time-based ones', () => {
    const variants = (
      EntryTriggerSchema as unknown as { anyOf: Array<{ properties: { kind: { const: string } } }> }
    ).anyOf;
    expect(variants.map((variant) => variant.properties.kind.const).sort()).toEqual(
      ['broadcast', 'dateTrait', 'event', 'schedule', 'segment'].sort(),
    );
    expect(entryEventNames({ kind: 'event', event: 'Signed Up' })).toEqual(['Signed Up']);
    expect(entryEventNames({ kind: 'segment', segmentId: 'vip', on: 'entered' })).toEqual([SEGMENT_ENTERED]);
    expect(entryEventNames({ kind: 'segment', segmentId: 'vip', on: 'exited' })).toEqual([SEGMENT_EXITED]);
    expect(entryEventNames({ kind: 'broadcast', segmentId: 'vip', at: '2026-03-02T10:00:00Z' })).toEqual([]);
    expect(entryEventNames({ kind: 'schedule', segmentId: 'vip', at: '09:00', timeZone: 'UTC' })).toEqual([]);
    expect(entryEventNames({ kind: 'dateTrait', trait: 'birthday', offsetDays: 0 })).toEqual([]);
  });

  it("names a definition's goal and every event it waits for", () => {
    const definition: JourneyDefinition = journey(
      [
        {
          id: 'open',
          type: 'waitForEvent',
          event: 'Email Opened',
          timeout: { amount: 1, unit: 'days' },
          next: 'click',
          onTimeout: 'done',
        },
        {
          id: 'click',
          type: 'waitForEvent',
          event: 'Link Clicked',
          where: [{ property: 'url', test: { op: 'exists' } }],
          timeout: { amount: 1, unit: 'days' },
          next: 'done',
          onTimeout: 'done',
        },
        exit(),
      ],
      { goal: { event: 'Order Completed' } },
    );
    expect(awaitedEventNames(definition)).toEqual(['Order Completed', 'Email Opened', 'Link Clicked']);
    expect(awaitedEventNames(journey([send('hi', 'done'), exit()]))).toEqual([]);
  });
});

/** A track as the log holds it: JSON.stringify's output. */
function track(event: string, properties: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'track', messageId: 'm1', userId: 'ann', event, properties });
}

describe('nameTest, the text test on a log entry', () => {
  it('passes a track named as listed, and not one whose name only starts or ends like it', () => {
    const matters = nameTest(['Order Completed', 'Unsubscribed']);
    expect(matters(track('Order Completed'))).toBe(true);
    expect(matters(track('Email Unsubscribed'))).toBe(false);
    expect(matters(track('Order Completed Twice'))).toBe(false);
    expect(matters(track('Product Viewed', { title: 'Order Completed' }))).toBe(true); // a false positive: parsed, sorted out later
    expect(matters(track('Product Viewed', { title: 'Ordé' }))).toBe(false);
  });

  it('takes names with characters regular expressions read as operators literally', () => {
    const matters = nameTest(['Plan (Pro)+', 'a.b']);
    expect(matters(track('Plan (Pro)+'))).toBe(true);
    expect(matters(track('Plan Pro'))).toBe(false);
    expect(matters(track('axb'))).toBe(false);
  });

  it('passes everything when a name would be escaped in JSON, nothing when there are no names', () => {
    for (const name of ['Say "hi"', 'back\\slash', 'tab\there', 'lone \ud800']) {
      const matters = nameTest(['Order Completed', name]);
      expect(matters(track('Product Viewed'))).toBe(true);
    }
    expect(nameTest([])(track('Order Completed'))).toBe(false);
  });

  it('never misses a track named as listed, whatever the names and the message (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', minLength: 1 }), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.dictionary(fc.string(), fc.oneof(fc.string({ unit: 'grapheme' }), fc.integer())),
        (names, pick, properties) => {
          const name = names[pick % names.length] as string;
          expect(nameTest(names)(track(name, properties))).toBe(true);
        },
      ),
    );
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 })), fc.string({ minLength: 1 }), (names, name) => {
        // Any string, escaped in JSON or not (full unicode, quotes, controls).
        expect(nameTest([...names, name])(track(name))).toBe(true);
      }),
    );
  });
});
