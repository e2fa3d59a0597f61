// Crash test: a real server under load is killed with SIGKILL at random moments and started
// again on the same data. Every acknowledged message must end up exactly once in the log,
// in the profiles and in the event store; nothing unacknowledged may be duplicated either.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbEventStore, SqliteStateStore, sqlitePathsIn } from '../../src/store/index.ts';
import {
  type ChildServer,
  sendBatchesUntil,
  startChildServer,
  testSecrets,
} from '../support/child-server.ts';

const CYCLES = 4;
const SENDERS = 6;
const USERS = 40;

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-kill-'));
const secrets = testSecrets();
const env = {
  RAPPORT_DATA_DIR: dataDir,
  RAPPORT_WRITE_KEY: secrets.writeKey,
  RAPPORT_ADMIN_TOKEN: secrets.adminToken,
};

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function batchOf(cycle: number, sender: number, n: number) {
  return Array.from({ length: 25 }, (_, i) => {
    const k = n * 25 + i;
    const messageId = `kill-${cycle}-${sender}-${k}`;
    return k % 7 === 0
      ? { type: 'identify', messageId, userId: `user-${k % USERS}`, traits: { seen: messageId } }
      : { type: 'track', messageId, userId: `user-${k % USERS}`, event: 'Tick', properties: { k } };
  });
}

async function waitForProcessors(server: ChildServer): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const response = await fetch(`${server.url}/api/status`, {
      headers: { authorization: `Bearer ${secrets.adminToken}` },
    });
    const status = (await response.json()) as {
      processors: { profiles: { lag: number }; warehouse: { lag: number } };
    };
    if (status.processors.profiles.lag === 0 && status.processors.warehouse.lag === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('processors did not catch up');
}

describe('SIGKILL under load (embedded storage)', () => {
  it('loses no acknowledged message and duplicates none', async () => {
    const acked = new Set<string>();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const server = await startChildServer(env);
      const stop = { now: false };
      const senders = Array.from({ length: SENDERS }, (_, s) =>
        sendBatchesUntil(server.url, secrets.writeKey, stop, (n) => batchOf(cycle, s, n)),
      );
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
      await server.kill('SIGKILL');
      stop.now = true;
      for (const ids of await Promise.all(senders)) for (const id of ids) acked.add(id);
    }
    expect(acked.size).toBeGreaterThan(0);

    const final = await startChildServer(env);
    await waitForProcessors(final);
    await final.kill('SIGTERM');

    const state = new SqliteStateStore(sqlitePathsIn(dataDir));
    const events = await DuckDbEventStore.open(join(dataDir, 'events.duckdb'));
    try {
      const logged = await state.log.read(0, 10_000_000);
      const loggedIds = logged.map((r) => r.messageId);
      expect(new Set(loggedIds).size).toBe(loggedIds.length);
      const loggedSet = new Set(loggedIds);
      const missing = [...acked].filter((id) => !loggedSet.has(id));
      expect(missing).toEqual([]);

      const counts = await events.countByMessageId(loggedIds);
      const notOnce = loggedIds.filter((id) => counts.get(id) !== 1);
      expect(notOnce).toEqual([]);
      expect(await events.countEvents()).toBe(loggedIds.length);

      const identities = await state.findIdentities(
        Array.from({ length: USERS }, (_, u) => ({ kind: 'user_id', value: `user-${u}` })),
      );
      let profileEvents = 0;
      for (const identity of identities)
        profileEvents += (await state.getProfile(identity.profileId))?.eventCount ?? 0;
      expect(profileEvents).toBe(loggedIds.length);
    } finally {
      await events.close();
      await state.close();
    }
  }, 240_000);
});
