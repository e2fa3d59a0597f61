// Two `rapport serve --database` processes on one PostgreSQL, both taking traffic and both
// running processors, one of them SIGKILLed and restarted mid-load: every acknowledged
// message is stored once in the log, once in the event store, and counted once in profiles.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type ChildServer,
  sendBatchesUntil,
  startChildServer,
  testSecrets,
} from '../support/child-server.ts';
import { createTestDatabase } from '../support/postgres-database.ts';

const clusterUrl = inject('postgresUrl');
const skipReason = inject('postgresSkipReason');
const USERS = 30;

describe.skipIf(!clusterUrl)(`two servers on one PostgreSQL ${skipReason}`, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const secrets = testSecrets();
  const env = () => ({
    RAPPORT_DATABASE_URL: database.url,
    RAPPORT_WRITE_KEY: secrets.writeKey,
    RAPPORT_ADMIN_TOKEN: secrets.adminToken,
  });

  beforeAll(async () => {
    database = await createTestDatabase(clusterUrl);
  });
  afterAll(async () => {
    await database?.drop();
  });

  function send(server: ChildServer, tag: string, stop: { now: boolean }): Promise<string[]> {
    const batchOf = (n: number) =>
      Array.from({ length: 20 }, (_, i) => {
        const k = n * 20 + i;
        const messageId = `${tag}-${k}`;
        return k % 5 === 0
          ? { type: 'identify', messageId, userId: `u-${k % USERS}`, anonymousId: `a-${tag}-${k % USERS}` }
          : { type: 'track', messageId, anonymousId: `a-${tag}-${k % USERS}`, event: 'Tick' };
      });
    return sendBatchesUntil(server.url, secrets.writeKey, stop, batchOf, 400);
  }

  it('neither loses nor double-processes a message', async () => {
    const first = await startChildServer(env());
    const second = await startChildServer(env());
    const stop = { now: false };
    const sending = [send(first, 'one', stop), send(second, 'two', stop)];
    await new Promise((r) => setTimeout(r, 1500));
    await second.kill('SIGKILL');
    // The flag form, as an operator types it.
    const { RAPPORT_DATABASE_URL, ...withoutUrl } = env();
    const restarted = await startChildServer(withoutUrl, ['--database', RAPPORT_DATABASE_URL]);
    const more = send(restarted, 'three', stop);
    await new Promise((r) => setTimeout(r, 1500));
    stop.now = true;
    const acked = new Set((await Promise.all([...sending, more])).flat());
    expect(acked.size).toBeGreaterThan(100);

    for (let i = 0; i < 600; i++) {
      const response = await fetch(`${first.url}/api/status`, {
        headers: { authorization: `Bearer ${secrets.adminToken}` },
      });
      const status = (await response.json()) as {
        processors: { profiles: { lag: number }; warehouse: { lag: number } };
      };
      if (status.processors.profiles.lag === 0 && status.processors.warehouse.lag === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await first.kill('SIGTERM');
    await restarted.kill('SIGTERM');

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const log = await client.query<{ message_id: string }>(
        'SELECT json_array_elements_text(message_ids::json) AS message_id FROM rapport.log_batches',
      );
      const logged = new Set(log.rows.map((r) => r.message_id));
      expect(logged.size).toBe(log.rows.length);
      expect([...acked].filter((id) => !logged.has(id))).toEqual([]);

      const stored = await client.query<{ message_id: string; n: string }>(
        'SELECT message_id, count(*) AS n FROM rapport.events GROUP BY message_id',
      );
      expect(stored.rows.length).toBe(logged.size);
      expect(stored.rows.filter((r) => Number(r.n) !== 1)).toEqual([]);

      const profiles = await client.query<{ total: string }>(
        'SELECT sum(event_count) AS total FROM rapport.profiles WHERE merged_into IS NULL',
      );
      expect(Number(profiles.rows[0]?.total)).toBe(logged.size);
    } finally {
      await client.end();
    }
  }, 240_000);
});
