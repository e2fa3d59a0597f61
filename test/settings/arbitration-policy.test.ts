// Fatigue caps and quiet hours over the admin API, on a real server with real storage, on both
// engines: validation naming the field and the limit, the stored policy read back (by another
// process too, on PostgreSQL), applied by the running conductor to the next decision (a lowered
// cap drops the next send with code fatigue_cap), and read-only when a file pins it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makePerson } from '../channels/support.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { eventually, RecordingChannel } from '../support/recording-channel.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const policy = (limit: number) => ({
  caps: [{ channel: 'email', period: 'day', limit }],
  defaultTimeZone: 'UTC',
});

for (const engine of ENGINES) {
  describe.skipIf(!engine.enabled)(`arbitration policy API on ${engine.name}`, () => {
    let server: TestServer;
    let drop: (() => Promise<void>) | undefined;
    let databaseUrl: string | undefined;
    const email = new RecordingChannel('email');

    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        drop = database.drop;
        databaseUrl = database.url;
      }
      server = await startTestServer(databaseUrl ? { databaseUrl } : {}, {
        channels: [email],
        conductorPollMs: 20,
      });
    });
    afterAll(async () => {
      await server?.close();
      await drop?.();
    });

    const put = (body: unknown) => server.adminRequest('PUT', '/api/arbitration-policy', body);

    it('needs an admin token, never a write key', async () => {
      expect((await fetch(`${server.url}/api/arbitration-policy`)).status).toBe(401);
      expect((await fetch(`${server.url}/api/arbitration-policy`, { method: 'PUT' })).status).toBe(401);
      const withWriteKey = await server.adminRequest(
        'PUT',
        '/api/arbitration-policy',
        policy(1),
        server.writeKey,
      );
      expect(withWriteKey.status).toBe(403);
      expect(
        (await server.adminRequest('GET', '/api/arbitration-policy', undefined, server.writeKey)).status,
      ).toBe(403);
    });

    it('starts from the default: no caps, no quiet hours, UTC', async () => {
      const current = await server.adminRequest('GET', '/api/arbitration-policy');
      expect(current.body).toEqual({
        policy: { caps: [], defaultTimeZone: 'UTC' },
        source: 'default',
        origin: null,
        updatedAt: null,
        editable: true,
      });
    });

    it('refuses a bad policy naming each field and the limit, and keeps the old one', async () => {
      const negative = await put({
        caps: [{ channel: 'email', period: 'day', limit: -1 }],
        defaultTimeZone: 'UTC',
      });
      expect(negative.status).toBe(400);
      expect(negative.body.error).toBe('RAPPORT_POLICY_INVALID');
      expect(negative.body.field).toBe('/caps/0/limit');
      expect(negative.body.message).toMatch(/^\/caps\/0\/limit: .*0/);
      const several = await put({
        caps: [{ channel: 'fax', period: 'month', limit: '2' }],
        quietHours: { start: '25:00', end: '08:00' },
        defaultTimeZone: 'UTC',
      });
      expect(several.status).toBe(400);
      const fields = several.body.issues.map((i: { field: string }) => i.field);
      expect(fields).toEqual(
        expect.arrayContaining(['/caps/0/channel', '/caps/0/period', '/caps/0/limit', '/quietHours/start']),
      );
      const zone = await put({ caps: [], defaultTimeZone: 'Mars/Olympus' });
      expect(zone.body).toMatchObject({ field: '/defaultTimeZone' });
      expect(zone.body.message).toContain('Mars/Olympus is not an IANA time zone');
      const same = await put({
        caps: [],
        quietHours: { start: '08:00', end: '08:00' },
        defaultTimeZone: 'UTC',
      });
      expect(same.body.field).toBe('/quietHours');
      const extra = await put({ caps: [], defaultTimeZone: 'UTC', capz: [] });
      expect(extra.status).toBe(400);
      expect(extra.body.message).toContain('capz');
      expect((await server.adminRequest('GET', '/api/arbitration-policy')).body.source).toBe('default');
    });

    it('stores a policy and reads it back', async () => {
      const document = {
        caps: [
          { channel: 'email', period: 'day', limit: 5 },
          { channel: 'all', period: 'week', limit: 9 },
        ],
        quietHours: { start: '23:00', end: '06:00' },
        defaultTimeZone: 'Europe/Paris',
      };
      const saved = await put(document);
      expect(saved.status).toBe(200);
      expect(saved.body).toMatchObject({ policy: document, source: 'stored', editable: true });
      const read = await server.adminRequest('GET', '/api/arbitration-policy');
      expect(read.body.policy).toEqual(document);
      expect(read.body.updatedAt).toBe(saved.body.updatedAt);
    });

    it.skipIf(!engine.postgres)('is shared with another process on the same database', async () => {
      const peer = await startTestServer({ databaseUrl, processors: false });
      try {
        await put(policy(7));
        expect((await peer.adminRequest('GET', '/api/arbitration-policy')).body.policy).toEqual(policy(7));
      } finally {
        await peer.close();
      }
    });

    it('applies a lowered cap to the next send without a restart', async () => {
      // No quiet hours, so that the wall clock of the run does not matter.
      expect((await put(policy(5))).status).toBe(200);
      const profileId = await makePerson(
        server,
        `capped-${engine.postgres ? 'pg' : 'sqlite'}`,
        {
          email: 'cap@example.org',
        },
        { email: 'granted' },
      );
      const send = (key: string) =>
        server.adminRequest('POST', '/api/messages', {
          profileId,
          channel: 'email',
          kind: 'marketing',
          onCapped: 'drop',
          template: { subject: 'Hi', body: 'news' },
          idempotencyKey: key,
        });
      const decisions = () =>
        server
          .adminRequest('GET', `/api/decisions?profileId=${profileId}`)
          .then((r) => r.body.items as Array<Record<string, unknown>>);
      expect((await send('first')).status).toBe(202);
      await eventually(decisions, (items) => items.some((d) => d.idempotencyKey === 'api:first'));
      expect((await decisions()).find((d) => d.idempotencyKey === 'api:first')).toMatchObject({
        action: 'send',
        code: 'send',
      });

      // Lower the cap to the one already sent: the next send is over it.
      expect((await put(policy(1))).status).toBe(200);
      await send('second');
      const items = await eventually(decisions, (all) => all.some((d) => d.idempotencyKey === 'api:second'));
      expect(items.find((d) => d.idempotencyKey === 'api:second')).toMatchObject({
        action: 'drop',
        code: 'fatigue_cap',
        reason: 'dropped: daily email cap of 1 reached',
      });

      // Raised again, the next one goes: the policy is read per decision, both ways.
      expect((await put(policy(3))).status).toBe(200);
      await send('third');
      const after = await eventually(decisions, (all) => all.some((d) => d.idempotencyKey === 'api:third'));
      expect(after.find((d) => d.idempotencyKey === 'api:third')).toMatchObject({ action: 'send' });
      expect(email.to(profileId).map((m) => m.idempotencyKey)).toEqual(['api:first', 'api:third']);
    });
  });
}

describe('a policy pinned by RAPPORT_ARBITRATION_POLICY', () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'rapport-policy-'));
  const file = join(dir, 'policy.json');
  const saved = process.env.RAPPORT_ARBITRATION_POLICY;

  beforeAll(async () => {
    writeFileSync(file, JSON.stringify(policy(2)));
    process.env.RAPPORT_ARBITRATION_POLICY = file;
    server = await startTestServer();
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.RAPPORT_ARBITRATION_POLICY;
    else process.env.RAPPORT_ARBITRATION_POLICY = saved;
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is shown as read-only, and an edit is refused naming the variable', async () => {
    const current = await server.adminRequest('GET', '/api/arbitration-policy');
    expect(current.body).toMatchObject({ policy: policy(2), source: 'file', editable: false });
    expect(current.body.origin).toContain(file);
    const refused = await server.adminRequest('PUT', '/api/arbitration-policy', policy(9));
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('RAPPORT_POLICY_READ_ONLY');
    expect(refused.body.message).toContain('RAPPORT_ARBITRATION_POLICY');
    expect((await server.adminRequest('GET', '/api/arbitration-policy')).body.policy).toEqual(policy(2));
  });
});
