import { describe, expect, it } from 'vitest';
import { parsePayload } from '../../src/events/index.ts';
import {
  ANCHOR_PRODUCTS,
  COMPLEMENT_PRODUCTS,
  type OutgoingMessage,
  type PersonTruth,
  simulateWorld,
  type WorldOptions,
} from '../../src/simulate/index.ts';

const START = new Date('2024-01-01T00:00:00Z');
const store = (seed: number, people: number, days = 180): WorldOptions => ({
  kind: 'store',
  seed,
  people,
  start: START,
  days,
});
const city = (seed: number, people: number): WorldOptions => ({
  kind: 'city',
  seed,
  people,
  start: START,
  days: 180,
});

function streamText(options: WorldOptions): string {
  const lines: string[] = [];
  for (const message of simulateWorld(options).messages()) lines.push(JSON.stringify(message));
  return lines.join('\n');
}

describe('reproducibility', () => {
  it('gives a byte-identical stream for the same seed, and another for another seed', () => {
    const first = streamText(store(7, 60));
    expect(first.length).toBeGreaterThan(10_000);
    expect(streamText(store(7, 60))).toBe(first);
    expect(streamText(store(8, 60))).not.toBe(first);
    expect(streamText(city(7, 60))).toBe(streamText(city(7, 60)));
  });

  it('plays one person the same alone as inside the world, and truth() agrees', () => {
    const world = simulateWorld(store(3, 40));
    const inWorld = [...world.timedMessages()].filter((item) =>
      item.message.messageId.startsWith('store-3-17-'),
    );
    const alone = world.person(17);
    expect(alone.messages.map((item) => JSON.stringify(item.message))).toEqual(
      inWorld.map((item) => JSON.stringify(item.message)),
    );
    expect([...world.truth()][17]).toEqual(alone.truth);
  });
});

describe('message stream', () => {
  it.each([['store'], ['city']] as const)(
    '%s: every message passes parsePayload, ids are unique, time is ordered',
    (kind) => {
      const world = simulateWorld({ kind, seed: 11, people: 150, start: START, days: 200 });
      const messages = [...world.messages()];
      const ids = new Set(messages.map((message) => message.messageId));
      expect(ids.size).toBe(messages.length);
      for (let i = 1; i < messages.length; i++) {
        expect(messages[i]!.timestamp >= messages[i - 1]!.timestamp).toBe(true);
      }
      const end = new Date(START.getTime() + 200 * 86_400_000).toISOString();
      expect(
        messages.every((message) => message.timestamp >= START.toISOString() && message.timestamp <= end),
      ).toBe(true);
      for (let i = 0; i < messages.length; i += 500) {
        const parsed = parsePayload({ batch: messages.slice(i, i + 500) }, 'batch', {
          receivedAt: new Date(end),
        });
        expect(parsed.rejected).toEqual([]);
        expect(parsed.accepted).toHaveLength(Math.min(500, messages.length - i));
      }
    },
  );
});

function messagesByPerson(options: WorldOptions): Map<number, OutgoingMessage[]> {
  const byPerson = new Map<number, OutgoingMessage[]>();
  for (const message of simulateWorld(options).messages()) {
    const index = Number(message.messageId.split('-')[2]);
    const list = byPerson.get(index) ?? [];
    list.push(message);
    byPerson.set(index, list);
  }
  return byPerson;
}

const firstTime = (messages: OutgoingMessage[], event: string) =>
  messages.find((m) => m.event === event)?.timestamp;

describe('store truth agrees with the events', () => {
  const options = store(21, 400, 365);
  const truths = [...simulateWorld(options).truth()];
  const byPerson = messagesByPerson(options);

  it('stages are reached at the first event that defines them, in lifecycle order', () => {
    for (const truth of truths) {
      const messages = byPerson.get(truth.index) ?? [];
      expect(truth.stages.awareness).toBe(messages[0]?.timestamp);
      expect(truth.stages.interest).toBe(firstTime(messages, 'Product Viewed'));
      expect(truth.stages.motivation).toBe(firstTime(messages, 'Checkout Started'));
      const orders = messages.filter((m) => m.event === 'Order Completed');
      expect(truth.purchases).toBe(orders.length);
      expect(truth.stages.action).toBe(orders[0]?.timestamp);
      if (orders.length >= 2 || truth.subscription) expect(truth.stages.relationship).toBeDefined();
      else expect(truth.stages.relationship).toBeUndefined();
      const reached = ['awareness', 'interest', 'motivation', 'action', 'relationship']
        .map((stage) => truth.stages[stage as keyof PersonTruth['stages']])
        .filter((at) => at !== undefined);
      expect([...reached].sort()).toEqual(reached);
    }
    expect(truths.filter((truth) => truth.stages.relationship).length).toBeGreaterThan(20);
  });

  it('revenue, identity and devices match the messages', () => {
    for (const truth of truths) {
      const messages = byPerson.get(truth.index) ?? [];
      const revenue = messages
        .filter((m) => m.event === 'Order Completed')
        .reduce((sum, m) => sum + Number(m.properties?.revenue), 0);
      expect(truth.totalSpend).toBeCloseTo(revenue, 2);
      const userIds = new Set(messages.flatMap((m) => (m.userId ? [m.userId] : [])));
      expect([...userIds]).toEqual(truth.userId ? [truth.userId] : []);
      const anonymousIds = new Set(messages.flatMap((m) => (m.anonymousId ? [m.anonymousId] : [])));
      expect([...anonymousIds].sort()).toEqual([...truth.anonymousIds].sort());
      // A device's first message comes after the person's userId is known, or it is the first device.
      for (const anonymousId of truth.anonymousIds.slice(1)) {
        expect(messages.find((m) => m.anonymousId === anonymousId)?.type).toBe('identify');
      }
    }
  });

  it('every complement bought follows its anchor, and the truth names each pair', () => {
    const complements = new Set(COMPLEMENT_PRODUCTS.map((p) => p.id));
    let pairs = 0;
    for (const truth of truths) {
      const messages = byPerson.get(truth.index) ?? [];
      const bought = messages
        .filter((m) => m.event === 'Order Completed')
        .flatMap((m) =>
          (m.properties!.products as { product_id: string }[]).map((p) => ({
            id: p.product_id,
            at: m.timestamp,
          })),
        );
      const complementBuys = bought.filter((item) => complements.has(item.id));
      expect(complementBuys.map((item) => item.id).sort()).toEqual(
        truth.complementaryPurchases.map((pair) => pair.complement).sort(),
      );
      for (const pair of truth.complementaryPurchases) {
        const anchor = ANCHOR_PRODUCTS.find((p) => p.id === pair.anchor)!;
        expect(anchor.complements).toContain(pair.complement);
        expect(bought.some((item) => item.id === pair.anchor && item.at < pair.complementAt)).toBe(true);
        pairs += 1;
      }
    }
    expect(pairs).toBeGreaterThan(5);
  });
});

describe('city truth agrees with the events', () => {
  it('served and regular follow the delivered services; rejections only for the ineligible', () => {
    const options = city(5, 300);
    const byPerson = messagesByPerson(options);
    let served = 0;
    for (const truth of simulateWorld(options).truth()) {
      const messages = byPerson.get(truth.index) ?? [];
      const delivered = messages.filter((m) =>
        ['Permit Issued', 'Waste Pickup Scheduled', 'Library Card Issued', 'Senior Pass Issued'].includes(
          m.event ?? '',
        ),
      );
      expect(truth.purchases).toBe(delivered.length);
      expect(truth.stages.served).toBe(delivered[0]?.timestamp);
      expect(truth.stages.regular).toBe(delivered[1]?.timestamp);
      expect(truth.stages.applied).toBe(firstTime(messages, 'Application Submitted'));
      for (const message of delivered)
        expect(truth.resident!.eligibleServices).toContain(message.properties?.service_id);
      for (const message of messages.filter((m) => m.event === 'Application Rejected'))
        expect(truth.resident!.eligibleServices).not.toContain(message.properties?.service_id);
      if (delivered.length > 0) served += 1;
    }
    expect(served).toBeGreaterThan(50);
  });
});
