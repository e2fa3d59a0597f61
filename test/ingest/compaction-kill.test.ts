// Crash test for log compaction: a real server under load, with retention 0 and a compaction
// every second, so entries are removed as soon as every processor has passed them, is killed
// with SIGKILL at random moments and started again. Every acknowledged message must still be
// in the event store exactly once and counted once in the profiles, compaction must actually
// have removed entries, and whatever the log still holds must be above the compaction mark.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbEventStore, SqliteIngestLog, SqliteStateStore, sqlitePathsIn } from '../../src/store/index.ts';
import {
  type ChildServer,
  sendBatchesUntil,
  startChildServer,
  testSecrets,
} from '../support/child-server.ts';

const CYCLES = 4;
const SENDERS = 4;
const USERS = 30;

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-compaction-kill-'));
const secrets = testSecrets();
const env = {
  RAPPORT_DATA_DIR: dataDir,
  RAPPORT_WRITE_KEY: secrets.writeKey,
  RAPPORT_ADMIN_TOKEN: secrets.adminToken,
  RAPPORT_LOG_RETENTION: '0',
  RAPPORT_LOG_COMPACTION_INTERVAL: '1s',
};
const admin = { authorization: `Bearer ${secrets.adminToken}` };

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function batchOf(cycle: number, sender: number, n: number) {
  return Array.from({ length: 25 }, (_, i) => {
    const k = n * 25 + i;
    const messageId = `ck-${cycle}-${sender}-${k}`;
    return k % 5 === 0
      ? { type: 'identify', messageId, userId: `user-${k % USERS}`, traits: { seen: messageId } }
      : { type: 'track', messageId, userId: `user-${k % USERS}`, event: 'Tick', properties: { k } };
  });
}

/** Until every reader of the log has committed everything in it. */
async function readersCaughtUp(server: ChildServer): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const log = (await fetch(`${server.url}/api/log`, { headers: admin }).then((r) => r.json())) as {
      readersAt: number;
      headSeq: number;
    };
    if (log.readersAt === log.headSeq) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the log readers did not catch up');
}

describe('SIGKILL while the log is compacted continuously (embedded storage)', () => {
  it('loses no acknowledged message and duplicates none', async () => {
    const acked = new Set<string>();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const server = await startChildServer(env);
      const stop = { now: false };
      const senders = Array.from({ length: SENDERS }, (_, s) =>
        sendBatchesUntil(server.url, secrets.writeKey, stop, (n) => batchOf(cycle, s, n)),
      );
      // Long enough for compaction runs (one a second) to fall inside the load.
      await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2000));
      await server.kill('SIGKILL');
      stop.now = true;
      for (const ids of await Promise.all(senders)) for (const id of ids) acked.add(id);
    }
    expect(acked.size).toBeGreaterThan(0);
    // Compaction removed entries while the servers were being killed, not only at the end.
    const killedLog = new SqliteIngestLog(sqlitePathsIn(dataDir).logPath);
    const whileKilled = await killedLog.stats();
    killedLog.close();
    expect(whileKilled.removedTotal).toBeGreaterThan(0);

    const final = await startChildServer(env);
    await readersCaughtUp(final);
    const report = (await fetch(`${final.url}/api/log/compact`, { method: 'POST', headers: admin }).then(
      (r) => r.json(),
    )) as { readersAt: number };
    await final.kill('SIGTERM');

    const state = new SqliteStateStore(sqlitePathsIn(dataDir));
    const events = await DuckDbEventStore.open(join(dataDir, 'events.duckdb'));
    try {
      const stats = await state.log.stats();
      expect(stats.compactedThrough).toBe(report.readersAt);
      expect(stats.entries).toBe(0);

      // Every acknowledged message is in the warehouse exactly once…
      const counts = await events.countByMessageId([...acked]);
      expect([...acked].filter((id) => counts.get(id) !== 1)).toEqual([]);
      // …and nothing in it is there twice.
      const twice = await events.query(
        'SELECT message_id, count(*) AS n FROM events GROUP BY message_id HAVING count(*) > 1',
      );
      expect(twice).toEqual([]);
      const stored = await events.countEvents();
      expect(stats.headSeq).toBeGreaterThanOrEqual(stored);

      // The profiles counted each stored message once.
      const identities = await state.findIdentities(
        Array.from({ length: USERS }, (_, u) => ({ kind: 'user_id', value: `user-${u}` })),
      );
      let profileEvents = 0;
      for (const identity of identities)
        profileEvents += (await state.getProfile(identity.profileId))?.eventCount ?? 0;
      expect(profileEvents).toBe(stored);
    } finally {
      await events.close();
      await state.close();
    }
  }, 240_000);
});
