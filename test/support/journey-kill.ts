// Shared parts of the journey crash tests (test/conductor/journeys-kill*.test.ts): a real HTTP
// receiver standing in for an SMS provider behind a webhook, a journey that sends on entry and
// again after a short real wait, load that enters people, and the checks run once everything
// has drained: no idempotency key delivered twice, every `sent` row delivered exactly once, the
// keys never delivered exactly those given up as in doubt, every trip finished, no step twice.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { JourneyInstance } from '../../src/conductor/index.ts';
import type { OutboxRow } from '../../src/store/index.ts';
import { openConductorStore, openStateStore, type StorageLocation } from '../../src/store/index.ts';
import type { ChildServer } from './child-server.ts';

export const JOURNEY_ID = 'kill-trial';
export const TRIGGER = 'Trial Started';
export const STEPS = ['welcome', 'pause', 'reminder', 'done'] as const;

/** Sends on entry, waits 1.8 s of real time (the child's clock is the wall clock), sends again. */
export const journey = {
  format: 1,
  id: JOURNEY_ID,
  version: 1,
  name: 'Crash test: welcome and reminder',
  entry: { kind: 'event', event: TRIGGER },
  reentry: { mode: 'once' },
  defaultTimeZone: 'UTC',
  start: 'welcome',
  steps: [
    {
      id: 'welcome',
      type: 'send',
      channel: 'sms',
      purpose: 'service',
      kind: 'transactional',
      template: { body: 'Welcome, {{ person.id }}' },
      next: 'pause',
    },
    { id: 'pause', type: 'wait', duration: { amount: 0.03, unit: 'minutes' }, next: 'reminder' },
    {
      id: 'reminder',
      type: 'send',
      channel: 'sms',
      purpose: 'service',
      kind: 'transactional',
      template: { body: 'Still there, {{ person.id }}?' },
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

/** A provider that records every POST by its idempotency key and answers after a short delay (so kills land mid-delivery). */
export class Receiver {
  readonly received = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const key = String(request.headers['x-rapport-idempotency-key'] ?? '');
      request.resume();
      request.on('end', () => {
        this.received.set(key, (this.received.get(key) ?? 0) + 1);
        setTimeout(() => response.writeHead(200).end('ok'), 30 + Math.random() * 150);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sms`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export function adminHeaders(adminToken: string) {
  return { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
}

/** Saves the journey (idempotent: the same version and content answers 201 again). */
export async function saveJourney(server: ChildServer, adminToken: string): Promise<void> {
  const response = await fetch(`${server.url}/api/journeys`, {
    method: 'POST',
    headers: adminHeaders(adminToken),
    body: JSON.stringify(journey),
  });
  if (response.status !== 201)
    throw new Error(`journey not saved: ${response.status} ${await response.text()}`);
}

/**
 * Posts trigger events for new people (and a repeat trigger for an earlier one, which the
 * once-only rule must refuse) until stopped or `maxUsers` are sent; returns the users whose
 * trigger was acknowledged.
 */
export async function enterPeople(
  server: ChildServer,
  writeKey: string,
  tag: string,
  stop: { now: boolean },
  maxUsers: number,
): Promise<string[]> {
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const acked: string[] = [];
  for (let n = 0; !stop.now && n * 4 < maxUsers; n++) {
    const users = Array.from({ length: 4 }, (_, i) => `${tag}-${n * 4 + i}`);
    const batch = users.map((userId) => ({
      type: 'track',
      messageId: `trigger-${userId}`,
      userId,
      event: TRIGGER,
    }));
    if (acked[0])
      batch.push({ type: 'track', messageId: `again-${tag}-${n}`, userId: acked[0], event: TRIGGER });
    try {
      const response = await fetch(`${server.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({ batch }),
      });
      await response.arrayBuffer();
      if (response.status === 200) acked.push(...users);
    } catch {
      return acked; // killed mid-request: unacknowledged
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return acked;
}

async function getJson<T>(server: ChildServer, adminToken: string, path: string): Promise<T> {
  const response = await fetch(`${server.url}${path}`, { headers: adminHeaders(adminToken) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Every outbox row of the journey, through the API (paged). */
export async function outboxRows(
  server: ChildServer,
  adminToken: string,
  status?: string,
): Promise<OutboxRow[]> {
  const rows: OutboxRow[] = [];
  let before: number | undefined;
  for (;;) {
    const query = new URLSearchParams({ journeyId: JOURNEY_ID, limit: '500' });
    if (status) query.set('status', status);
    if (before !== undefined) query.set('before', String(before));
    const page = await getJson<{ items: OutboxRow[] }>(server, adminToken, `/api/outbox?${query}`);
    rows.push(...page.items);
    if (page.items.length < 500) return rows;
    before = page.items.at(-1)?.id;
  }
}

interface Stats {
  entered: number;
  active: number;
  completed: number;
  steps: Record<string, { current: number; passed: number }>;
}

/** Waits until everyone acknowledged has entered, no trip is running and the outbox has nothing left to do. */
export async function drain(
  server: ChildServer,
  adminToken: string,
  ackedUsers: number,
  timeoutMs = 90_000,
): Promise<Stats> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let stableFor = 0;
  while (Date.now() < deadline) {
    const stats = await getJson<Stats>(server, adminToken, `/api/journeys/${JOURNEY_ID}/stats`);
    let pending = 0;
    for (const status of ['queued', 'deferred', 'sending'])
      pending += (await outboxRows(server, adminToken, status)).length;
    const snapshot = JSON.stringify({ stats, pending });
    const done = stats.entered >= ackedUsers && stats.active === 0 && pending === 0;
    stableFor = done && snapshot === last ? stableFor + 1 : 0;
    if (stableFor >= 2) return stats;
    last = snapshot;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`did not drain: ${last}`);
}

export interface KillReport {
  users: number;
  entered: number;
  rows: number;
  sent: number;
  inDoubt: number;
  inDoubtDelivered: number;
  deliveries: number;
}

/** The checks, on the API's outbox, the receiver's counts and the stores (read after the servers stopped). */
export async function checkOutcome(
  rows: OutboxRow[],
  stats: Stats,
  receiver: Receiver,
  ackedUsers: Set<string>,
  location: StorageLocation,
): Promise<KillReport> {
  // No idempotency key reached the provider twice.
  const twice = [...receiver.received].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);
  // Two sends per trip, each key once in the outbox.
  expect(new Set(rows.map((r) => r.idempotencyKey)).size).toBe(rows.length);
  expect(rows.length).toBe(2 * stats.entered);
  // Every row ended sent, or dead because it was interrupted mid-delivery (in doubt).
  const sent = rows.filter((r) => r.status === 'sent');
  const inDoubt = rows.filter((r) => r.status === 'dead' && r.decisionCode === 'in_doubt');
  expect(rows.filter((r) => r.status !== 'sent' && !inDoubt.includes(r))).toEqual([]);
  // Every sent row was received exactly once; every key received is a row of ours.
  expect(
    sent.filter((r) => receiver.received.get(r.idempotencyKey) !== 1).map((r) => r.idempotencyKey),
  ).toEqual([]);
  const keys = new Set(rows.map((r) => r.idempotencyKey));
  expect([...receiver.received.keys()].filter((k) => !keys.has(k))).toEqual([]);
  // The keys never received are among those given up in doubt.
  const inDoubtKeys = new Set(inDoubt.map((r) => r.idempotencyKey));
  const neverReceived = rows
    .filter((r) => !receiver.received.has(r.idempotencyKey))
    .map((r) => r.idempotencyKey);
  expect(neverReceived.filter((k) => !inDoubtKeys.has(k))).toEqual([]);

  // Every trip ended, each step passed once per trip (the counters commit with the instance).
  expect(stats.entered).toBeGreaterThanOrEqual(ackedUsers.size);
  expect(stats.completed).toBe(stats.entered);
  for (const step of STEPS) expect(stats.steps[step]?.passed, step).toBe(stats.entered);

  // Per acknowledged person: exactly one trip (once-only, despite the repeated trigger), completed, every step once.
  const state = await openStateStore(location);
  const conductor = await openConductorStore(location);
  try {
    const identities = await state.findIdentities(
      [...ackedUsers].map((value) => ({ kind: 'user_id', value })),
    );
    expect(identities.length).toBe(ackedUsers.size);
    const stepsTwice: string[] = [];
    for (const identity of identities) {
      const trips = (await conductor.instancesOf(identity.profileId)).filter(
        (i) => i.journeyId === JOURNEY_ID,
      );
      expect(trips.length, identity.value).toBe(1);
      const trip = trips[0];
      expect(trip?.exitReason, identity.value).toBe('completed');
      const history = ((trip?.body as JourneyInstance | undefined)?.history ?? []).map((h) => h.stepId);
      expect(history, identity.value).toEqual([...STEPS]);
      if (new Set(history).size !== history.length) stepsTwice.push(identity.value);
    }
    expect(stepsTwice).toEqual([]);
    // The log's `Journey Step Completed` events: one per trip and step.
    const completions = new Map<string, number>();
    for (let offset = 0; ; ) {
      const records = await state.log.read(offset, 5000);
      if (records.length === 0) break;
      for (const record of records) {
        const message = JSON.parse(record.json) as { event?: string; properties?: Record<string, unknown> };
        if (message.event !== 'Journey Step Completed' || message.properties?.journeyId !== JOURNEY_ID)
          continue;
        const key = `${message.properties.instanceId}:${message.properties.stepId}`;
        completions.set(key, (completions.get(key) ?? 0) + 1);
      }
      offset = (records.at(-1) as { seq: number }).seq;
    }
    expect([...completions].filter(([, n]) => n !== 1)).toEqual([]);
    expect(completions.size).toBe(stats.entered * STEPS.length);
  } finally {
    await conductor.close();
    await state.close();
  }
  return {
    users: ackedUsers.size,
    entered: stats.entered,
    rows: rows.length,
    sent: sent.length,
    inDoubt: inDoubt.length,
    inDoubtDelivered: inDoubt.filter((r) => receiver.received.has(r.idempotencyKey)).length,
    deliveries: [...receiver.received.values()].reduce((a, b) => a + b, 0),
  };
}
