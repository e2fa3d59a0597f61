import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRapportError } from '../../src/errors/index.ts';
import { type MessageType, parsePayload } from '../../src/events/index.ts';
import { RECEIVED_AT } from './helpers.ts';

const TYPES: MessageType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what the module must remove
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

/** Arbitrary JSON, plus message-shaped records biased towards valid fields so many are accepted. */
function mostly<T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<unknown>) {
  return fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: other, weight: 1 });
}
const anyString = fc.string({ unit: 'binary' });
const id = mostly(
  fc.oneof(fc.string({ minLength: 1 }), fc.integer()),
  fc.oneof(fc.double(), fc.constant(null), fc.constant(''), fc.boolean()),
);
const validDate = fc.date({ min: new Date('1950-01-01'), max: new Date('2030-01-01'), noInvalidDate: true });
const timestampText = mostly(
  validDate.map((date) => date.toISOString()),
  fc.oneof(fc.string(), fc.jsonValue()),
);
const object = fc.dictionary(anyString, fc.jsonValue(), { maxKeys: 5 });
const messageLike = fc.record(
  {
    type: mostly(fc.constantFrom(...TYPES), fc.jsonValue()),
    userId: id,
    anonymousId: id,
    previousId: id,
    groupId: id,
    event: mostly(fc.string({ unit: 'binary', minLength: 1 }), fc.jsonValue()),
    name: mostly(fc.string(), fc.jsonValue()),
    messageId: mostly(fc.string({ minLength: 1, maxLength: 100 }), fc.jsonValue()),
    properties: mostly(object, fc.jsonValue()),
    traits: mostly(object, fc.jsonValue()),
    context: mostly(object, fc.jsonValue()),
    timestamp: timestampText,
    sentAt: timestampText,
    originalTimestamp: timestampText,
    extra: fc.jsonValue(),
  },
  { requiredKeys: ['type', 'userId', 'event', 'groupId', 'previousId'] },
);
const element = fc.oneof(fc.jsonValue(), messageLike);

function hasUnstorableString(value: unknown): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (Array.isArray(value)) return value.some(hasUnstorableString);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).some(([key, inner]) => UNSTORABLE.test(key) || hasUnstorableString(inner));
  }
  return false;
}

describe('parsePayload on arbitrary input', () => {
  it('never throws for a batch, accounts for every element, and accepts only sound messages', () => {
    let acceptedTotal = 0;
    fc.assert(
      fc.property(fc.array(element, { maxLength: 20 }), fc.jsonValue(), (batch, context) => {
        const body = {
          batch,
          ...(typeof context === 'object' && context !== null && !Array.isArray(context) ? { context } : {}),
        };
        const { accepted, rejected } = parsePayload(body, 'batch', { receivedAt: RECEIVED_AT });
        expect(accepted.length + rejected.length).toBe(batch.length);
        acceptedTotal += accepted.length;
        for (const { message, json } of accepted) {
          expect(typeof message.messageId).toBe('string');
          expect(message.messageId.length).toBeGreaterThan(0);
          if (message.type === 'alias') expect(message.userId && message.previousId).toBeTruthy();
          else expect(message.userId ?? message.anonymousId).toBeTruthy();
          expect(message.timestamp).toMatch(ISO);
          expect(message.receivedAt).toBe(RECEIVED_AT.toISOString());
          expect(JSON.parse(json)).toEqual(message);
          expect(hasUnstorableString(message)).toBe(false);
        }
        for (const rejection of rejected) {
          expect(rejection.index).toBeGreaterThanOrEqual(0);
          expect(rejection.reason.length).toBeGreaterThan(0);
          expect(rejection.message).toBe(batch[rejection.index]);
        }
      }),
      { numRuns: 400 },
    );
    // The invariants above mean nothing if the generator never produces an acceptable message.
    expect(acceptedTotal).toBeGreaterThan(100);
  });

  it('for any body and route, either returns or throws a RapportError', () => {
    const route = fc.constantFrom<MessageType | 'batch'>(...TYPES, 'batch');
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), messageLike), route, (body, pathType) => {
        try {
          const { accepted, rejected } = parsePayload(body, pathType, { receivedAt: RECEIVED_AT });
          if (pathType !== 'batch') expect(accepted.length + rejected.length).toBe(1);
        } catch (error) {
          expect(isRapportError(error)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
