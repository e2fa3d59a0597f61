// Crash test of the conductor on PostgreSQL: two `rapport serve --database` processes share one
// database — journeys, timers and the outbox — while people enter a journey that sends twice to
// a real HTTP receiver. One is SIGKILLed at random moments and restarted. No message reaches the
// receiver twice, every trip finishes, no step runs twice (test/support/journey-kill.ts).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ChildServer, startChildServer, testSecrets } from '../support/child-server.ts';
import {
  checkOutcome,
  drain,
  enterPeople,
  outboxRows,
  Receiver,
  saveJourney,
} from '../support/journey-kill.ts';
import { createTestDatabase } from '../support/postgres-database.ts';

const clusterUrl = inject('postgresUrl');
const skipReason = inject('postgresSkipReason');
const CYCLES = 3;
const USERS_PER_CYCLE = 16;

describe.skipIf(!clusterUrl)(`SIGKILL while two servers on one PostgreSQL run journeys ${skipReason}`, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const secrets = testSecrets();
  const receiver = new Receiver();

  beforeAll(async () => {
    database = await createTestDatabase(clusterUrl);
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await database?.drop();
  });

  it('sends no message twice, finishes every trip, runs no step twice', async () => {
    const env = {
      RAPPORT_DATABASE_URL: database.url,
      RAPPORT_WRITE_KEY: secrets.writeKey,
      RAPPORT_ADMIN_TOKEN: secrets.adminToken,
      RAPPORT_SMS_WEBHOOK_URL: receiver.url,
      RAPPORT_OUTBOX_LEASE_MS: '3000',
    };
    const steady = await startChildServer(env);
    await saveJourney(steady, secrets.adminToken);
    const acked = new Set<string>();
    let victim: ChildServer | undefined;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      victim = await startChildServer(env);
      const stop = { now: false };
      const entering = [
        enterPeople(victim, secrets.writeKey, `v${cycle}`, stop, USERS_PER_CYCLE),
        enterPeople(steady, secrets.writeKey, `s${cycle}`, stop, USERS_PER_CYCLE),
      ];
      await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2500));
      await victim.kill('SIGKILL');
      stop.now = true;
      for (const users of await Promise.all(entering)) for (const user of users) acked.add(user);
    }
    expect(acked.size).toBeGreaterThan(0);
    // The survivor finishes the killed one's work (its timers, its expired outbox leases) while a restarted one joins.
    const restarted = await startChildServer(env);
    const stats = await drain(steady, secrets.adminToken, acked.size);
    const rows = await outboxRows(steady, secrets.adminToken);
    await Promise.all([restarted.kill('SIGTERM'), steady.kill('SIGTERM')]);

    const report = await checkOutcome(rows, stats, receiver, acked, {
      dataDir: '/nonexistent',
      databaseUrl: database.url,
    });
    console.info('journey kill test (postgres, two servers):', JSON.stringify(report));
    expect(report.sent).toBeGreaterThan(0);
  }, 240_000);
});
