// The quarantine through a real server (docs/quarantine.md), on both engines: a log entry the
// store refuses is set aside while the messages around it land; the admin API lists, shows,
// replays (a refusal answers 409 and counts the attempt) and discards; a message each
// processor fails on (an injected fault, src/pipeline/faults.ts) is set aside by that processor
// only, survives a restart without being set aside again, and replays once the server runs
// without the fault. Transient failures and the consecutive guard stop a processor instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { ConfigInput } from '../../src/config/index.ts';
import type { InjectedFault } from '../../src/pipeline/faults.ts';
import type { ServerOptions } from '../../src/server.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { rapport } from '../value/fixtures.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const T = '2026-03-02T10:00:00.000Z';

/** Polls `read` until `done` holds, for at most 30 s (the answer, not a duration, ends the wait). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const tracked = (messageId: string, userId: string) => ({
  type: 'track',
  messageId,
  userId,
  event: 'Clicked',
  properties: { at: messageId },
});

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`quarantine API on ${engine.name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** Storage that outlives a server: a data directory, or a PostgreSQL database. */
    async function storage(): Promise<ConfigInput> {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        cleanups.push(database.drop);
        return { databaseUrl: database.url };
      }
      const dataDir = mkdtempSync(join(tmpdir(), 'rapport-quarantine-'));
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      return { dataDir };
    }

    async function start(input: ConfigInput, options: ServerOptions = {}): Promise<TestServer> {
      const server = await startTestServer(input, options);
      let open = true;
      cleanups.push(async () => {
        if (open) await server.close();
      });
      const close = server.close;
      server.close = async () => {
        open = false;
        await close();
      };
      return server;
    }

    it('sets aside an entry the store refuses, lands the others, and lists, shows, replays and discards it', async () => {
      const t = await start(await storage());
      expect((await track(t, '/v1/batch', { batch: [tracked('ok-a', 'ann')] })).status).toBe(200);
      // Past the tracking API's validation (an old version, another tool on the shared log):
      // an identify without a timestamp. Both stores refuse it (first_seen NOT NULL).
      await t.server.state.log.append([
        {
          messageId: 'no-time',
          source: 'legacy-import',
          receivedAt: T,
          json: JSON.stringify({
            type: 'identify',
            messageId: 'no-time',
            userId: 'bob',
            traits: { plan: 'pro' },
          }),
        },
      ]);
      expect((await track(t, '/v1/batch', { batch: [tracked('ok-c', 'cid')] })).status).toBe(200);
      await t.settle();

      expect((await t.admin('/api/profiles/lookup?userId=ann')).status).toBe(200);
      expect((await t.admin('/api/profiles/lookup?userId=cid')).status).toBe(200);
      expect((await t.admin('/api/profiles/lookup?userId=bob')).status).toBe(404);
      const status = (await t.admin('/api/status')).body;
      expect(status.processors.profiles.lag).toBe(0);
      expect(status.quarantined).toEqual({ total: 2, byProcessor: { profiles: 1, warehouse: 1 } });

      const list = await t.admin('/api/quarantine?processor=profiles');
      expect(list.status).toBe(200);
      expect(list.body.total).toBe(1);
      expect(list.body.byProcessor).toEqual({ profiles: 1, warehouse: 1 });
      // The whole answer the Operations page reads (the response schema decides what is serialised).
      expect(Object.keys(list.body).sort()).toEqual(['byProcessor', 'items', 'nextCursor', 'total']);
      const [row] = list.body.items;
      expect(Object.keys(row).sort()).toEqual(
        [
          'id',
          'processor',
          'seq',
          'messageId',
          'source',
          'receivedAt',
          'body',
          'error',
          'stack',
          'firstFailedAt',
          'lastFailedAt',
          'attempts',
          'consecutive',
        ].sort(),
      );
      expect(row).toMatchObject({
        processor: 'profiles',
        messageId: 'no-time',
        source: 'legacy-import',
        // A store's refusal of the content does not count toward the guard's run.
        consecutive: 0,
      });
      expect(row.error).toMatch(
        /NOT NULL constraint failed: profiles\.first_seen|null value in column "first_seen"/,
      );
      expect(JSON.parse(row.body)).toMatchObject({ userId: 'bob' });
      expect((await t.admin(`/api/quarantine/${row.id}`)).body).toEqual(row);
      const paged = await t.admin('/api/quarantine?limit=1');
      expect(paged.body.items).toHaveLength(1);
      expect(paged.body.total).toBe(2);
      const next = await t.admin(`/api/quarantine?limit=1&after=${paged.body.nextCursor}`);
      expect(next.body.items[0].processor).not.toBe(paged.body.items[0].processor);
      expect(next.body.nextCursor).toBeNull();

      // Nothing was fixed: the replay fails again, answers 409 and counts the attempt.
      const replay = await t.adminRequest('POST', `/api/quarantine/${row.id}/replay`);
      expect(replay.status).toBe(409);
      expect(replay.body).toMatchObject({
        error: 'RAPPORT_QUARANTINE_REPLAY_FAILED',
        attempts: row.attempts + 1,
      });
      expect((await t.admin(`/api/quarantine/${row.id}`)).body.attempts).toBe(row.attempts + 1);

      expect((await t.adminRequest('DELETE', `/api/quarantine/${row.id}`)).status).toBe(204);
      expect((await t.admin(`/api/quarantine/${row.id}`)).status).toBe(404);
      expect((await t.adminRequest('DELETE', `/api/quarantine/${row.id}`)).status).toBe(404);
      expect((await t.adminRequest('POST', `/api/quarantine/${row.id}/replay`)).status).toBe(404);
      expect((await t.admin('/api/status')).body.quarantined.byProcessor).toEqual({ warehouse: 1 });

      const bad = await t.admin('/api/quarantine/not-a-number');
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain('id');
      expect((await t.adminRequest('GET', '/api/quarantine', undefined, null)).status).toBe(401);
      expect((await t.adminRequest('GET', '/api/quarantine', undefined, t.writeKey)).status).toBe(403);
      const openapi = (await fetch(`${t.url}/api/openapi.json`).then((r) => r.json())) as {
        paths: Record<string, Record<string, unknown>>;
      };
      expect(Object.keys(openapi.paths['/api/quarantine/{id}/replay'] ?? {})).toEqual(['post']);
      expect(Object.keys(openapi.paths['/api/quarantine/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
    });

    // Retries with backoff on several processors: over a minute on a loaded Citus cluster.
    it('each processor sets aside only the message it fails on; a restart sets nothing aside again; replay works once fixed', {
      timeout: 180_000,
    }, async () => {
      const data = await storage();
      const poison: Record<string, string> = {
        profiles: 'poison-profiles',
        warehouse: 'poison-warehouse',
        segments: 'poison-segments',
        journeys: 'poison-journeys',
      };
      const faults: InjectedFault[] = Object.entries(poison).map(([processor, id]) => ({
        processor,
        messageIds: [id],
      }));
      const first = await start(data, { faults });
      // A live segment of everyone who clicked: the segments replay must make a member.
      expect(
        (await first.adminRequest('POST', '/api/segments', { id: 'clickers', text: 'performed "Clicked"' }))
          .status,
      ).toBe(201);
      await until(
        async () => (await first.admin('/api/segments/clickers')).body.status,
        (status) => status === 'live',
        'the segment to be built',
      );
      const batch = [
        tracked('good-1', 'gus'),
        ...Object.entries(poison).map(([processor, id]) => tracked(id, `user-${processor}`)),
        tracked('good-2', 'gia'),
      ];
      expect((await track(first, '/v1/batch', { batch })).status).toBe(200);
      const quarantined = await until(
        async () => (await first.admin('/api/quarantine')).body,
        // The route lists the items before it counts: wait until both see all four.
        (body) => body.total >= 4 && body.items.length >= 4,
        'four quarantined messages',
      );
      expect(quarantined.byProcessor).toEqual({ profiles: 1, warehouse: 1, segments: 1, journeys: 1 });
      const rows = new Map<string, any>(quarantined.items.map((row: any) => [row.processor, row]));
      for (const [processor, id] of Object.entries(poison))
        expect(rows.get(processor)).toMatchObject({
          messageId: id,
          error: `injected failure of ${processor} on ${id}`,
        });
      // Everything else landed, past every set-aside entry.
      await first.settle();
      expect((await first.admin('/api/profiles/lookup?userId=gia')).status).toBe(200);
      expect((await first.admin('/api/profiles/lookup?userId=user-profiles')).status).toBe(404);
      const profileOf = async (t: TestServer, userId: string) =>
        (await t.admin(`/api/profiles/lookup?userId=${userId}`)).body.profileId as string;
      const members = async (t: TestServer) =>
        (await t.admin('/api/segments/clickers/members?limit=100')).body.members.map((m: any) => m.profileId);
      await first.server.pipeline.waitForSegments(await first.server.state.log.headSeq());
      expect(await members(first)).toContain(await profileOf(first, 'gia'));
      expect(await members(first)).not.toContain(await profileOf(first, 'user-segments'));
      await first.close();

      // The fix is deployed: the same storage, no fault.
      const second = await start(data);
      const head = await second.server.state.log.headSeq();
      await second.settle();
      await second.server.pipeline.waitForSegments(head);
      await until(
        () => second.server.conductor.offset(),
        (offset) => offset >= head,
        'the journeys offset',
      );
      const after = (await second.admin('/api/quarantine')).body;
      expect(after.items.map((r: any) => [r.processor, r.seq, r.attempts])).toEqual(
        quarantined.items.map((r: any) => [r.processor, r.seq, r.attempts]),
      );

      for (const processor of Object.keys(poison)) {
        const row = rows.get(processor);
        const replayed = await second.adminRequest('POST', `/api/quarantine/${row.id}/replay`);
        expect(replayed.status, JSON.stringify(replayed.body)).toBe(200);
        expect(replayed.body).toMatchObject({ outcome: 'replayed', entry: { id: row.id, processor } });
        expect((await second.adminRequest('POST', `/api/quarantine/${row.id}/replay`)).status).toBe(404);
      }
      expect((await second.admin('/api/status')).body.quarantined).toEqual({ total: 0, byProcessor: {} });
      // The profiles replay made the person; the warehouse replay stored the event once.
      const made = await second.admin('/api/profiles/lookup?userId=user-profiles');
      expect(made.status).toBe(200);
      expect((await second.admin(`/api/profiles/${made.body.profileId}`)).body.eventCount).toBe(1);
      // The segments replay made the person a member.
      expect(await members(second)).toContain(await profileOf(second, 'user-segments'));
      const wes = (await second.admin('/api/profiles/lookup?userId=user-warehouse')).body.profileId;
      const events = (await second.admin(`/api/profiles/${wes}/events`)).body.items;
      expect(events.filter((e: any) => e.messageId === 'poison-warehouse')).toHaveLength(1);
    });

    it('never sets aside for a transient failure: the processor waits and says why', async () => {
      const t = await start(await storage(), {
        faults: [{ processor: 'profiles', messageIds: ['busy-1'], kind: 'transient' }],
      });
      const batch = [tracked('before-1', 'bea'), tracked('busy-1', 'bus'), tracked('after-1', 'aft')];
      expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
      const status = await until(
        async () => (await t.admin('/api/status')).body,
        (body) => typeof body.lastError === 'string' && body.lastError.includes('busy-1'),
        'the transient error to be reported',
      );
      expect(status.quarantined.total).toBe(0);
      expect(status.processors.profiles.lag).toBeGreaterThan(0);
      expect((await t.admin('/api/profiles/lookup?userId=aft')).status).toBe(404);
    });

    it('stops setting aside after RAPPORT_QUARANTINE_MAX_CONSECUTIVE in a row and reports it', async () => {
      const poisoned = ['run-1', 'run-2', 'run-3'];
      const t = await start(
        { ...(await storage()), quarantineMaxConsecutive: 2 },
        { faults: [{ processor: 'profiles', messageIds: poisoned }] },
      );
      const batch = [
        tracked('lead', 'lea'),
        ...poisoned.map((id) => tracked(id, `u-${id}`)),
        tracked('tail', 'tai'),
      ];
      expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
      const status = await until(
        async () => (await t.admin('/api/status')).body,
        (body) =>
          typeof body.lastError === 'string' && body.lastError.includes('RAPPORT_QUARANTINE_MAX_CONSECUTIVE'),
        'the guard to stop the profiles processor',
      );
      expect(status.quarantined).toEqual({ total: 2, byProcessor: { profiles: 2 } });
      expect(status.lastError).toContain('profiles: 2 log entries in a row');
      expect(status.processors.profiles.lag).toBe(2);
      expect((await t.admin('/api/profiles/lookup?userId=lea')).status).toBe(200);
      expect((await t.admin('/api/profiles/lookup?userId=tai')).status).toBe(404);
    });

    it.skipIf(engine.postgres)(
      'rapport quarantine list, get, replay and discard',
      async () => {
        const t = await start(await storage(), {
          faults: [{ processor: 'profiles', messageIds: ['cli-bad'] }],
        });
        expect((await track(t, '/v1/batch', { batch: [tracked('cli-bad', 'cli-user')] })).status).toBe(200);
        await t.settle();
        const cli = (...args: string[]) =>
          rapport('quarantine', ...args, '--url', t.url, '--admin-token', t.adminToken);
        const listed = await cli('list');
        expect(listed.code, listed.stderr).toBe(0);
        expect(listed.stdout).toMatch(/^id\s+processor\s+seq\s+message/m);
        expect(listed.stdout).toContain('cli-bad');
        expect(listed.stdout).toContain('1 in quarantine');
        const id = Number((listed.stdout.split('\n')[1] as string).split(/\s+/)[0]);
        expect(id).toBeGreaterThan(0);
        const shown = await cli('get', String(id));
        expect(shown.stdout).toContain(`quarantined ${id}: profiles could not apply log entry`);
        expect(shown.stdout).toContain('error: injected failure of profiles on cli-bad');
        const replay = await cli('replay', String(id));
        expect(replay.code).toBe(1);
        expect(replay.stderr).toContain('RAPPORT_QUARANTINE_REPLAY_FAILED');
        expect(replay.stderr).not.toContain(t.adminToken);
        const discarded = await cli('discard', String(id));
        expect(discarded.code, discarded.stderr).toBe(0);
        expect(discarded.stdout).toBe(`discarded ${id}\n`);
        expect((await cli('list')).stdout).toBe('nothing in quarantine\n');
        // Five CLI processes, each a tsx start: under a loaded machine that outlasts the default.
      },
      180_000,
    );
  });
