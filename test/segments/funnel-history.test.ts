// Time in stage from the events' own times, against the simulated store's planted truth, with
// the lifecycle funnel and a segment with a time window saved
//  - after the history is loaded (as `rapport demo` does): the stage changes are derived from
//    each person's history, not "everyone entered when the funnel was built";
//  - before it (a backfill into a configured install): the window's expiries (first order + 90
//    days) are evaluated only once the events applied have reached them, so a person's later
//    orders are not "late" and stamped at the expiry (event-time.ts).
// The truth: the first time each stage was reached; a person's stay in a stage ends when a
// later stage is first reached.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type PersonTruth, type StoreStage, sendMessages, simulateWorld } from '../../src/simulate/index.ts';
import { openSegmentStore, type SegmentStore } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const STAGES: StoreStage[] = ['awareness', 'interest', 'motivation', 'action', 'relationship'];
const DAY = 86_400_000;
const start = new Date(Math.floor((Date.now() - 200 * DAY) / DAY) * DAY);
const world = simulateWorld({ kind: 'store', seed: 20261207, people: 400, start, days: 190 });
const truth: PersonTruth[] = [...world.truth()];

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The planted stays in a stage: from reaching it to first reaching any later one. */
function trueStays(stage: StoreStage): number[] {
  const index = STAGES.indexOf(stage);
  const stays: number[] = [];
  for (const person of truth) {
    const entered = person.stages[stage];
    if (!entered) continue;
    const later = STAGES.slice(index + 1)
      .map((s) => person.stages[s])
      .filter((at): at is string => at !== undefined)
      .map((at) => Date.parse(at));
    if (later.length === 0) continue;
    const stay = Math.min(...later) - Date.parse(entered);
    if (stay > 0) stays.push(stay);
  }
  return stays;
}

let server: TestServer;
let store: SegmentStore;

async function settle(): Promise<void> {
  for (let round = 0; round < 1200; round++) {
    const head = await server.server.state.log.headSeq();
    await server.server.pipeline.waitFor(head);
    await server.server.pipeline.waitForSegments(head);
    const { segments } = (await server.adminRequest('GET', '/api/segments')).body;
    const { funnels } = (await server.adminRequest('GET', '/api/funnels')).body;
    const built = [...segments, ...funnels].every((s: { status: string }) => s.status === 'live');
    // Windows expire by the clock only once the log has been quiet for a moment (event-time.ts).
    const expired = (await store.dueRechecks(Date.now(), 1)).length === 0;
    if (built && expired && (await server.server.state.log.headSeq()) === head) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the segments processor did not settle');
}

/** The funnel, with a segment whose window expires at times of its own. */
async function configure(): Promise<void> {
  expect((await server.adminRequest('PUT', '/api/funnels/lifecycle', { preset: 'ecommerce' })).status).toBe(
    200,
  );
  const segment = await server.adminRequest('POST', '/api/segments', {
    id: 'recent-buyers',
    text: 'performed "Order Completed" in last 90 days',
  });
  expect(segment.status).toBe(201);
  await settle();
}

const ORDERS = [
  { name: 'switched on after the history is in', configureFirst: false },
  { name: 'saved before the history is imported', configureFirst: true },
];

for (const engine of ENGINES)
  for (const order of ORDERS)
    describe.skipIf(!engine.enabled)(`a funnel ${order.name}, ${engine.name}`, () => {
      let dropDatabase: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        let databaseUrl: string | undefined;
        if (engine.postgres) {
          const database = await createTestDatabase(clusterUrl);
          dropDatabase = database.drop;
          databaseUrl = database.url;
        }
        server = await startTestServer(databaseUrl ? { databaseUrl } : {});
        store = await openSegmentStore({ databaseUrl, dataDir: server.dataDir });
        if (order.configureFirst) await configure();
        const sent = await sendMessages(world.messages(), {
          url: server.url,
          writeKey: server.writeKey,
          batchSize: 500,
        });
        expect(sent.rejected).toBe(0);
        await settle();
        if (!order.configureFirst) await configure();
      }, 900_000);
      afterAll(async () => {
        await server?.close();
        await dropDatabase?.();
      }, 120_000);

      it('shows the median time in each stage the planted truth gives, within 10%', async () => {
        const report = (await server.adminRequest('GET', '/api/funnel?funnel=lifecycle')).body;
        const byId = Object.fromEntries(report.stages.map((s: { id: string }) => [s.id, s]));
        for (const stage of ['awareness', 'interest', 'motivation', 'action'] as const) {
          const stays = trueStays(stage);
          expect(stays.length, stage).toBeGreaterThan(20);
          const found = byId[stage] as { medianTimeInStageMs: number | null; completedStays: number };
          expect(found.completedStays, stage).toBe(stays.length);
          const truthMs = median(stays);
          expect(Math.abs((found.medianTimeInStageMs ?? 0) - truthMs) / truthMs, stage).toBeLessThan(0.1);
        }
      }, 120_000);

      it("dates each profile's stage by the event that brought it there", async () => {
        const buyers = truth.filter((p) => p.userId !== null && p.stages.relationship).slice(0, 20);
        expect(buyers.length).toBeGreaterThan(5);
        for (const person of buyers) {
          const found = await server.adminRequest(
            'GET',
            `/api/profiles/lookup?userId=${encodeURIComponent(person.userId as string)}`,
          );
          const view = (await server.adminRequest('GET', `/api/profiles/${found.body.profileId}`)).body;
          expect(view.lifecycleStage.stage).toBe('relationship');
          expect(view.lifecycleStage.since).toBe(
            new Date(person.stages.relationship as string).toISOString(),
          );
        }
      }, 120_000);
    });
