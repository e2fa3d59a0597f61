// Lead score thresholds become sales tasks through the conductor: a value refresh that sees
// a lead cross `sales-ready` queues one task on the `sales` queue for that person, and
// neither a second refresh nor a retry queues it again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

let t: TestServer;

async function refresh() {
  const response = await fetch(`${t.url}/api/value/refresh`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.adminToken}` },
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answers
  return { status: response.status, body: (await response.json()) as any };
}

async function salesTasks() {
  const response = await t.admin('/api/tasks?queue=sales');
  expect(response.status).toBe(200);
  return response.body.items as Array<{ profileId: string; title: string; status: string }>;
}

beforeAll(async () => {
  t = await startTestServer();
  const now = Date.now();
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  const batch = [
    // A CEO of a 200-person company who asked for a demo: fit 30 + behaviour 25 = 55.
    { type: 'identify', userId: 'lead-hot', traits: { company_size: 200, role: 'CEO' }, timestamp: at(30) },
    { type: 'track', userId: 'lead-hot', event: 'Demo Requested', timestamp: at(20) },
    // Someone who looked at one product: 1 point.
    { type: 'identify', userId: 'lead-cold', traits: { role: 'student' }, timestamp: at(30) },
    { type: 'track', userId: 'lead-cold', event: 'Product Viewed', timestamp: at(10) },
    // A buyer, so the value models have someone to fit.
    {
      type: 'track',
      userId: 'buyer',
      event: 'Order Completed',
      properties: { revenue: 40 },
      timestamp: at(5000),
    },
    {
      type: 'track',
      userId: 'buyer',
      event: 'Order Completed',
      properties: { revenue: 60 },
      timestamp: at(50),
    },
  ];
  expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  await t.settle();
}, 60_000);

afterAll(async () => t?.close());

describe('lead score thresholds', () => {
  it('queue one sales task for the lead who crossed sales-ready, and only once', async () => {
    const hot = (await t.admin('/api/profiles/lookup?userId=lead-hot')).body.profileId as string;
    const first = await refresh();
    expect(first.status).toBe(200);
    expect(first.body.leadActions).toEqual([
      expect.objectContaining({ profileId: hot, threshold: 'sales-ready', action: 'create_sales_task' }),
    ]);
    const tasks = await eventually(salesTasks, (items) => items.length > 0);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ profileId: hot, status: 'open' });
    expect(tasks[0]?.title).toMatch(/^Lead sales-ready: score 5\d \(first scored\)$/);

    // The lead is still above the threshold: no new crossing, no new task.
    const second = await refresh();
    expect(second.body.leadActions).toEqual([]);
    // A retry of the same crossing on the same day (a refresh after a restart) adds nothing.
    const again = await t.server.conductor.service.createSalesTasks(first.body.leadActions);
    expect(again).toBe(0);
    await t.settle();
    expect(await salesTasks()).toHaveLength(1);
  });
});
