// Fills a test server with what a newcomer would see after `rapport demo`: a small simulated
// shop, the e-commerce lifecycle funnel, a few segments, a journey, placements and a value
// refresh. The browser tests and the screenshots use it.
import { readFileSync } from 'node:fs';
import { type PersonTruth, runDemo, simulateWorld } from '../../src/simulate/index.ts';
import type { TestServer } from '../support/server.ts';

export const WORLD = { kind: 'store' as const, seed: 7, people: 300, days: 180 };

export const SEGMENTS = [
  { id: 'buyers', name: 'Buyers', text: 'performed "Order Completed"' },
  { id: 'big-spenders', name: 'Big spenders', text: 'sum of revenue in "Order Completed" > 150' },
  { id: 'readers', name: 'Newsletter readers', text: 'performed "Email Opened" at least 3 times' },
  { id: 'lapsed', name: 'Lapsed', text: 'last seen more than 60 days ago' },
];

export const WELCOME_JOURNEY = {
  format: 1,
  id: 'welcome',
  version: 1,
  name: 'Welcome new sign-ups to their first order',
  entry: { kind: 'event', event: 'Signed Up' },
  reentry: { mode: 'once' },
  goal: { event: 'Order Completed' },
  defaultTimeZone: 'Europe/Amsterdam',
  start: 'welcome-email',
  steps: [
    {
      id: 'welcome-email',
      type: 'send',
      channel: 'email',
      purpose: 'email',
      template: {
        subject: 'Welcome, {{ traits.first_name | default: "friend" }}',
        body: 'Glad you are here.',
      },
      next: 'already-bought',
    },
    {
      id: 'already-bought',
      type: 'branch',
      cases: [
        {
          rule: {
            kind: 'performed',
            event: 'Order Completed',
            where: [],
            count: { op: 'gte', value: 1 },
            window: { kind: 'ever' },
          },
          next: 'done',
        },
      ],
      otherwise: 'wait-order',
    },
    {
      id: 'wait-order',
      type: 'waitForEvent',
      event: 'Order Completed',
      timeout: { amount: 7, unit: 'days' },
      next: 'done',
      onTimeout: 'call',
    },
    {
      id: 'call',
      type: 'createTask',
      queue: 'sales',
      title: 'Call {{ traits.first_name }} about a first order',
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

export const PLACEMENTS = {
  placements: [{ id: 'home-hero', defaultOfferId: 'welcome-banner' }],
  offers: [
    {
      id: 'welcome-banner',
      placement: 'home-hero',
      priority: 10,
      expectedValue: 1,
      requiresPersonalization: false,
      content: { headline: 'Welcome to the shop' },
    },
    {
      id: 'pro-upgrade',
      placement: 'home-hero',
      rule: { kind: 'trait', trait: 'plan', test: { op: 'eq', value: 'free' } },
      priority: 50,
      expectedValue: 12,
      requiresPersonalization: true,
      content: { headline: 'Go pro: a month free' },
    },
  ],
};

/** An admin call that must succeed (filling the world stops at the first refusal): its JSON body. */
export async function api(server: TestServer, method: string, path: string, body?: unknown) {
  const answer = await server.adminRequest(method, path, body);
  if (answer.status >= 400)
    throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let round = 0; round < 600; round++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within a minute`);
}

export interface FilledWorld {
  truths: PersonTruth[];
  start: Date;
}

export async function fillWorld(server: TestServer): Promise<FilledWorld> {
  const start = new Date(
    Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) -
      WORLD.days * 86_400_000,
  );
  await api(server, 'PUT', '/api/placements', PLACEMENTS);
  await runDemo({ ...WORLD, start, url: server.url, writeKey: server.writeKey, batchSize: 250 });
  await server.settle();
  // Saved after the world: with the journey saved first, the conductor runtime in this tree
  // stalls the profiles processor ("processor transaction already open"), see the report.
  await api(server, 'POST', '/api/journeys', WELCOME_JOURNEY);
  await api(server, 'PUT', '/api/funnels/lifecycle', { preset: 'ecommerce' });
  for (const segment of SEGMENTS) await api(server, 'POST', '/api/segments', segment);
  await until('segments and the funnel going live', async () => {
    const { segments } = await api(server, 'GET', '/api/segments');
    const { funnels } = await api(server, 'GET', '/api/funnels');
    return (
      segments.every((s: { status: string }) => s.status === 'live') &&
      funnels.every((f: { status?: string }) => f.status === undefined || f.status === 'live')
    );
  });
  await server.settle();
  await api(server, 'POST', '/api/value/refresh');
  const truths = [...simulateWorld({ ...WORLD, start }).truth()];
  return { truths, start };
}

export function readTruths(path: string): PersonTruth[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as PersonTruth);
}
