// Best channel against the simulated world's truth, on the embedded engine and on PostgreSQL:
// the store's email provider, app pushes and SMS provider report deliveries and engagements
// through the tracking API (Segment's `Email …` and `Push Notification …` names, and `Message …`
// with a `channel`), each person opening their planted preferred channel four times as often.
// Rapport sent none of these; the estimate must still find the planted channel for most people
// with enough evidence on every channel. Before it learnt only from its own sends (issue #11:
// 0 of 708 demo people got a preference).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type PersonTruth, simulateWorld } from '../../src/simulate/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const DAY = 86_400_000;
const PEOPLE = 300;
const DAYS = 365;
/** Enough evidence: this many sends on each of the three channels. */
const MIN_SENDS = 8;
const PLANTED = ['email', 'sms', 'push'] as const;

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`best channel on the simulated store, ${engine.name}`, () => {
    let server: TestServer;
    let truths: PersonTruth[];
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      server = await startTestServer(databaseUrl ? { databaseUrl } : {});
      const start = new Date(Math.floor((Date.now() - DAYS * DAY) / DAY) * DAY);
      const world = simulateWorld({ kind: 'store', seed: 12, people: PEOPLE, start, days: DAYS });
      let batch: unknown[] = [];
      for (const message of world.messages()) {
        batch.push(message);
        if (batch.length === 500) {
          expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
          batch = [];
        }
      }
      if (batch.length > 0) expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
      truths = [...world.truth()];
      await server.settle();
    }, 300_000);

    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    });

    it('ranks the planted preferred channel first for most people with enough evidence', async () => {
      let judged = 0;
      let recovered = 0;
      const confusion: Record<string, number> = {};
      for (const truth of truths) {
        if (truth.userId === null || !(PLANTED as readonly string[]).includes(truth.preferredChannel))
          continue;
        const lookup = await server.admin(`/api/profiles/lookup?userId=${encodeURIComponent(truth.userId)}`);
        if (lookup.status !== 200) continue;
        const answer = await server.admin(`/api/profiles/${lookup.body.profileId}/channels`);
        expect(answer.status).toBe(200);
        const estimates = (answer.body.estimates as { channel: string; sent: number }[]).filter((e) =>
          (PLANTED as readonly string[]).includes(e.channel),
        );
        if (estimates.some((estimate) => estimate.sent < MIN_SENDS)) continue;
        judged += 1;
        const top = estimates[0]!.channel;
        if (top === truth.preferredChannel) recovered += 1;
        const key = `${truth.preferredChannel}→${top}`;
        confusion[key] = (confusion[key] ?? 0) + 1;
      }
      // Every planted channel is represented, and most are found.
      expect(judged, JSON.stringify(confusion)).toBeGreaterThan(40);
      for (const channel of PLANTED)
        expect(confusion[`${channel}→${channel}`] ?? 0, JSON.stringify(confusion)).toBeGreaterThan(0);
      if (process.env.SHOW_FIGURES) console.info(`best channel: ${recovered} of ${judged}`, confusion);
      expect(recovered / judged, JSON.stringify(confusion)).toBeGreaterThan(0.7);
    });

    it('counts a provider’s deliveries and engagements by send, not by event', async () => {
      const person = truths.find((truth) => truth.userId !== null)!;
      const lookup = await server.admin(`/api/profiles/lookup?userId=${encodeURIComponent(person.userId!)}`);
      const userId = `${person.userId}-fresh`;
      const events = [
        // One email delivered, opened and clicked: one send, one engagement.
        { event: 'Email Delivered', properties: { email_id: 'e1' } },
        { event: 'Email Opened', properties: { email_id: 'e1' } },
        { event: 'Email Link Clicked', properties: { email_id: 'e1' } },
        // An open with no delivery seen still counts as a send.
        { event: 'Email Opened', properties: { email_id: 'e2' } },
        { event: 'Push Notification Received', properties: { message_id: 'p1' } },
        { event: 'Message Delivered', properties: { channel: 'sms', send_key: 's1' } },
        { event: 'Message Clicked', properties: { channel: 'sms', send_key: 's1' } },
        // Names no channel: left out.
        { event: 'Message Delivered', properties: { send_key: 'x1' } },
      ].map((event) => ({ type: 'track', userId, ...event }));
      expect(lookup.status).toBe(200);
      expect((await track(server, '/v1/batch', { batch: events })).status).toBe(200);
      await server.settle();
      const profile = await server.admin(`/api/profiles/lookup?userId=${encodeURIComponent(userId)}`);
      const answer = await server.admin(`/api/profiles/${profile.body.profileId}/channels`);
      const byChannel = Object.fromEntries(
        (answer.body.estimates as { channel: string; sent: number; engaged: number }[]).map((e) => [
          e.channel,
          [e.sent, e.engaged],
        ]),
      );
      expect(byChannel).toMatchObject({ email: [2, 2], push: [1, 0], sms: [1, 1], webhook: [0, 0] });
    });
  });
