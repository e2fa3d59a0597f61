// An experiment attached to a journey's channel choice, end to end on a real server (embedded
// engines, in-process recording channels behind the real outbox and arbitration): a `best` send
// goes out on the person's arm (a channel) instead of the channel the model prefers, and the
// person's exposure is logged once, so the results count them in their arm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignArm, type Experiment } from '../../src/experiments/index.ts';
import { eventually, RecordingChannel } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const sms = new RecordingChannel('sms');
const push = new RecordingChannel('push');
let server: TestServer;

const journey = {
  format: 1,
  id: 'cart-nudge',
  version: 1,
  name: 'Cart nudge',
  entry: { kind: 'event', event: 'Cart Abandoned' },
  reentry: { mode: 'once' },
  defaultTimeZone: 'UTC',
  start: 'nudge',
  steps: [
    {
      id: 'nudge',
      type: 'send',
      channel: 'best',
      channels: ['sms', 'push'],
      purpose: 'marketing',
      template: { body: 'Your cart misses you' },
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

const EXPERIMENT: Experiment = {
  id: 'nudge-channel',
  name: 'SMS or push for the cart nudge',
  hypothesis: 'Push brings more people back than SMS',
  owner: 'ada@example.com',
  status: 'running',
  attachment: { kind: 'channel', journeyId: 'cart-nudge' },
  arms: [
    { id: 'sms', name: 'SMS', weight: 0.5 },
    { id: 'push', name: 'Push', weight: 0.5 },
  ],
  primaryMetric: { name: 'purchases', kind: 'conversion', event: 'Order Completed', windowHours: 72 },
  guardrailMetrics: [],
};

const PEOPLE = Array.from({ length: 16 }, (_, i) => `carter-${i}`);

beforeAll(async () => {
  server = await startTestServer({}, { channels: [sms, push], conductorPollMs: 50, experimentRefreshMs: 0 });
  expect((await server.adminRequest('POST', '/api/journeys', journey)).status).toBe(201);
  expect((await track(server, '/v1/track', { userId: 'someone', event: 'Order Completed' })).status).toBe(
    200,
  );
  await server.settle();
  expect((await server.adminRequest('PUT', `/api/experiments/${EXPERIMENT.id}`, EXPERIMENT)).status).toBe(
    200,
  );
});

afterAll(async () => {
  await server?.close();
});

describe('an experiment attached to a journey’s channel choice', () => {
  it('sends each person on their arm’s channel and logs their exposure once', async () => {
    const context = { consent: { categoryPreferences: { sms: true, push: true } } };
    const profileOf = new Map<string, string>();
    for (const userId of PEOPLE) {
      expect((await track(server, '/v1/identify', { userId, context })).status).toBe(200);
      const [identity] = await eventually(
        () => server.server.state.findIdentities([{ kind: 'user_id', value: userId }]),
        (found) => found.length === 1,
      );
      profileOf.set(userId, identity!.profileId);
    }
    for (const userId of PEOPLE)
      expect((await track(server, '/v1/track', { userId, event: 'Cart Abandoned' })).status).toBe(200);
    await eventually(
      async () => sms.deliveries.length + push.deliveries.length,
      (n) => n === PEOPLE.length,
    );
    const byArm = { sms: 0, push: 0 };
    for (const userId of PEOPLE) {
      const profileId = profileOf.get(userId)!;
      const arm = assignArm(EXPERIMENT, `p:${profileId}`).id as 'sms' | 'push';
      expect((arm === 'sms' ? sms : push).to(profileId)).toHaveLength(1);
      expect((arm === 'sms' ? push : sms).to(profileId)).toHaveLength(0);
      byArm[arm] += 1;
    }
    // Both channels were used: the arm decided, not the model's single preference.
    expect(byArm.sms).toBeGreaterThan(0);
    expect(byArm.push).toBeGreaterThan(0);
    await server.settle();
    const { body } = await server.admin(`/api/experiments/${EXPERIMENT.id}/results`);
    expect(body.srm.counts).toEqual(byArm);
  });
});
