// What POST /api/templates/preview and POST /api/templates/test-send answer, field by field, on
// the embedded storage and on PostgreSQL, through a real SMTP peer: each answer is serialised by
// its TypeBox schema (src/conductor/schema.ts), which the template editor imports as its type.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type SmtpPeer, startSmtpPeer } from '../channels/support.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];
const keysOf = (value: unknown) => Object.keys(value as object).sort();

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`the template answers' fields on ${engine.name}`, () => {
    let smtp: SmtpPeer;
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      smtp = await startSmtpPeer();
      const channels = { smtpUrl: smtp.url, emailFrom: 'Shop <hello@shop.example>' };
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        server = await startTestServer({ ...channels, databaseUrl: database.url });
      } else {
        server = await startTestServer(channels);
      }
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
      await smtp?.close();
    });

    it('a preview has the parts the template has, rendered', async () => {
      const full = await server.adminRequest('POST', '/api/templates/preview', {
        template: {
          subject: 'Hi {{ traits.name }}',
          body: 'Hello {{ traits.name }}',
          html: '<p>{{ traits.name }}</p>',
        },
        traits: { name: 'Ada' },
      });
      expect(full.status).toBe(200);
      expect(keysOf(full.body)).toEqual(['html', 'subject', 'text']);
      expect(full.body).toMatchObject({ subject: 'Hi Ada', text: 'Hello Ada' });
      expect(full.body.html).toContain('Ada');
      // A text-only template: no subject, no html.
      const textOnly = await server.adminRequest('POST', '/api/templates/preview', {
        template: { body: 'Hello {{ traits.name }}' },
        traits: { name: 'Bo' },
      });
      expect(textOnly.status).toBe(200);
      expect(textOnly.body).toEqual({ text: 'Hello Bo' });
    });

    it('a test send says what the channel did, with every field', async () => {
      const before = smtp.received.length;
      const sent = await server.adminRequest('POST', '/api/templates/test-send', {
        template: { subject: 'Test {{ traits.name }}', body: 'Hello' },
        traits: { name: 'Ada' },
        to: 'ops@shop.example',
      });
      expect(sent.status).toBe(200);
      expect(keysOf(sent.body)).toEqual(['accepted', 'error', 'idempotencyKey', 'status', 'subject', 'to']);
      expect(sent.body).toMatchObject({
        accepted: true,
        status: 'sent',
        error: null,
        subject: 'Test Ada',
        to: 'ops@shop.example',
      });
      expect(smtp.received.length).toBe(before + 1);
      expect(smtp.received.at(-1)?.subject).toBe('Test Ada');
    });
  });
