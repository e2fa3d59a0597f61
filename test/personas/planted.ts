// Three kinds of people planted in events, for the personas tests: big spenders (one or two
// orders of 400 to 600), regulars (10 to 14 orders of 15 to 25, some views) and browsers (many
// page views and email opens, no orders), 50 of each, sent through /v1/batch.
import { expect } from 'vitest';
import { type TestServer, track } from '../support/server.ts';

const DAY = 86_400_000;
export const KINDS = ['big spender', 'regular', 'browser'] as const;
type Kind = (typeof KINDS)[number];

/** A small deterministic generator, so the planted world is the same on every run. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function messagesOf(userId: string, kind: Kind, next: () => number, now: number): object[] {
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const between = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const out: object[] = [{ type: 'identify', userId, traits: { kind }, timestamp: at(between(30, 60)) }];
  const orders = kind === 'big spender' ? between(1, 2) : kind === 'regular' ? between(10, 14) : 0;
  for (let i = 0; i < orders; i++) {
    const revenue = kind === 'big spender' ? between(400, 600) : between(15, 25);
    out.push({
      type: 'track',
      userId,
      event: 'Order Completed',
      properties: { revenue },
      timestamp: at(between(1, 50)),
    });
  }
  const views = kind === 'browser' ? between(30, 50) : kind === 'regular' ? between(8, 12) : between(1, 3);
  for (let i = 0; i < views; i++)
    out.push({ type: 'page', userId, name: 'Product', timestamp: at(between(1, 50)) });
  const opens = kind === 'browser' ? between(6, 10) : 0;
  for (let i = 0; i < opens; i++)
    out.push({ type: 'track', userId, event: 'Email Opened', timestamp: at(between(1, 50)) });
  return out;
}

/** Sends the planted people and waits for the processors; answers userId → planted kind. */
export async function plantPeople(
  t: Pick<TestServer, 'url' | 'writeKey' | 'settle'>,
): Promise<Map<string, Kind>> {
  const planted = new Map<string, Kind>();
  const next = random(7);
  const now = Date.now();
  let batch: object[] = [];
  for (let i = 0; i < 150; i++) {
    const kind = KINDS[i % 3]!;
    const userId = `person-${i}`;
    planted.set(userId, kind);
    batch.push(...messagesOf(userId, kind, next, now));
    if (batch.length > 400) {
      expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
      batch = [];
    }
  }
  if (batch.length > 0) expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  await t.settle();
  return planted;
}
