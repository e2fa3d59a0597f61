// The pure row → message mapping: the --map language, plans from a header, conversions and
// the problems a row gets, deterministic messageIds.
import { describe, expect, it } from 'vitest';
import {
  csvRecordToMessage,
  eventsPlan,
  ImportUsageError,
  importMessageId,
  parseMapSpec,
  profilesPlan,
} from '../../src/transfer/mapping.ts';

describe('--map', () => {
  it('reads column=field with an optional kind', () => {
    expect(parseMapSpec('total=properties.revenue:number')).toEqual({
      column: 'total',
      target: { path: ['properties', 'revenue'], kind: 'number' },
    });
    expect(parseMapSpec('a=b=userId').column).toBe('a=b');
  });

  it('refuses fields an import cannot fill and unknown kinds, naming them', () => {
    expect(() => parseMapSpec('x=revenue')).toThrow(/"revenue" is not a field an import can fill/);
    expect(() => parseMapSpec('x=properties.a:money')).toThrow(/unknown kind "money"/);
    expect(() => parseMapSpec('nothing')).toThrow(ImportUsageError);
  });
});

describe('events from CSV rows', () => {
  const header = ['order_id', 'customer', 'total', 'ts', 'note'];
  const plan = eventsPlan(header, {
    maps: ['customer=userId', 'total=properties.revenue:number', 'ts=timestamp'],
    ignore: ['note'],
    event: 'Order Completed',
  });

  it('maps columns, puts the rest under properties and leaves empty cells out', () => {
    const result = csvRecordToMessage(['o-1', 'u-7', '12.5', '2024-01-02T03:04:05Z', 'x'], plan);
    expect(result).toEqual({
      message: {
        type: 'track',
        event: 'Order Completed',
        userId: 'u-7',
        timestamp: '2024-01-02T03:04:05Z',
        properties: { order_id: 'o-1', revenue: 12.5 },
      },
    });
    const empty = csvRecordToMessage(['', 'u-7', '', '', ''], plan);
    expect(empty).toEqual({ message: { type: 'track', event: 'Order Completed', userId: 'u-7' } });
  });

  it('rejects a cell that is not of its kind, naming field and column', () => {
    const result = csvRecordToMessage(['o-1', 'u-7', 'twelve', '', ''], plan);
    expect(result).toEqual({
      problem: {
        code: 'RAPPORT_IMPORT_INVALID_ROW',
        field: 'properties.revenue',
        reason: 'column "total": "twelve" is not a number',
      },
    });
  });

  it('refuses a --map of a column the file lacks, listing the columns it has', () => {
    expect(() => eventsPlan(header, { maps: ['customer_id=userId'], ignore: [], event: 'X' })).toThrow(
      'the file has no column "customer_id"; its columns are "order_id", "customer", "total", "ts", "note"',
    );
  });

  it('needs an event name for track rows', () => {
    expect(() => eventsPlan(header, { maps: [], ignore: [] })).toThrow(/--event/);
  });

  it('keeps __proto__ as data', () => {
    const protoPlan = eventsPlan(['__proto__', 'userId'], { maps: [], ignore: [], event: 'E' });
    const result = csvRecordToMessage(['polluted', 'u'], protoPlan) as { message: Record<string, unknown> };
    const properties = result.message.properties as Record<string, unknown>;
    expect(Object.keys(properties)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('profiles from CSV rows', () => {
  it('--id email: the email trait and an anonymousId derived from it', () => {
    const plan = profilesPlan(['email', 'first_name', 'vip'], {
      id: 'email',
      maps: ['vip=traits.vip:boolean'],
      ignore: [],
    });
    expect(csvRecordToMessage(['Ana@Example.com', 'Ana', 'yes'], plan)).toEqual({
      message: {
        type: 'identify',
        anonymousId: 'email:ana@example.com',
        traits: { email: 'Ana@Example.com', first_name: 'Ana', vip: true },
      },
    });
  });

  it('--id user_id: the userId, not repeated as a trait', () => {
    const plan = profilesPlan(['user_id', 'plan'], { id: 'user_id', maps: [], ignore: [] });
    expect(csvRecordToMessage(['42', 'pro'], plan)).toEqual({
      message: { type: 'identify', userId: '42', traits: { plan: 'pro' } },
    });
  });

  it('an empty id cell rejects the row; a missing id column refuses the file with its columns', () => {
    const plan = profilesPlan(['user_id', 'plan'], { id: 'user_id', maps: [], ignore: [] });
    expect(csvRecordToMessage([' ', 'pro'], plan)).toMatchObject({ problem: { field: 'userId' } });
    expect(() => profilesPlan(['mail', 'plan'], { id: 'email', maps: [], ignore: [] })).toThrow(
      '--id email: the file has no column "email"; its columns are "mail", "plan"',
    );
  });
});

describe('messageIds of rows without one', () => {
  it('depend on the file, the row number and the content only', () => {
    const a = importMessageId('file-a', 3, '{"x":1}');
    expect(importMessageId('file-a', 3, '{"x":1}')).toBe(a);
    expect(importMessageId('file-b', 3, '{"x":1}')).not.toBe(a);
    expect(importMessageId('file-a', 4, '{"x":1}')).not.toBe(a);
    expect(importMessageId('file-a', 3, '{"x":2}')).not.toBe(a);
    expect(a).toMatch(/^import-[0-9a-f]{16}-0000000003-[0-9a-f]{16}$/);
  });
});
