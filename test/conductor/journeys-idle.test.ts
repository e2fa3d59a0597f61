// With no journey active and nobody on a journey, the journeys step parses only the events
// named like a suppression (it runs on the HTTP thread, and parsing every tracked event was
// most of its cost under ingest load). What it must still do, on both engines: record the
// suppression among ordinary tracks, and hand a goal event to a person whose journey was
// paused mid-trip (paused: no entries, but the trip is still under way).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type Conductor, runJourneysStep, startConductor } from '../../src/conductor/runtime/index.ts';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/identity/index.ts';
import { runProfilesStep } from '../../src/pipeline/index.ts';
import { type LogEntry, openStateStore } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

let sequence = 0;
function entry(message: Record<string, unknown>): LogEntry {
  const messageId = `m-${++sequence}`;
  const full = { timestamp: NOW.toISOString(), receivedAt: NOW.toISOString(), messageId, ...message };
  return { messageId, source: 'test', receivedAt: NOW.toISOString(), json: JSON.stringify(full) };
}

const options = { batchSize: 200, identity: DEFAULT_IDENTITY_CONFIG };

for (const engine of ENGINES) {
  describe.skipIf(!engine.enabled)(`journeys step with nothing active, on ${engine.name}`, () => {
    let dataDir: string;
    let dropDatabase: (() => Promise<void>) | undefined;
    let conductor: Conductor;

    beforeEach(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'rapport-journeys-idle-'));
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
        // The state store's schema first, as the server opens it (the conductor's is IF NOT EXISTS).
        await (await openStateStore({ dataDir, databaseUrl })).close();
      }
      conductor = await startConductor({
        location: { dataDir, databaseUrl },
        identity: DEFAULT_IDENTITY_CONFIG,
        clock: () => NOW,
        runLoops: false,
        onError: (error) => {
          throw error;
        },
      });
    }, 60_000);
    afterEach(async () => {
      await conductor.stop();
      await dropDatabase?.();
      rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    /** Both steps until neither has work: the journeys step appends its own events (Journey Entered). */
    async function applyLog(entries: LogEntry[]): Promise<void> {
      const state = conductor.state.state;
      await state.log.append(entries);
      for (let round = 0; round < 10; round++) {
        let work = 0;
        for (let n = await runProfilesStep(state); n > 0; n = await runProfilesStep(state)) work += n;
        for (
          let n = await runJourneysStep(conductor.state, options);
          n > 0;
          n = await runJourneysStep(conductor.state, options)
        )
          work += n;
        if (work === 0) break;
      }
      expect(await conductor.offset()).toBe(await state.log.headSeq());
    }

    async function profileOf(userId: string): Promise<string> {
      const [identity] = await conductor.state.state.findIdentities([{ kind: 'user_id', value: userId }]);
      return identity?.profileId as string;
    }

    it('records an unsubscribe among ordinary tracks, and nothing for the ordinary ones', async () => {
      await applyLog([
        entry({ type: 'identify', userId: 'ann', traits: { email: 'ann@example.com' } }),
        entry({ type: 'identify', userId: 'bob', traits: { email: 'bob@example.com' } }),
        entry({
          type: 'track',
          userId: 'ann',
          event: 'Product Viewed',
          properties: { note: 'Unsubscribed' },
        }),
        entry({ type: 'track', userId: 'bob', event: 'Email Unsubscribed', properties: {} }),
        entry({ type: 'track', userId: 'ann', event: 'Order Completed', properties: { total: 10 } }),
      ]);
      const suppressions = await conductor.store.suppressionsOf(await profileOf('bob'));
      expect(suppressions.map(({ channel, scope, reason }) => ({ channel, scope, reason }))).toEqual([
        { channel: 'email', scope: 'marketing', reason: 'unsubscribed' },
      ]);
      expect(await conductor.store.suppressionsOf(await profileOf('ann'))).toEqual([]);
    });

    it('hands the goal event to a trip under way in a paused journey', async () => {
      await conductor.service.save({
        format: 1,
        id: 'nurture',
        version: 1,
        name: 'nurture',
        reentry: { mode: 'once' },
        defaultTimeZone: 'UTC',
        entry: { kind: 'event', event: 'Signed Up' },
        goal: { event: 'Purchased' },
        start: 'wait',
        steps: [
          { id: 'wait', type: 'wait', duration: { amount: 2, unit: 'days' }, next: 'done' },
          { id: 'done', type: 'exit' },
        ],
      });
      await applyLog([
        entry({ type: 'identify', userId: 'cat', traits: { email: 'cat@example.com' } }),
        entry({ type: 'track', userId: 'cat', event: 'Signed Up', properties: {} }),
      ]);
      const cat = await profileOf('cat');
      expect((await conductor.store.instancesOf(cat)).map((row) => row.exitReason ?? 'active')).toEqual([
        'active',
      ]);
      await conductor.service.setStatus('nurture', 'paused');
      await applyLog([entry({ type: 'track', userId: 'cat', event: 'Purchased', properties: {} })]);
      expect((await conductor.store.instancesOf(cat)).map((row) => row.exitReason)).toEqual(['converted']);
    });
  });
}
