// "Send via best channel" on a real server: the outbox asks the channels (ChannelRuntime's
// bestChannelFor, from the person's delivery events in the event store) for the best of the
// channels the person consented to, sends there, and writes why into the decision's reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, RecordingChannel } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const sms = new RecordingChannel('sms');
const push = new RecordingChannel('push');
let server: TestServer;

const journey = {
  format: 1,
  id: 'best-nudge',
  version: 1,
  name: 'Nudge on the best channel',
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

async function person(userId: string, consent: Record<string, boolean>): Promise<string> {
  const context = { consent: { categoryPreferences: consent } };
  expect((await track(server, '/v1/identify', { userId, context })).status).toBe(200);
  const [identity] = await eventually(
    () => server.server.state.findIdentities([{ kind: 'user_id', value: userId }]),
    (found) => found.length === 1,
  );
  return identity?.profileId as string;
}

/** `sent` deliveries on a channel, `opened` of them engaged: the history bestChannelFor reads. */
async function history(userId: string, channel: string, sent: number, opened: number) {
  for (let i = 0; i < sent; i++) {
    const properties = { channel, send_key: `${userId}-${channel}-${i}` };
    expect(
      (await track(server, '/v1/track', { userId, event: 'Webhook Delivered', properties })).status,
    ).toBe(200);
    if (i < opened)
      expect((await track(server, '/v1/track', { userId, event: 'Message Opened', properties })).status).toBe(
        200,
      );
  }
}

beforeAll(async () => {
  server = await startTestServer({}, { channels: [sms, push], conductorPollMs: 50 });
  const response = await server.adminRequest('POST', '/api/journeys', journey);
  expect(response.status).toBe(201);
});
afterAll(async () => {
  await server?.close();
});

describe('send via best channel', () => {
  it('sends on the consented channel the person engages with most, and says why', async () => {
    // Ana opens push, ignores sms; Ben the same but has not consented to push; Cy has no history.
    const ana = await person('ana', { sms: true, push: true });
    const ben = await person('ben', { sms: true, push: false });
    const cy = await person('cy', { sms: true, push: true });
    await history('ana', 'push', 4, 4);
    await history('ana', 'sms', 4, 0);
    await history('ben', 'push', 4, 4);
    await history('ben', 'sms', 4, 0);
    // The whole history is in the event store before anyone enters: every channel of both
    // people (waiting for any "sent 4" let Ben's sms enter at 3 of 4 while push was done).
    const opened: Record<string, number> = { push: 4, sms: 0 };
    const complete = (body: { estimates?: Array<{ channel: string; sent: number; engaged: number }> }) =>
      ['sms', 'push'].every((channel) => {
        const estimate = body.estimates?.find((e) => e.channel === channel);
        return estimate?.sent === 4 && estimate.engaged === opened[channel];
      });
    for (const profileId of [ana, ben])
      await eventually(
        async () => (await server.admin(`/api/profiles/${profileId}/channels`)).body,
        complete,
      );
    for (const userId of ['ana', 'ben', 'cy'])
      expect((await track(server, '/v1/track', { userId, event: 'Cart Abandoned' })).status).toBe(200);

    await eventually(
      async () => sms.deliveries.length + push.deliveries.length,
      (n) => n === 3,
    );
    expect(push.to(ana).length).toBe(1);
    expect(sms.to(ben).length).toBe(1);
    // No history of her own: everyone's rate on each channel (push 8 of 8, sms 0 of 8) decides.
    expect(push.to(cy).length).toBe(1);

    const reasonOf = async (profileId: string) =>
      (await server.admin(`/api/decisions?profileId=${profileId}&journeyId=best-nudge`)).body.items[0]
        ?.reason as string;
    expect(await reasonOf(ana)).toContain('best of sms, push: prefers push: 4 of 4 opened');
    expect(await reasonOf(ben)).toContain('best of sms: prefers sms: 0 of 4 opened');
    // Everyone's rates are cached for a while (populationCacheMs), so the share may come from a
    // moment when some opens were still on their way: push, and well above sms, either way.
    const forCy = (await reasonOf(cy)).match(
      /best of sms, push: prefers push: no sends yet, like similar people \((\d+)%\)/,
    );
    expect(Number(forCy?.[1])).toBeGreaterThan(50);
  });
});
