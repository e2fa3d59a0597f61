import { describe, expect, it } from 'vitest';
import { acceptOne, RECEIVED_AT, rejectOne } from './helpers.ts';

const INVALID = 'RAPPORT_INGEST_INVALID_MESSAGE';

describe('track', () => {
  it('accepts an event with a userId and keeps its properties', () => {
    const message = acceptOne({ userId: 'u1', event: 'Order Completed', properties: { total: 12.5 } });
    expect(message).toMatchObject({
      type: 'track',
      userId: 'u1',
      event: 'Order Completed',
      properties: { total: 12.5 },
      messageId: 'generated-1',
      receivedAt: RECEIVED_AT.toISOString(),
      timestamp: RECEIVED_AT.toISOString(),
    });
  });

  it.each([
    [undefined, 'nothing'],
    [42, 'number'],
    ['', 'an empty string'],
    [null, 'null'],
    [['a'], 'array'],
  ])('rejects event %j naming the field and the expected type', (event, got) => {
    const rejection = rejectOne({ userId: 'u1', event });
    expect(rejection).toMatchObject({
      index: 0,
      code: INVALID,
      field: 'event',
      reason: `event must be a non-empty string (got ${got})`,
    });
  });
});

describe('identify', () => {
  it('keeps traits at the top level', () => {
    const message = acceptOne({ userId: 'u1', traits: { email: 'a@example.com' } }, 'identify');
    expect(message.traits).toEqual({ email: 'a@example.com' });
  });

  it('keeps analytics.js traits in context.traits as sent', () => {
    const message = acceptOne({ anonymousId: 'a1', context: { traits: { plan: 'pro' } } }, 'identify');
    expect(message.context).toEqual({ traits: { plan: 'pro' } });
    expect(message.traits).toBeUndefined();
  });

  it('rejects traits that are not an object', () => {
    expect(rejectOne({ userId: 'u1', traits: 'vip' }, 'identify')).toMatchObject({
      field: 'traits',
      reason: 'traits must be an object (got string)',
    });
  });
});

describe('page and screen', () => {
  it.each(['page', 'screen'] as const)('%s accepts a name and needs no event', (type) => {
    const message = acceptOne({ anonymousId: 'a1', name: 'Home', properties: { path: '/' } }, type);
    expect(message).toMatchObject({ type, name: 'Home', properties: { path: '/' } });
  });

  it.each(['page', 'screen'] as const)('%s accepts a message without a name', (type) => {
    expect(acceptOne({ anonymousId: 'a1' }, type).name).toBeUndefined();
  });

  it.each(['page', 'screen'] as const)('%s rejects a name that is not a string', (type) => {
    expect(rejectOne({ anonymousId: 'a1', name: 7 }, type)).toMatchObject({
      field: 'name',
      reason: 'name must be a string (got number)',
    });
  });

  it('treats a null name as absent', () => {
    expect('name' in acceptOne({ anonymousId: 'a1', name: null }, 'page')).toBe(false);
  });
});

describe('group', () => {
  it('accepts a groupId with traits, stringifying a numeric groupId', () => {
    const message = acceptOne({ userId: 'u1', groupId: 77, traits: { name: 'Acme' } }, 'group');
    expect(message).toMatchObject({ type: 'group', groupId: '77', traits: { name: 'Acme' } });
  });

  it('requires groupId', () => {
    expect(rejectOne({ userId: 'u1' }, 'group')).toMatchObject({
      code: INVALID,
      field: 'groupId',
      reason: 'groupId is required for group messages',
    });
  });

  it('rejects a groupId that is not a string or number', () => {
    expect(rejectOne({ userId: 'u1', groupId: { id: 1 } }, 'group')).toMatchObject({
      field: 'groupId',
      reason: 'groupId must be a non-empty string or a number (got object)',
    });
  });
});

describe('alias', () => {
  it('accepts userId and previousId without anonymousId', () => {
    const message = acceptOne({ userId: 'u1', previousId: 12 }, 'alias');
    expect(message).toMatchObject({ type: 'alias', userId: 'u1', previousId: '12' });
  });

  it('requires userId even when anonymousId is present', () => {
    expect(rejectOne({ anonymousId: 'a1', previousId: 'p' }, 'alias')).toMatchObject({
      field: 'userId',
      reason: 'userId is required for alias messages',
    });
  });

  it('requires previousId', () => {
    expect(rejectOne({ userId: 'u1', previousId: '' }, 'alias')).toMatchObject({ field: 'previousId' });
  });
});

describe('identities', () => {
  it.each(['track', 'identify', 'page', 'screen', 'group'] as const)(
    '%s needs userId or anonymousId',
    (type) => {
      const body = { event: 'E', groupId: 'g' };
      expect(rejectOne(body, type)).toMatchObject({
        code: INVALID,
        field: 'userId',
        reason: `userId or anonymousId is required for ${type} messages (a non-empty string or a number)`,
      });
    },
  );

  it('stringifies numeric ids', () => {
    const message = acceptOne({ userId: 12345, anonymousId: 1.5, event: 'E' });
    expect(message.userId).toBe('12345');
    expect(message.anonymousId).toBe('1.5');
  });

  it('drops null and empty ids, keeping the other one', () => {
    const message = acceptOne({ userId: null, anonymousId: 'a1', event: 'E' });
    expect('userId' in message).toBe(false);
    const other = acceptOne({ userId: 'u1', anonymousId: '', event: 'E' });
    expect('anonymousId' in other).toBe(false);
  });

  it('rejects an id of the wrong type', () => {
    expect(rejectOne({ anonymousId: true, event: 'E' })).toMatchObject({
      field: 'anonymousId',
      reason: 'anonymousId must be a non-empty string or a number (got boolean)',
    });
  });
});

describe('type', () => {
  it('defaults to the route type and accepts the same type in the body', () => {
    expect(acceptOne({ userId: 'u1' }, 'identify').type).toBe('identify');
    expect(acceptOne({ type: 'identify', userId: 'u1' }, 'identify').type).toBe('identify');
  });

  it('rejects a body whose type differs from the route', () => {
    expect(rejectOne({ type: 'identify', userId: 'u1', event: 'E' }, 'track')).toMatchObject({
      field: 'type',
      reason: 'type must be "track" on this route (got "identify")',
    });
  });
});

describe('object fields', () => {
  it.each(['properties', 'traits', 'context', 'integrations'])('%s must be an object', (field) => {
    expect(rejectOne({ userId: 'u1', event: 'E', [field]: [1, 2] })).toMatchObject({
      code: INVALID,
      field,
      reason: `${field} must be an object (got array)`,
    });
  });

  it('treats null object fields as absent', () => {
    const message = acceptOne({ userId: 'u1', event: 'E', properties: null, context: null });
    expect('properties' in message || 'context' in message).toBe(false);
  });
});

describe('messageId', () => {
  it('keeps the client messageId', () => {
    expect(acceptOne({ userId: 'u1', event: 'E', messageId: 'm-1' }).messageId).toBe('m-1');
  });

  it('assigns one with randomUUID when none is given and no generator is passed', async () => {
    const { parsePayload } = await import('../../src/events/index.ts');
    const result = parsePayload({ userId: 'u1', event: 'E' }, 'track', { receivedAt: RECEIVED_AT });
    expect(result.accepted[0]?.message.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts 100 characters and rejects 101', () => {
    expect(acceptOne({ userId: 'u1', event: 'E', messageId: 'x'.repeat(100) }).messageId).toHaveLength(100);
    expect(rejectOne({ userId: 'u1', event: 'E', messageId: 'x'.repeat(101) })).toMatchObject({
      field: 'messageId',
      reason: 'messageId must be at most 100 characters (got 101)',
    });
  });

  it.each([[''], [5], [{}]])('rejects messageId %j', (messageId) => {
    expect(rejectOne({ userId: 'u1', event: 'E', messageId })).toMatchObject({ field: 'messageId' });
  });
});

describe('unknown fields and the write key', () => {
  it('keeps unknown fields unchanged', () => {
    const extra = { nested: { list: [1, 'two', null] } };
    const message = acceptOne({ userId: 'u1', event: 'E', channel: 'server', _metadata: extra, version: 2 });
    expect(message).toMatchObject({ channel: 'server', _metadata: extra, version: 2 });
  });

  it('drops writeKey, a credential', () => {
    expect('writeKey' in acceptOne({ userId: 'u1', event: 'E', writeKey: 'secret' })).toBe(false);
  });

  it('overrides a client receivedAt with the server time', () => {
    expect(acceptOne({ userId: 'u1', event: 'E', receivedAt: '2000-01-01T00:00:00Z' }).receivedAt).toBe(
      RECEIVED_AT.toISOString(),
    );
  });
});
