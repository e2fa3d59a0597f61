// `rapport demo` with an admin token fills the Messages screen honestly, on both engines: a small
// simulated store is sent to a server with no email channel, the demo switches the email sandbox
// on, its journeys send their emails through arbitration, and afterwards the sandbox holds
// messages, every one of them to a person whose email consent stands in the planted truth, and
// every open of a demo journey's email is of a message that was sent (its send key kept).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DemoSummary, type PersonTruth, runDemo } from '../../src/simulate/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];
const DAY = 86_400_000;
const DEMO_JOURNEYS = new Set(['demo-winback', 'demo-survey', 'demo-promo']);

/** Whether the planted consent to marketing email stands at the end of the window. */
const consents = (truth: PersonTruth) =>
  truth.emailConsent?.granted === true && !truth.emailConsent.withdrawnAt;

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`the demo's messages on ${engine.name}`, () => {
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    let summary: DemoSummary;
    let truths: PersonTruth[];
    const dir = mkdtempSync(join(tmpdir(), 'rapport-demo-messages-'));

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      server = await startTestServer(databaseUrl ? { databaseUrl } : {}, { conductorPollMs: 50 });
      const truthFile = join(dir, 'truth.jsonl');
      summary = await runDemo({
        kind: 'store',
        seed: 11,
        people: 150,
        days: 120,
        start: new Date(Math.floor(Date.now() / DAY) * DAY - 120 * DAY),
        url: server.url,
        writeKey: server.writeKey,
        adminToken: server.adminToken,
        experiments: true,
        truthFile,
      });
      truths = readFileSync(truthFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as PersonTruth);
      await server.settle();
    }, 900_000);

    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('keeps the demo journeys’ emails for consenting people only, and opens only what was sent', async () => {
      expect(summary.emailChannel).toBe('sandbox switched on');
      const channels = (await server.admin('/api/channels')).body.items;
      expect(channels.find((c: { name: string }) => c.name === 'email')?.transport).toBe('sandbox');

      const byProfile = new Map<string, PersonTruth>();
      for (const truth of truths.filter((t) => t.userId !== null)) {
        const found = await server.admin(`/api/profiles/lookup?userId=${truth.userId}`);
        if (found.status === 200) byProfile.set(found.body.profileId, truth);
      }
      type Kept = { id: string; profileId: string; journeyId: string };
      const kept = (await server.admin('/api/sandbox/emails?limit=200')).body.items as Kept[];
      const delivered = Object.values(summary.journeyExperiments ?? {})
        .flatMap((arms) => Object.values(arms))
        .reduce((sum, arm) => sum + arm.delivered, 0);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBe(delivered);
      for (const email of kept) {
        expect(DEMO_JOURNEYS.has(email.journeyId)).toBe(true);
        const truth = byProfile.get(email.profileId);
        expect(truth, email.profileId).toBeDefined();
        expect(consents(truth as PersonTruth), truth?.userId ?? '').toBe(true);
      }
      // Someone entered without consent and was dropped for it, not sent to.
      const decisions = (await server.admin('/api/decisions?limit=500')).body.items as {
        profileId: string;
        action: string;
        code: string;
      }[];
      const dropped = decisions.filter((d) => d.action === 'drop' && d.code.startsWith('consent'));
      expect(dropped.length).toBeGreaterThan(0);
      for (const d of dropped) expect(consents(byProfile.get(d.profileId) as PersonTruth)).toBe(false);

      const sentKeys = new Set(kept.map((k) => k.id));
      let opens = 0;
      for (const profileId of byProfile.keys()) {
        const events = await server.admin(
          `/api/profiles/${profileId}/events?name=${encodeURIComponent('Email Opened')}&limit=200`,
        );
        for (const item of events.body.items as { properties: Record<string, string> }[]) {
          if (!DEMO_JOURNEYS.has(item.properties.journey_id as string)) continue;
          opens++;
          expect(sentKeys.has(item.properties.send_key as string), profileId).toBe(true);
        }
      }
      expect(opens).toBe(summary.journeyExperiments?.['demo-promo-holdout']?.email?.delivered);
      expect(opens).toBeGreaterThan(0);
    }, 300_000);
  });
