// People planted for the assumption audit's tests, with truths fixed by their index so every
// belief's verdict is known in advance: 300 people who signed up; one in eight lives in Lyon
// (38, 12.7%); three in four placed an order (never the Lyon ones, whose index is a multiple of
// four); half added a printer to the basket 40 days ago, and of those a third added ink 5 days
// later, a third 39 days later (outside a 30-day window) and a third never.
import { expect } from 'vitest';
import { type TestServer, track } from '../support/server.ts';

const DAY = 86_400_000;
export const PLANTED_PEOPLE = 300;
export const LYON = Array.from({ length: PLANTED_PEOPLE }, (_, i) => i).filter((i) => i % 8 === 0).length;
export const PRINTER_BUYERS = PLANTED_PEOPLE / 2;
export const INK_WITHIN_30_DAYS = PLANTED_PEOPLE / 6;

function messagesOf(i: number, now: number): object[] {
  const userId = `believer-${i}`;
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const cities = ['Leeds', 'Boston', 'Osaka', 'Porto', 'Ghent', 'Turin', 'Denver'];
  const city = i % 8 === 0 ? 'Lyon' : cities[i % cities.length]!;
  const out: object[] = [
    { type: 'identify', userId, traits: { city, age: 20 + (i % 40) }, timestamp: at(60) },
    { type: 'track', userId, event: 'Signed Up', timestamp: at(60) },
  ];
  if (i % 4 !== 0)
    out.push({
      type: 'track',
      userId,
      event: 'Order Completed',
      properties: { revenue: 20 },
      timestamp: at(30),
    });
  if (i % 2 === 0) {
    out.push({
      type: 'track',
      userId,
      event: 'Product Added',
      properties: { product_id: 'printer' },
      timestamp: at(40),
    });
    if (i % 6 === 0)
      out.push({
        type: 'track',
        userId,
        event: 'Product Added',
        properties: { product_id: 'ink' },
        timestamp: at(35),
      });
    if (i % 6 === 2)
      out.push({
        type: 'track',
        userId,
        event: 'Product Added',
        properties: { product_id: 'ink' },
        timestamp: at(1),
      });
  }
  return out;
}

export async function plantBelievers(t: Pick<TestServer, 'url' | 'writeKey' | 'settle'>): Promise<void> {
  const now = Date.now();
  let batch: object[] = [];
  for (let i = 0; i < PLANTED_PEOPLE; i++) {
    batch.push(...messagesOf(i, now));
    if (batch.length > 400) {
      expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
      batch = [];
    }
  }
  if (batch.length > 0) expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  await t.settle();
}

/** `count` more people of a late cohort, `buying` of whom placed an order. */
export async function plantCohort(
  t: Pick<TestServer, 'url' | 'writeKey' | 'settle'>,
  from: number,
  count: number,
  buying: number,
): Promise<void> {
  const now = new Date().toISOString();
  const batch: object[] = [];
  for (let i = from; i < from + count; i++) {
    const userId = `late-${i}`;
    batch.push({ type: 'identify', userId, traits: { cohort: 'late' }, timestamp: now });
    if (i - from < buying)
      batch.push({
        type: 'track',
        userId,
        event: 'Order Completed',
        properties: { revenue: 5 },
        timestamp: now,
      });
  }
  expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  await t.settle();
}
