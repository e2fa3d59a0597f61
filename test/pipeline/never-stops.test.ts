// No sender can stop a processor (issue 12, item 1): random messages, each one the tracking API
// accepts, go through a real server on both engines — profiles, warehouse, segments (a live
// segment) and journeys (an active journey whose trigger some of them match) — and every log
// reader must reach the head each time. Ids, event names and keys run up to the ingest limits,
// strings carry any Unicode, traits carry identifier traits (email) of any length and traits
// named like Object's members; a message the store refused would be set aside, never stop a
// processor, and none of these valid messages may be refused at all.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SEGMENT_LIMITS } from '../../src/events/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { RecordingChannel } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const journey = {
  format: 1,
  id: 'anything',
  version: 1,
  name: 'anything',
  reentry: { mode: 'always' },
  defaultTimeZone: 'UTC',
  entry: { kind: 'event', event: 'Signed Up' },
  start: 'hello',
  steps: [
    {
      id: 'hello',
      type: 'send',
      channel: 'email',
      purpose: 'email',
      template: { subject: 'Hi', body: 'x' },
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

const { idChars, keyChars } = SEGMENT_LIMITS;
/** Any Unicode, lone surrogates and NUL included (ingest makes them storable). */
const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
const id = fc.oneof(
  text(idChars).filter((s) => s.length > 0),
  fc.string({ minLength: idChars - 2, maxLength: idChars, unit: 'grapheme-ascii' }),
  fc.integer(),
);
const key = fc.oneof(
  text(24),
  fc.constantFrom('constructor', 'toString', '__proto__', 'email', 'consent', 'valueOf'),
  fc.string({ minLength: keyChars - 2, maxLength: keyChars }),
);
const value = fc.oneof(
  text(60),
  fc.string({ minLength: 2000, maxLength: 4000, unit: 'grapheme-ascii' }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text(10), { maxLength: 3 }),
  fc.dictionary(text(8), text(8), { maxKeys: 3 }),
);
const traits = fc.dictionary(key, value, { maxKeys: 5 });
const email = fc.oneof(
  fc.emailAddress(),
  text(40),
  fc.string({ minLength: 300, maxLength: 3000, unit: 'grapheme-ascii' }),
);
const eventName = fc.oneof(
  fc.constantFrom('Signed Up', 'Clicked'),
  text(idChars).filter((s) => s.length > 0),
);
const timestamp = fc
  .date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date(Date.now() + 3_600_000), noInvalidDate: true })
  .map((d) => d.toISOString());

const message = fc.oneof(
  fc.record(
    {
      type: fc.constant('identify'),
      userId: id,
      anonymousId: id,
      traits: fc.tuple(traits, email).map(([t, e]) => ({ ...t, email: e })),
      timestamp,
    },
    { requiredKeys: ['type', 'userId', 'traits'] },
  ),
  fc.record(
    {
      type: fc.constant('track'),
      userId: id,
      anonymousId: id,
      event: eventName,
      properties: traits,
      timestamp,
      context: fc.record({ traits: fc.record({ email }) }),
    },
    { requiredKeys: ['type', 'anonymousId', 'event'] },
  ),
  fc.record({ type: fc.constantFrom('page', 'screen'), anonymousId: id, name: text(80), properties: traits }),
  fc.record({ type: fc.constant('group'), userId: id, groupId: id, traits }),
  fc.record({ type: fc.constant('alias'), userId: id, previousId: id }),
);

/** Polls until every log reader reached the head (an answer ends the wait; 60 s bound it). */
async function untilEveryReaderCaughtUp(t: TestServer): Promise<Record<string, { lag: number }>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = (await t.admin('/api/status')).body;
    const processors = status.processors as Record<string, { lag: number }>;
    if (Object.values(processors).every((p) => p.lag === 0)) return processors;
    if (Date.now() > deadline)
      throw new Error(`a processor stopped: ${JSON.stringify({ processors, lastError: status.lastError })}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`no valid message stops a processor on ${engine.name}`, () => {
    let t: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      const options = { channels: [new RecordingChannel('email')], conductorPollMs: 20 };
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        t = await startTestServer({ databaseUrl: database.url }, options);
      } else t = await startTestServer({}, options);
      expect((await t.adminRequest('POST', '/api/journeys', journey)).status).toBeLessThan(300);
      const segment = await t.adminRequest('POST', '/api/segments', {
        id: 'clickers',
        text: 'performed "Clicked"',
      });
      expect(segment.status).toBe(201);
    });
    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    it('every reader reaches the head after any batch of accepted messages', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 12 }), async (batch) => {
          const sent = batch.map((m) => ({ ...m, messageId: randomUUID() }));
          const reply = await track(t, '/v1/batch', { batch: sent });
          // Each message is valid at ingest; one over the request's 500 KB is not this test's point.
          expect(reply.status, JSON.stringify(reply.body).slice(0, 500)).toBe(200);
          expect(reply.body.rejected).toEqual([]);
          const processors = await untilEveryReaderCaughtUp(t);
          expect(Object.keys(processors)).toEqual(
            expect.arrayContaining(['profiles', 'warehouse', 'segments', 'journeys']),
          );
          const status = (await t.admin('/api/status')).body;
          expect(
            status.quarantined.total,
            JSON.stringify((await t.admin('/api/quarantine')).body.items?.[0]?.error),
          ).toBe(0);
        }),
        { numRuns: 12 },
      );
    });
  });
