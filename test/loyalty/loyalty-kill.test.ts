// Crash test of the loyalty processor (embedded storage), as the other processors' kill tests:
// a real server earns from orders while they arrive, among them hostile ones (revenue 1e300,
// whose points no ledger can hold), and is killed with SIGKILL at random moments and started
// again on the same data. Afterwards every order in the log has earned exactly once, the hostile
// ones are set aside in quarantine (once each) without stalling what came after them, and every
// person with three orders holds the badge once, with its points once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteIngestLog } from '../../src/store/index.ts';
import {
  type ChildServer,
  sendBatchesUntil,
  startChildServer,
  testSecrets,
} from '../support/child-server.ts';

const CYCLES = 3;
const USERS = 12;
const dataDir = mkdtempSync(join(tmpdir(), 'rapport-loyalty-kill-'));
const secrets = testSecrets();

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const PROGRAMME = {
  earnRules: [{ id: 'orders', event: 'Order Completed', pointsPerUnit: 1 }],
  campaigns: [],
  tiers: [],
  tierWindowDays: 365,
  expiryDays: 0,
  allowNegative: false,
  badges: [
    {
      id: 'regular',
      name: 'Regular',
      challenge: { kind: 'events', event: 'Order Completed', count: 3 },
      points: 7,
    },
  ],
};

async function admin(server: ChildServer, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${secrets.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answers
  return { status: response.status, body: (await response.json()) as any };
}

/** Every 100th order is hostile: an amount whose points are out of any ledger's range. */
function batchOf(cycle: number) {
  return (n: number) =>
    Array.from({ length: 10 }, (_, i) => {
      const k = n * 10 + i;
      const messageId = `lk-${cycle}-${k}`;
      return {
        type: 'track',
        messageId,
        userId: `u${k % USERS}`,
        event: 'Order Completed',
        properties: { revenue: k % 100 === 37 ? 1e300 : 10 + (k % 5) },
      };
    });
}

describe('SIGKILL while loyalty earns (embedded storage)', () => {
  it('earns every logged order exactly once, quarantines the hostile ones, awards each badge once', async () => {
    const env = {
      RAPPORT_DATA_DIR: dataDir,
      RAPPORT_WRITE_KEY: secrets.writeKey,
      RAPPORT_ADMIN_TOKEN: secrets.adminToken,
      RAPPORT_LOYALTY_RUN_SECONDS: '1',
    };
    const acked = new Set<string>();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const server = await startChildServer(env);
      if (cycle === 0)
        expect((await admin(server, 'PUT', '/api/loyalty/programme', PROGRAMME)).status).toBe(200);
      const stop = { now: false };
      const sending = sendBatchesUntil(server.url, secrets.writeKey, stop, batchOf(cycle), 400);
      await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2500));
      await server.kill('SIGKILL');
      stop.now = true;
      for (const id of await sending) acked.add(id);
    }
    expect(acked.size).toBeGreaterThan(0);

    const final = await startChildServer(env);
    let caughtUp = false;
    for (let i = 0; i < 1500 && !caughtUp; i++) {
      const { processors } = (await admin(final, 'GET', '/api/status')).body;
      caughtUp = processors.profiles?.lag === 0 && processors.loyalty?.lag === 0;
      if (!caughtUp) await new Promise((r) => setTimeout(r, 100));
    }
    expect(caughtUp).toBe(true);
    const quarantined = (await admin(final, 'GET', '/api/quarantine?processor=loyalty&limit=500')).body;
    await final.kill('SIGTERM');

    const log = new SqliteIngestLog(join(dataDir, 'log.sqlite'), { readonly: true });
    const orders = (await log.read(0, Number.MAX_SAFE_INTEGER))
      .filter((record) => record.messageId.startsWith('lk-'))
      .map((record) => {
        const message = JSON.parse(record.json) as { userId: string; properties: { revenue: number } };
        return { id: record.messageId, user: message.userId, revenue: message.properties.revenue };
      });
    log.close();
    const logged = new Set(orders.map((order) => order.id));
    expect([...acked].filter((id) => !logged.has(id))).toEqual([]);
    const hostile = orders.filter((order) => order.revenue > 1e6).map((order) => order.id);
    const good = orders.filter((order) => order.revenue <= 1e6);
    expect(hostile.length).toBeGreaterThan(0);

    const ledger = new Database(join(dataDir, 'loyalty.sqlite'), { readonly: true });
    const earned = ledger
      .prepare(
        "SELECT source_message_id AS id, count(*) AS n, sum(points) AS points FROM loyalty_ledger WHERE rule_id = 'orders' GROUP BY source_message_id",
      )
      .all() as { id: string; n: number; points: number }[];
    const byMessage = new Map(earned.map((row) => [row.id, row]));
    // Every good order earned exactly once, its revenue in points; nothing else earned.
    expect(good.filter((order) => byMessage.get(order.id)?.n !== 1).map((order) => order.id)).toEqual([]);
    expect(good.filter((order) => byMessage.get(order.id)?.points !== order.revenue)).toEqual([]);
    expect(earned.length).toBe(good.length);
    // The hostile orders: set aside, each once, the ledger untouched by them.
    expect(hostile.filter((id) => byMessage.has(id))).toEqual([]);
    const setAside = quarantined.items.map((item: { messageId: string }) => item.messageId).sort();
    expect(setAside).toEqual([...hostile].sort());
    expect(quarantined.items[0].error).toMatch(/points out of range/);
    // Everyone with three good orders logged holds the badge once (a set-aside order is no step).
    const ordersPerUser = new Map<string, number>();
    for (const order of good) ordersPerUser.set(order.user, (ordersPerUser.get(order.user) ?? 0) + 1);
    const badges = ledger
      .prepare("SELECT count(*) AS n FROM loyalty_badges WHERE badge_id = 'regular'")
      .get() as {
      n: number;
    };
    const badgePoints = ledger
      .prepare(
        "SELECT profile_id, count(*) AS n FROM loyalty_ledger WHERE rule_id = 'badge:regular' GROUP BY profile_id",
      )
      .all() as { n: number }[];
    ledger.close();
    const regulars = [...ordersPerUser.values()].filter((n) => n >= 3).length;
    expect(badges.n).toBe(regulars);
    expect(badgePoints.length).toBe(regulars);
    expect(badgePoints.every((row) => row.n === 1)).toBe(true);
    console.info(
      'loyalty kill test:',
      JSON.stringify({ acked: acked.size, logged: logged.size, hostile: hostile.length, regulars }),
    );
  }, 240_000);
});
