import { describe, expect, it } from 'vitest';
import { isRapportError, type RapportError } from '../../src/errors/index.ts';
import { parse } from './helpers.ts';

function thrown(run: () => unknown): RapportError {
  try {
    run();
  } catch (error) {
    if (isRapportError(error)) return error;
    throw error;
  }
  throw new Error('expected a RapportError');
}

describe('batch', () => {
  it('lands the good messages and rejects each bad one with its index, field and reason', () => {
    const batch = [
      { type: 'track', userId: 'u1', event: 'A' },
      { type: 'track', userId: 'u1' },
      { type: 'identify', anonymousId: 'a1', traits: { x: 1 } },
      'not a message',
      { type: 'launch', userId: 'u1' },
      { type: 'alias', userId: 'u2', previousId: 'u1' },
      { userId: 'u1', event: 'A' },
    ];
    const result = parse({ batch }, 'batch');
    expect(result.accepted.map((a) => a.message.type)).toEqual(['track', 'identify', 'alias']);
    expect(result.rejected.map(({ index, field, reason }) => ({ index, field, reason }))).toEqual([
      { index: 1, field: 'event', reason: 'event must be a non-empty string (got nothing)' },
      { index: 3, field: '', reason: 'a message must be an object (got string)' },
      {
        index: 4,
        field: 'type',
        reason: 'type must be one of track, identify, page, screen, group, alias (got "launch")',
      },
      {
        index: 6,
        field: 'type',
        reason: 'type must be one of track, identify, page, screen, group, alias (got nothing)',
      },
    ]);
    expect(result.rejected[0]?.message).toBe(batch[1]);
  });

  it('merges batch context one level deep, the message winning', () => {
    const body = {
      context: { library: { name: 'analytics-node', version: '3' }, ip: '1.1.1.1', device: { id: 'd1' } },
      batch: [
        {
          type: 'page',
          anonymousId: 'a',
          context: { page: { path: '/' }, ip: '2.2.2.2', device: { model: 'X' } },
        },
        { type: 'page', anonymousId: 'b' },
      ],
    };
    const [first, second] = parse(body, 'batch').accepted;
    expect(first?.message.context).toEqual({
      library: { name: 'analytics-node', version: '3' },
      ip: '2.2.2.2',
      page: { path: '/' },
      device: { id: 'd1', model: 'X' },
    });
    expect(second?.message.context).toEqual(body.context);
  });

  it('merges batch integrations shallowly, the message winning', () => {
    const body = {
      integrations: { All: false, Mixpanel: true },
      batch: [{ type: 'track', userId: 'u', event: 'E', integrations: { All: true } }],
    };
    expect(parse(body, 'batch').accepted[0]?.message.integrations).toEqual({ All: true, Mixpanel: true });
  });

  it('keeps writeKey out of messages and applies batch sentAt only where a message lacks its own', () => {
    const body = {
      writeKey: 'secret',
      sentAt: '2024-05-01T11:00:00.000Z',
      batch: [
        { type: 'track', userId: 'u', event: 'E', timestamp: '2024-05-01T10:59:00.000Z' },
        {
          type: 'track',
          userId: 'u',
          event: 'E',
          timestamp: '2024-05-01T10:59:00.000Z',
          sentAt: '2024-05-01T10:59:30.000Z',
        },
      ],
    };
    const [first, second] = parse(body, 'batch').accepted.map((a) => a.message);
    expect(first && 'writeKey' in first).toBe(false);
    expect(first?.sentAt).toBe('2024-05-01T11:00:00.000Z');
    expect(first?.timestamp).toBe('2024-05-01T11:59:00.000Z'); // 1 minute before receivedAt
    expect(second?.sentAt).toBe('2024-05-01T10:59:30.000Z');
    expect(second?.timestamp).toBe('2024-05-01T11:59:30.000Z'); // 30 seconds before receivedAt
  });

  it('does not let one message see another message’s context marker', () => {
    const body = {
      context: { library: { name: 'x' } },
      batch: [
        { type: 'track', userId: 'u', event: 'E', timestamp: '2030-01-01T00:00:00Z' },
        { type: 'track', userId: 'u', event: 'E' },
      ],
    };
    const [clamped, plain] = parse(body, 'batch').accepted.map((a) => a.message);
    expect(clamped?.context).toMatchObject({ rapport: { timestampClamped: true } });
    expect(plain?.context).toEqual({ library: { name: 'x' } });
    expect(body.context).toEqual({ library: { name: 'x' } });
  });

  it('keeps a "__proto__" key as data, never as a prototype, at the top level and in merged context', () => {
    const body = JSON.parse(
      '{"context":{"__proto__":{"polluted":1},"app":{"name":"a"}},"batch":[' +
        '{"type":"track","userId":"u","event":"E","__proto__":{"x":1},"context":{"app":{"__proto__":{"y":2}}}}]}',
    );
    const message = parse(body, 'batch').accepted[0]?.message;
    expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
    expect(Object.hasOwn(message ?? {}, '__proto__')).toBe(true);
    const context = message?.context as Record<string, Record<string, unknown>>;
    expect(Object.getPrototypeOf(context)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(context.app)).toBe(Object.prototype);
    const own = (object: unknown) => Object.getOwnPropertyDescriptor(object, '__proto__')?.value;
    const json = JSON.parse(parse(body, 'batch').accepted[0]?.json ?? '');
    expect(own(json)).toEqual({ x: 1 });
    expect(own(json.context)).toEqual({ polluted: 1 });
    expect(json.context.app.name).toBe('a');
    expect(own(json.context.app)).toEqual({ y: 2 });
  });

  it('accepts an empty batch', () => {
    expect(parse({ batch: [] }, 'batch')).toEqual({ accepted: [], rejected: [] });
  });

  it('serialises each accepted message once, as its json', () => {
    for (const { message, json } of parse({ batch: [{ type: 'screen', userId: 1 }] }, 'batch').accepted) {
      expect(JSON.parse(json)).toEqual(message);
    }
  });
});

describe('whole-request problems', () => {
  it.each([
    [null, 'null'],
    [[{ userId: 'u' }], 'array'],
    ['text', 'string'],
  ])('rejects a body of %j', (body, got) => {
    const error = thrown(() => parse(body, 'track'));
    expect(error.code).toBe('RAPPORT_INGEST_MALFORMED_BODY');
    expect(error.status).toBe(400);
    expect(error.message).toBe(`the request body must be a JSON object (got ${got})`);
  });

  it('rejects a batch request without a batch array, naming the field', () => {
    const error = thrown(() => parse({ batch: { type: 'track' } }, 'batch'));
    expect(error.code).toBe('RAPPORT_INGEST_MALFORMED_BODY');
    expect(error.details).toEqual({ field: 'batch' });
    expect(error.message).toBe('batch must be an array of messages (got object)');
  });

  it('rejects more than batchMessages messages', () => {
    const batch = Array.from({ length: 2501 }, () => ({ type: 'track', userId: 'u', event: 'E' }));
    const error = thrown(() => parse({ batch }, 'batch'));
    expect(error.code).toBe('RAPPORT_INGEST_BATCH_TOO_LONG');
    expect(error.status).toBe(413);
    expect(error.details).toEqual({ limit: 2500, field: 'batch', count: 2501 });
  });

  it('accepts exactly batchMessages messages', () => {
    const batch = Array.from({ length: 2500 }, () => ({ type: 'track', userId: 'u', event: 'E' }));
    expect(parse({ batch }, 'batch').accepted).toHaveLength(2500);
  });

  it.each([
    ['context', { context: 'web' }],
    ['integrations', { integrations: [true] }],
    ['sentAt', { sentAt: 'yesterday' }],
  ])('rejects a malformed batch-level %s', (field, extra) => {
    const error = thrown(() => parse({ ...extra, batch: [] }, 'batch'));
    expect(error.code).toBe('RAPPORT_INGEST_MALFORMED_BODY');
    expect(error.details).toEqual({ field });
    expect(error.message).toMatch(new RegExp(`^batch-level ${field} must be`));
  });

  it('turns a bad single message into a rejection at index 0, not a throw', () => {
    const body = { userId: {}, event: 'E' };
    expect(parse(body, 'track').rejected).toEqual([
      {
        index: 0,
        code: 'RAPPORT_INGEST_INVALID_MESSAGE',
        field: 'userId',
        reason: 'userId must be a non-empty string or a number (got object)',
        message: body,
      },
    ]);
  });
});
