// Log retention on a running server, on both engines: GET /api/log and POST /api/log/compact
// behind the admin token; entries young or unread stay; once every processor (profiles,
// warehouse, segments, journeys) has passed them and the retention window (moved with the
// processors' test clock) has gone by, they go — and everything that read the log keeps
// working: the events and profile API, stats, the export, new messages, erasure. The messageId
// dedupe window is the retention, as documented.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestClock } from '../../src/pipeline/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { rapport } from '../value/fixtures.ts';

const DAY = 86_400_000;
const postgresUrl = inject('postgresUrl');

const ENGINES = [
  { name: 'embedded', skip: '' },
  { name: 'postgres', skip: postgresUrl ? '' : inject('postgresSkipReason') },
];

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== '')(`log compaction on a running server (${engine.name})`, () => {
    const clock = new TestClock(new Date());
    let t: TestServer;
    let database: { url: string; drop(): Promise<void> } | undefined;

    beforeAll(async () => {
      if (engine.name === 'postgres') database = await createTestDatabase(postgresUrl);
      t = await startTestServer(database ? { databaseUrl: database.url } : {}, { clock });
    });
    afterAll(async () => {
      await t?.close();
      await database?.drop();
    });

    /** Until every reader of the log has committed everything in it. */
    // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answers
    async function readersCaughtUp(): Promise<Record<string, any>> {
      for (let i = 0; i < 600; i++) {
        const log = (await t.admin('/api/log')).body;
        if (log.readersAt === log.headSeq) return log;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`readers did not catch up: ${JSON.stringify((await t.admin('/api/log')).body)}`);
    }

    const batchFor = (user: string, prefix: string, n: number) => [
      { type: 'identify', messageId: `${prefix}-id`, userId: user, traits: { email: `${user}@example.com` } },
      ...Array.from({ length: n }, (_, i) => ({
        type: 'track',
        messageId: `${prefix}-${i}`,
        userId: user,
        event: 'Viewed',
        properties: { i },
      })),
    ];
    const profileOf = async (user: string) => {
      const { profileId } = (await t.admin(`/api/profiles/lookup?userId=${user}`)).body;
      return (await t.admin(`/api/profiles/${profileId}`)).body;
    };

    it('answers only an admin token, and documents both routes', async () => {
      expect((await t.adminRequest('GET', '/api/log', undefined, null)).status).toBe(401);
      expect((await t.adminRequest('POST', '/api/log/compact', undefined, t.writeKey)).status).toBe(403);
      const openapi = (await fetch(`${t.url}/api/openapi.json`).then((r) => r.json())) as {
        paths: Record<string, Record<string, unknown>>;
      };
      expect(openapi.paths['/api/log']?.get).toBeDefined();
      expect(openapi.paths['/api/log/compact']?.post).toBeDefined();
    });

    it('keeps what the retention window holds, removes the rest once every reader passed it, and the rest keeps working', async () => {
      expect((await track(t, '/v1/batch', { batch: batchFor('ada', 'ada', 6) })).status).toBe(200);
      expect((await track(t, '/v1/batch', { batch: batchFor('bob', 'bob', 4) })).status).toBe(200);
      await t.settle();
      const before = await readersCaughtUp();
      expect(before.readers.map((r: { name: string }) => r.name)).toEqual(
        expect.arrayContaining(['journeys', 'profiles', 'segments', 'warehouse']),
      );
      expect(before).toMatchObject({ retentionMs: 7 * DAY, entries: 12, compactedThrough: 0 });

      // Read by everyone, but younger than the 7 days: nothing goes.
      const young = (await t.adminRequest('POST', '/api/log/compact')).body;
      expect(young).toMatchObject({ removed: 0, readersAt: before.headSeq });

      // Eight days later (the processors' clock): all of it goes.
      clock.advance(8 * DAY);
      const compacted = await t.adminRequest('POST', '/api/log/compact');
      expect(compacted.status).toBe(200);
      expect(compacted.body).toMatchObject({ removed: 12, removedThrough: before.headSeq });
      const after = (await t.admin('/api/log')).body;
      expect(after).toMatchObject({
        entries: 0,
        oldestSeq: null,
        headSeq: before.headSeq,
        compactedThrough: before.headSeq,
        removedTotal: 12,
        lastRun: { removed: 12 },
      });
      // The whole answers the Operations page reads (the response schemas decide what is serialised).
      const reportKeys = [
        'chunks',
        'cutoff',
        'finishedAt',
        'heldBackBy',
        'readersAt',
        'reclaimedBytes',
        'removed',
        'removedThrough',
        'startedAt',
      ];
      expect(Object.keys(compacted.body).sort()).toEqual(reportKeys);
      expect(Object.keys(after.lastRun).sort()).toEqual(reportKeys);
      expect(Object.keys(after).sort()).toEqual(
        [
          'retentionMs',
          'compactionIntervalMs',
          'entries',
          'oldestSeq',
          'oldestReceivedAt',
          'headSeq',
          'compactedThrough',
          'removedTotal',
          'lastCompactedAt',
          'sizeBytes',
          'freeBytes',
          'autoVacuum',
          'readers',
          'readersAt',
          'heldBackBy',
          'lastRun',
        ].sort(),
      );
      expect(Object.keys(after.readers[0]).sort()).toEqual(['name', 'offset']);
      const status = (await t.admin('/api/status')).body;
      expect(status.logHead).toBe(before.headSeq);
      expect(status.processors.profiles.lag).toBe(0);

      // The event store keeps the history: profile events, stats and the export still have it.
      const ada = await profileOf('ada');
      expect(ada.eventCount).toBe(7);
      const events = (await t.admin(`/api/profiles/${ada.profileId}/events?limit=50`)).body.items;
      expect(events).toHaveLength(7);
      const perDay = (await t.admin('/api/stats/events?by=day&days=30')).body;
      expect(JSON.stringify(perDay)).toContain('"track"');
      const exported = await fetch(`${t.url}/api/export/events`, {
        headers: { authorization: `Bearer ${t.adminToken}` },
      }).then((r) => r.text());
      expect(exported.trim().split('\n')).toHaveLength(12);

      // New messages are appended above the old head and processed as usual.
      expect((await track(t, '/v1/batch', { batch: batchFor('ada', 'ada-later', 2) })).status).toBe(200);
      await t.settle();
      expect((await profileOf('ada')).eventCount).toBe(10);
      const grown = await readersCaughtUp();
      expect(grown.oldestSeq).toBeGreaterThan(before.headSeq);

      // The dedupe window is the retention: a retry of a kept message is still a duplicate…
      await track(t, '/v1/batch', { batch: [batchFor('ada', 'ada-later', 1)[1]] });
      // …but a message compacted away is taken again, as documented.
      await track(t, '/v1/batch', { batch: [batchFor('ada', 'ada', 1)[1]] });
      await t.settle();
      expect((await profileOf('ada')).eventCount).toBe(11);

      // Erasure reads the log that is left, and completes.
      const bob = await profileOf('bob');
      const erase = await t.adminRequest('DELETE', `/api/profiles/${bob.profileId}`);
      expect(erase.status).toBe(202);
      await t.server.erasure.settled(erase.body.id);
      const job = (await t.admin(`/api/erasure-jobs/${erase.body.id}`)).body;
      expect(job.status).toBe('complete');
      expect(job.steps.find((s: { name: string }) => s.name === 'events').count).toBe(5);
      expect(job.steps.find((s: { name: string }) => s.name === 'log').count).toBe(0);
    });
  });
}

describe('a server that does not run the processors', () => {
  const clock = new TestClock(new Date());
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ processors: false, logRetention: '0' }, { clock });
  });
  afterAll(async () => t?.close());

  it('removes nothing: no reader has committed anything', async () => {
    expect(
      (await track(t, '/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'E' }] })).status,
    ).toBe(200);
    clock.advance(DAY);
    const report = (await t.adminRequest('POST', '/api/log/compact')).body;
    expect(report).toMatchObject({ removed: 0, readersAt: 0 });
    expect(report.heldBackBy).toEqual(
      expect.arrayContaining(['journeys', 'profiles', 'segments', 'warehouse']),
    );
    const log = (await t.admin('/api/log')).body;
    expect(log).toMatchObject({ entries: 1, retentionMs: 0, lastRun: { removed: 0 } });
    expect(log.readers.every((r: { offset: number }) => r.offset === 0)).toBe(true);
  });

  it('reports a compaction as the last run the moment it has answered', async () => {
    // No HTTP round trip in between: the worker's status message, which arrives after its
    // answer, must not be what makes lastRun appear (the flake this once was).
    for (let run = 0; run < 5; run++) {
      const report = await t.server.pipeline.compactLog();
      expect(t.server.pipeline.status().lastCompaction).toEqual(report);
    }
  });
});

describe('rapport log', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    expect(
      (await track(t, '/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'E' }] })).status,
    ).toBe(200);
    await t.settle();
  });
  afterAll(async () => t?.close());
  const cli = (...args: string[]) => rapport('log', ...args, '--url', t.url, '--admin-token', t.adminToken);

  it('prints the status and compacts on a running server, as text and as JSON', async () => {
    const status = await cli('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^ingest log: 1 entries \(seq 1 → 1, oldest received /);
    expect(status.stdout).toContain('retention: 7d (also the messageId dedupe window)');
    expect(status.stdout).toMatch(/\n {2}journeys +\d/);
    expect(status.stdout).not.toContain(t.adminToken);
    const compacted = await cli('compact', '--json');
    expect(compacted.code, compacted.stderr).toBe(0);
    expect(JSON.parse(compacted.stdout)).toMatchObject({ removed: 0, chunks: 0 });
  });

  it('refuses without an admin token, in one line', async () => {
    const result = await rapport(
      'log',
      'status',
      '--url',
      t.url,
      '--admin-token',
      'rk_admin_not_a_real_token_1234',
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'rapport log: unknown or revoked admin token (RAPPORT_API_UNAUTHORIZED)',
    );
  });

  it('vacuums a log.sqlite created before compaction so it gives space back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-vacuum-'));
    try {
      const old = new Database(join(dir, 'log.sqlite'));
      old.pragma('journal_mode = WAL');
      old.exec(
        "CREATE TABLE ingest_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE, source TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL); CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL, source TEXT NOT NULL, code TEXT NOT NULL, field TEXT NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL); CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL); INSERT INTO schema_migrations VALUES (1, '2024-01-01T00:00:00.000Z');",
      );
      old.close();
      const result = await rapport('log', 'vacuum', '--data-dir', dir);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^log\.sqlite: .* auto_vacuum none → incremental\n$/);
      const missing = await rapport('log', 'vacuum', '--data-dir', join(dir, 'nowhere'));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('rapport log: no log.sqlite in');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
