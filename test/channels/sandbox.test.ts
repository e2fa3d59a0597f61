// The email sandbox, on a real server on both engines: switched on by an admin when no email
// channel exists (and remembered), it is the email channel the Settings page shows as
// `sandbox`; a journey's marketing email goes through arbitration as ever (consent checked last)
// and each message is kept exactly as it would be sent (the person's traits in it, tracking
// links, the open pixel, the unsubscribe link), to be read from the API; the capture is in the
// profile export and the erasure job removes it. It never replaces a real email channel.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel } from '../../src/channels/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const journey = {
  format: 1,
  id: 'offer',
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
      template: {
        subject: 'A treat for you, {{ traits.first_name }}',
        body: 'Hello {{ traits.first_name }}, see https://shop.example/offer',
        html: '<p>Hello {{ traits.first_name }}, <a href="https://shop.example/offer">see the offer</a></p>',
      },
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`the email sandbox on ${engine.name}`, () => {
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      server = await startTestServer(
        { emailFrom: 'Shop <hello@shop.example>', ...(databaseUrl ? { databaseUrl } : {}) },
        { conductorPollMs: 50 },
      );
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    }, 120_000);

    it('keeps each marketing email a consenting person would get, as sent, and nothing for the others', async () => {
      expect((await server.admin('/api/sandbox/emails')).body).toEqual({ sandbox: false, items: [] });
      const on = await server.adminRequest('PUT', '/api/channels/email/sandbox');
      expect(on.status).toBe(200);
      expect(on.body.sandbox).toBe(true);
      const listed = (await server.admin('/api/channels')).body.items;
      expect(listed.find((c: { name: string }) => c.name === 'email')).toMatchObject({
        transport: 'sandbox',
        purpose: 'email',
        destination: expect.stringMatching(/never sent to any inbox/),
      });

      const people = [
        { userId: 'ann', first_name: 'Ann', consent: 'granted' },
        { userId: 'bob', first_name: 'Bob', consent: 'denied' },
        { userId: 'cat', first_name: 'Cat', consent: 'granted' },
      ];
      const identifies = people.map((p) => ({
        type: 'identify',
        userId: p.userId,
        traits: { email: `${p.userId}@example.com`, first_name: p.first_name, consent: { email: p.consent } },
      }));
      expect((await track(server, '/v1/batch', { batch: identifies })).status).toBe(200);
      await server.settle();
      expect((await server.adminRequest('POST', '/api/journeys', journey)).status).toBe(201);
      const eligible = people.map((p) => ({ type: 'track', userId: p.userId, event: 'Offer Eligible' }));
      expect((await track(server, '/v1/batch', { batch: eligible })).status).toBe(200);

      type Decision = { profileId: string; action: string; code: string };
      const decided = await eventually(
        async () => (await server.admin('/api/decisions?journeyId=offer&limit=50')).body.items as Decision[],
        (items) => items.filter((d) => d.action !== 'defer').length >= people.length,
        120_000,
      );
      const profileOf = async (userId: string) =>
        (await server.admin(`/api/profiles/lookup?userId=${userId}`)).body.profileId as string;
      const [ann, bob, cat] = await Promise.all(people.map((p) => profileOf(p.userId)));
      expect(decided.find((d) => d.profileId === bob)).toMatchObject({
        action: 'drop',
        code: 'consent_denied',
      });
      expect(
        decided
          .filter((d) => d.action === 'send')
          .map((d) => d.profileId)
          .sort(),
      ).toEqual([ann, cat].sort());

      const inbox = (await server.admin('/api/sandbox/emails?journeyId=offer')).body;
      expect(inbox.sandbox).toBe(true);
      expect(inbox.items.map((e: { profileId: string }) => e.profileId).sort()).toEqual([ann, cat].sort());
      const annMail = inbox.items.find((e: { profileId: string }) => e.profileId === ann);
      expect(annMail).toMatchObject({
        to: 'ann@example.com',
        from: 'Shop <hello@shop.example>',
        subject: 'A treat for you, Ann',
        journeyId: 'offer',
        stepId: 'offer',
      });
      expect(annMail.html).toBeUndefined();
      const full = (await server.admin(`/api/sandbox/emails/${encodeURIComponent(annMail.id)}`)).body;
      expect(full.text).toMatch(/^Hello Ann, see https:\/\/shop\.example\/offer/);
      expect(full.text).toMatch(/Unsubscribe: http.*\/t\/u\//);
      // The HTML as it would be sent: the link through the signed click redirect, the open pixel.
      expect(full.html).toMatch(/Hello Ann/);
      expect(full.html).toMatch(/href="http[^"]*\/t\/c\/[^"]*"/);
      expect(full.html).toMatch(/<img src="http[^"]*\/t\/o\/[^"]*\.gif"/);
      expect(full.html).not.toMatch(/href="https:\/\/shop\.example\/offer"/);

      // Its delivery event says it was kept in the sandbox, not sent to an inbox.
      await server.settle();
      const sent = await eventually(
        async () =>
          (await server.admin(`/api/profiles/${ann}/events?name=${encodeURIComponent('Email Sent')}`)).body
            .items as { properties: Record<string, unknown> }[],
        (items) => items.length > 0,
      );
      expect(sent[0]?.properties).toMatchObject({ sandbox: true, journey_id: 'offer', send_key: annMail.id });

      // The person's export has it; the erasure job removes it.
      const exported = await server.admin(`/api/profiles/${ann}/export`);
      expect(exported.body.sandboxEmails.map((e: { id: string }) => e.id)).toEqual([annMail.id]);
      // And what the conductor holds: her trip, the message as queued, the arbitration's decision.
      expect(exported.body.journeys).toEqual([
        expect.objectContaining({ journeyId: 'offer', profileId: ann }),
      ]);
      expect(exported.body.messages).toEqual([
        expect.objectContaining({ idempotencyKey: annMail.id, profileId: ann, channel: 'email' }),
      ]);
      expect(exported.body.decisions).toEqual(
        expect.arrayContaining([expect.objectContaining({ profileId: ann, action: 'send' })]),
      );
      expect(exported.body.decisions.every((d: { profileId: string }) => d.profileId === ann)).toBe(true);
      const erased = await server.adminRequest('DELETE', `/api/profiles/${ann}`);
      expect(erased.status).toBe(202);
      await eventually(
        async () => (await server.admin(`/api/erasure-jobs/${erased.body.id}`)).body.status,
        (status) => status === 'complete',
        120_000,
      );
      expect((await server.admin(`/api/sandbox/emails?profileId=${ann}`)).body.items).toEqual([]);
      expect((await server.admin(`/api/sandbox/emails/${encodeURIComponent(annMail.id)}`)).status).toBe(404);
    }, 300_000);

    it('never stands in for a real email channel; switched off, email has no channel again', async () => {
      const real: Channel = { name: 'email', purpose: 'email', deliver: async () => ({ status: 'sent' }) };
      const off = await server.adminRequest('DELETE', '/api/channels/email/sandbox');
      expect(off.body).toEqual({ sandbox: false });
      const names = (await server.admin('/api/channels')).body.items.map((c: { name: string }) => c.name);
      expect(names).not.toContain('email');
      server.server.channels.register(real);
      const refused = await server.adminRequest('PUT', '/api/channels/email/sandbox');
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/never replaces it/);
      expect(server.server.channels.get('email')).toBe(real);
    });

    it('is refused when an SMTP relay is configured, and needs an admin', async () => {
      const smtp = await startTestServer({ smtpUrl: 'smtp://127.0.0.1:1' });
      try {
        const refused = await smtp.adminRequest('PUT', '/api/channels/email/sandbox');
        expect(refused.status).toBe(409);
        expect(refused.body.message).toMatch(/RAPPORT_SMTP_URL/);
        const anonymous = await fetch(new URL('/api/channels/email/sandbox', smtp.url), { method: 'PUT' });
        expect(anonymous.status).toBe(401);
      } finally {
        await smtp.close();
      }
    }, 120_000);
  });
