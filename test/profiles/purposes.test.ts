// Consent purposes added, described and retired (docs/privacy.md): the catalogue on a real
// channel store (seeded by the configuration, kept across a reopen, a retired purpose staying
// retired), and over HTTP on a real server: a purpose added through the API is accepted at once
// by ingest and by the profiles processor in its worker thread (a person's consent for it is
// recorded); retiring one a journey sends under, or a channel's opt-in, is refused naming them;
// a retired purpose is no longer accepted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurposeCatalog } from '../../src/profiles/index.ts';
import { SqliteChannelStore } from '../../src/store/sqlite/channels.ts';
import { makePerson, type SmtpPeer, startSmtpPeer } from '../channels/support.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

describe('the purpose catalogue', () => {
  it('seeds from the configuration, keeps additions and retirements across a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-purposes-'));
    try {
      const store = new SqliteChannelStore(join(dir, 'state.sqlite'));
      const live = ['email', 'sms'];
      const told: string[][] = [];
      const catalog = await new PurposeCatalog({
        settings: store,
        live,
        usesOf: async (purpose) => (purpose === 'email' ? ['the email channel'] : []),
        onChange: (active) => told.push([...active]),
      }).load();
      await catalog.add('volunteering', 'Asked to volunteer at events');
      await catalog.retire('sms');
      expect(live).toEqual(['email', 'volunteering']);
      expect(told.at(-1)).toEqual(['email', 'volunteering']);
      await expect(catalog.retire('email')).rejects.toThrow('is in use by the email channel');
      await expect(catalog.add('Volunteering', null)).rejects.toThrow('exists');
      await expect(catalog.add('9lives', null)).rejects.toThrow('name: a letter');
      await store.close();

      // Reopened with the configuration listing sms again: it stays retired, the addition stays.
      const again = new SqliteChannelStore(join(dir, 'state.sqlite'));
      const reopenedLive = ['email', 'sms', 'push'];
      const reopened = await new PurposeCatalog({
        settings: again,
        live: reopenedLive,
        usesOf: async () => [],
      }).load();
      expect(reopenedLive).toEqual(['email', 'volunteering', 'push']);
      expect(reopened.list().find((p) => p.name === 'volunteering')).toMatchObject({
        description: 'Asked to volunteer at events',
        source: 'api',
      });
      // Adding a retired purpose again brings it back.
      await reopened.add('sms', null);
      expect(reopenedLive).toContain('sms');
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('consent purposes over HTTP', () => {
  let smtp: SmtpPeer;
  let server: TestServer;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({ smtpUrl: smtp.url, consentPurposes: 'email,marketing,analytics' });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('accepts a purpose added through the API at once, in ingest and in the profiles processor', async () => {
    const before = await track(server, '/v1/identify', {
      userId: 'u-1',
      traits: { consent: { volunteering: 'granted' } },
    });
    expect(JSON.stringify(before.body)).toContain('unknown purpose');
    const added = await server.adminRequest('POST', '/api/consent-purposes', {
      name: 'volunteering',
      description: 'Asked to volunteer at events',
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: 'volunteering', source: 'api', retiredAt: null });
    const profileId = await makePerson(
      server,
      'u-2',
      { email: 'two@example.org' },
      { volunteering: 'granted' },
    );
    const profile = await server.admin(`/api/profiles/${profileId}`);
    expect(profile.body.consent.volunteering).toMatchObject({ state: 'granted' });
    const listed = await server.admin('/api/consent-purposes');
    expect(listed.body.editable).toBe(true);
    expect(listed.body.purposes).toContainEqual(
      expect.objectContaining({
        purpose: 'volunteering',
        description: 'Asked to volunteer at events',
        source: 'api',
      }),
    );
    const described = await server.adminRequest('PUT', '/api/consent-purposes/volunteering', {
      description: 'Volunteering at city events',
    });
    expect(described.body.description).toBe('Volunteering at city events');
  });

  it('refuses to retire a purpose a journey sends under or a channel opts in with; retires another', async () => {
    const journey = {
      format: 1,
      id: 'newsletter',
      version: 1,
      name: 'Newsletter',
      entry: { kind: 'event', event: 'Joined' },
      reentry: { mode: 'always' },
      defaultTimeZone: 'UTC',
      start: 'mail',
      steps: [
        {
          id: 'mail',
          type: 'send',
          channel: 'email',
          purpose: 'marketing',
          template: { subject: 'S', body: 'B' },
          next: 'done',
        },
        { id: 'done', type: 'exit' },
      ],
    };
    expect((await server.adminRequest('POST', '/api/journeys', journey)).status).toBe(201);
    const inUse = await server.adminRequest('POST', '/api/consent-purposes/marketing/retire');
    expect(inUse.status).toBe(409);
    expect(inUse.body.message).toBe(
      'purpose marketing is in use by journey Newsletter: it cannot be retired while they need it',
    );
    const channel = await server.adminRequest('POST', '/api/consent-purposes/email/retire');
    expect(channel.status).toBe(409);
    expect(channel.body.message).toContain('the email channel');
    const retired = await server.adminRequest('POST', '/api/consent-purposes/volunteering/retire');
    expect(retired.status).toBe(200);
    expect(retired.body.retiredAt).toEqual(expect.any(String));
    const after = await track(server, '/v1/identify', {
      userId: 'u-3',
      traits: { consent: { volunteering: 'granted' } },
    });
    expect(JSON.stringify(after.body)).toContain('unknown purpose');
    const listed = await server.admin('/api/consent-purposes');
    expect(listed.body.retired.map((r: { purpose: string }) => r.purpose)).toEqual(['volunteering']);
  });

  it('refuses a bad name and a write without privacy rights', async () => {
    const bad = await server.adminRequest('POST', '/api/consent-purposes', { name: 'two words' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('name');
    const key = await server.adminRequest('POST', '/api/consent-purposes', { name: 'x' }, server.writeKey);
    expect(key.status).toBe(403);
  });
});
