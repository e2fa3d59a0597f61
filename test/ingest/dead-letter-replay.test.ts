// Dead letters inspected, replayed and discarded over the admin API (docs/tracking-api.md), on
// both engines: a message refused at ingest is shown with its reason and the message as sent;
// replayed as kept it is refused again with the same field and stays; replayed corrected it
// lands in the log from its source and reaches the person's profile, and the dead letter goes;
// a whole refused request (not JSON) cannot be replayed as kept; a discard removes one for good.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

interface StoredLetter {
  id: number;
  code: string;
  field: string;
  reason: string;
  source: string;
  body: string;
}

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`dead letters on ${engine.name}`, () => {
    let t: TestServer;
    let drop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        drop = database.drop;
        t = await startTestServer({ databaseUrl: database.url });
      } else t = await startTestServer();
    }, 120_000);
    afterAll(async () => {
      await t?.close();
      await drop?.();
    });

    const letters = async (): Promise<StoredLetter[]> =>
      (await t.admin('/api/dead-letters?limit=500')).body.items;
    const letterWith = async (marker: string): Promise<StoredLetter> => {
      const found = (await letters()).filter((d) => d.body.includes(marker));
      expect(found, `dead letter for ${marker}`).toHaveLength(1);
      return found[0] as StoredLetter;
    };

    it('shows one, refuses it again as kept, lands it corrected, then it is gone', async () => {
      const sent = await track(t, '/v1/batch', {
        batch: [
          { type: 'track', userId: 'dl-good', event: 'Viewed', messageId: 'dl-good-1' },
          { type: 'track', event: 'Order Completed', messageId: 'dl-nobody', properties: { revenue: 42 } },
        ],
      });
      expect(sent.status).toBe(200);
      expect(sent.body.rejected).toHaveLength(1);
      const letter = await letterWith('dl-nobody');
      // The whole answer the Operations page reads (the response schema decides what is serialised).
      const page = (await t.admin('/api/dead-letters?limit=1')).body;
      expect(Object.keys(page).sort()).toEqual(['items', 'total']);
      expect(Object.keys(page.items[0]).sort()).toEqual(
        ['body', 'code', 'field', 'id', 'reason', 'receivedAt', 'source'].sort(),
      );
      const one = await t.admin(`/api/dead-letters/${letter.id}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(letter);
      expect(one.body.field).toBe('userId');
      expect(JSON.parse(one.body.body)).toMatchObject({
        event: 'Order Completed',
        properties: { revenue: 42 },
      });

      const again = await t.adminRequest('POST', `/api/dead-letters/${letter.id}/replay`, {});
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error: 'RAPPORT_DEAD_LETTER_REFUSED', field: 'userId' });
      expect(again.body.message).toContain(letter.reason);
      expect((await t.admin(`/api/dead-letters/${letter.id}`)).status).toBe(200);

      const corrected = { ...JSON.parse(letter.body), userId: 'dl-fixed' };
      const replayed = await t.adminRequest('POST', `/api/dead-letters/${letter.id}/replay`, {
        message: corrected,
      });
      expect(replayed.status).toBe(200);
      expect(replayed.body).toEqual({ outcome: 'replayed', accepted: 1, suppressed: 0, rejected: 0 });
      expect((await t.admin(`/api/dead-letters/${letter.id}`)).status).toBe(404);
      expect((await letters()).some((d) => d.body.includes('dl-nobody'))).toBe(false);
      const stored = (await t.server.state.log.read(0, 100_000)).find((e) => e.messageId === 'dl-nobody');
      expect(stored?.source).toBe(letter.source);
      await t.settle();
      const person = await t.admin('/api/profiles/lookup?userId=dl-fixed');
      expect(person.status).toBe(200);
      const events = await t.admin(`/api/profiles/${encodeURIComponent(person.body.profileId)}/events`);
      expect(JSON.stringify(events.body)).toContain('Order Completed');
    });

    it('refuses to replay a refused whole request as kept, and discards it for good', async () => {
      const raw = await track(t, '/v1/track', '{"type":"track","userId":"dl-broken",', {
        'content-type': 'application/json',
      });
      expect(raw.status).toBe(400);
      const letter = await letterWith('dl-broken');
      const replay = await t.adminRequest('POST', `/api/dead-letters/${letter.id}/replay`, {});
      expect(replay.status).toBe(409);
      expect(replay.body).toMatchObject({ error: 'RAPPORT_DEAD_LETTER_REFUSED', field: 'message' });
      expect(replay.body.message).toContain('not a JSON message');

      expect((await t.adminRequest('DELETE', `/api/dead-letters/${letter.id}`)).status).toBe(204);
      expect((await t.admin(`/api/dead-letters/${letter.id}`)).status).toBe(404);
      expect((await t.adminRequest('DELETE', `/api/dead-letters/${letter.id}`)).status).toBe(404);
      expect((await t.adminRequest('POST', `/api/dead-letters/${letter.id}/replay`, {})).status).toBe(404);
    });

    it('names a wrong field, and keeps replay and discard to admins', async () => {
      const sent = await track(t, '/v1/track', { event: 'Nobody Again', messageId: 'dl-access' });
      expect(sent.status).toBe(400);
      const letter = await letterWith('dl-access');
      const unknown = await t.adminRequest('POST', `/api/dead-letters/${letter.id}/replay`, { mesage: {} });
      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toContain('mesage');
      expect(
        (await t.adminRequest('POST', `/api/dead-letters/${letter.id}/replay`, {}, t.writeKey)).status,
      ).toBe(403);
      expect((await t.adminRequest('DELETE', `/api/dead-letters/${letter.id}`, undefined, null)).status).toBe(
        401,
      );
      expect((await t.admin('/api/dead-letters/0')).status).toBe(400);
      expect((await t.admin(`/api/dead-letters/${letter.id}`)).status).toBe(200);
    });
  });
