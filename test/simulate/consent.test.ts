// Consent in the simulated store, as a real shop collects it: most people tick "email me news
// and offers" at sign-up, the others do not (denied), and some of those who did withdraw later
// from the preference centre. The world is consistent with it (the shop's newsletter goes only
// to people whose consent stands), Rapport's profiles hold what the truth says, and a journey's
// marketing email reaches the consenting people only, over a real SMTP peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EMAIL_OPT_IN_SHARE,
  EMAIL_WITHDRAWAL_SHARE,
  type PersonTruth,
  sendMessages,
  simulateWorld,
} from '../../src/simulate/index.ts';
import { type SmtpPeer, startSmtpPeer } from '../channels/support.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const DAY = 86_400_000;
const START = new Date('2025-01-01T00:00:00Z');

/** Whether the truth lets the shop send marketing email at `atMs`. */
function consentsAt(truth: PersonTruth, atMs: number): boolean {
  const consent = truth.emailConsent;
  if (!consent?.granted || atMs < Date.parse(consent.at)) return false;
  return consent.withdrawnAt === null || atMs < Date.parse(consent.withdrawnAt);
}

describe('consent planted in the simulated store', () => {
  const world = simulateWorld({ kind: 'store', seed: 41, people: 3000, start: START, days: 365 });
  const truths = [...world.truth()];
  const signedUp = truths.filter((t) => t.userId !== null);

  it('most people opt in at sign-up, some not, some withdraw later; nobody else has a decision', () => {
    expect(signedUp.length).toBeGreaterThan(500);
    for (const t of truths) expect(t.emailConsent === null, String(t.index)).toBe(t.userId === null);
    const granted = signedUp.filter((t) => t.emailConsent?.granted);
    // Binomial: within 4 standard deviations of the planted shares.
    const within = (count: number, n: number, p: number) =>
      Math.abs(count - n * p) < 4 * Math.sqrt(n * p * (1 - p));
    expect(within(granted.length, signedUp.length, EMAIL_OPT_IN_SHARE)).toBe(true);
    const withdrawn = granted.filter((t) => t.emailConsent?.withdrawnAt !== null);
    expect(withdrawn.length).toBeGreaterThan(0);
    // Some draws fall after the window's end and are not planted: at most the planted share.
    expect(withdrawn.length).toBeLessThanOrEqual(
      granted.length * EMAIL_WITHDRAWAL_SHARE + 4 * Math.sqrt(granted.length),
    );
    for (const t of withdrawn)
      expect(Date.parse(t.emailConsent?.withdrawnAt as string)).toBeGreaterThan(
        Date.parse(t.emailConsent?.at as string),
      );
  });

  it('says so in the messages: consent on the sign-up identify, withdrawal as Segment’s consent event, newsletters only while consent stands', () => {
    const byUser = new Map(signedUp.map((t) => [t.userId as string, t]));
    let newsletters = 0;
    let withdrawals = 0;
    for (const { message, at } of world.timedMessages()) {
      const truth = message.userId ? byUser.get(message.userId) : undefined;
      if (message.type === 'identify' && message.traits?.consent) {
        expect(truth, message.messageId).toBeDefined();
        expect(message.traits.consent).toEqual({
          email: truth?.emailConsent?.granted ? 'granted' : 'denied',
        });
        expect(new Date(at).toISOString()).toBe(truth?.emailConsent?.at);
      }
      if (message.event === 'Segment Consent Preference Updated') {
        withdrawals++;
        expect(message.properties).toEqual({ categoryPreferences: { email: false } });
        expect(new Date(at).toISOString()).toBe(truth?.emailConsent?.withdrawnAt);
      }
      if (message.event === 'Email Delivered') {
        newsletters++;
        expect(consentsAt(truth as PersonTruth, at), message.messageId).toBe(true);
      }
    }
    expect(withdrawals).toBe(signedUp.filter((t) => t.emailConsent?.withdrawnAt).length);
    expect(newsletters).toBeGreaterThan(1000);
  });
});

describe('after the simulated store is sent to Rapport', () => {
  const end = Math.floor(Date.now() / DAY) * DAY;
  const world = simulateWorld({
    kind: 'store',
    seed: 42,
    people: 150,
    start: new Date(end - 120 * DAY),
    days: 120,
  });
  const truths = [...world.truth()].filter((t) => t.userId !== null);
  let server: TestServer;
  let smtp: SmtpPeer;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer(
      { smtpUrl: smtp.url, emailFrom: 'Shop <hello@shop.example>' },
      { conductorPollMs: 50 },
    );
    const sent = await sendMessages(world.messages(), { url: server.url, writeKey: server.writeKey });
    expect(sent.rejected).toBe(0);
    await server.settle();
  }, 600_000);
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  }, 120_000);

  it('each profile holds the email consent the truth planted', async () => {
    expect(truths.length).toBeGreaterThan(20);
    for (const truth of truths) {
      const found = await server.admin(`/api/profiles/lookup?userId=${truth.userId}`);
      const view = (await server.admin(`/api/profiles/${found.body.profileId}`)).body;
      const expected = consentsAt(truth, Date.now()) ? 'granted' : 'denied';
      expect(view.consent?.email?.state, truth.userId as string).toBe(expected);
    }
  }, 120_000);

  it("a journey's marketing email reaches the people whose consent stands, and no one else", async () => {
    const journey = {
      format: 1,
      id: 'demo-offer',
      version: 1,
      name: 'Offer by email',
      entry: { kind: 'event', event: 'Offer Eligible' },
      reentry: { mode: 'once' },
      defaultTimeZone: 'UTC',
      start: 'offer',
      steps: [
        {
          id: 'offer',
          type: 'send',
          channel: 'email',
          purpose: 'marketing',
          template: { subject: 'This week only', body: 'Hello {{ traits.first_name }}' },
          next: 'done',
        },
        { id: 'done', type: 'exit' },
      ],
    };
    expect((await server.adminRequest('POST', '/api/journeys', journey)).status).toBe(201);
    const batch = truths.map((t) => ({ type: 'track', userId: t.userId, event: 'Offer Eligible' }));
    expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
    const consenting = truths.filter((t) => consentsAt(t, Date.now()));
    expect(consenting.length).toBeGreaterThan(5);
    expect(consenting.length).toBeLessThan(truths.length);
    // Every entrant decided: sent, or dropped for consent.
    type Decision = { profileId: string; action: string };
    const decided = await eventually(
      async () =>
        (await server.admin('/api/decisions?journeyId=demo-offer&limit=500')).body.items as Decision[],
      (items) =>
        new Set(items.filter((d) => d.action !== 'defer').map((d) => d.profileId)).size >= truths.length,
      300_000,
    );
    expect(decided.filter((d) => d.action === 'drop').length).toBe(truths.length - consenting.length);
    await eventually(
      async () => smtp.received.length,
      (n) => n >= consenting.length,
      120_000,
    );
    await server.settle();
    const to = smtp.received.map((mail) => JSON.stringify(mail.to)).sort();
    expect(to.length).toBe(consenting.length);
    for (const t of consenting)
      expect(
        to.some((address) => address.includes(t.email as string)),
        t.userId as string,
      ).toBe(true);
  }, 600_000);
});
