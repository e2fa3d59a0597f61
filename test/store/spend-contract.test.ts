// The spend store on each engine: the same expectations for SQLite and PostgreSQL (its SQL is
// written once, src/store/sql/spend.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresSpendStore } from '../../src/store/postgres/spend.ts';
import type { SpendRow, SpendStore } from '../../src/store/spend-types.ts';
import { SqliteSpendStore } from '../../src/store/sqlite/spend.ts';
import { ENGINES, type OpenedStores } from './engines.ts';

const row = (day: string, channel: string, campaign: string, amount: number): SpendRow => ({
  day,
  channel,
  campaign,
  amount,
  currency: 'EUR',
});

for (const engine of ENGINES) {
  describe.skipIf(engine.skipReason !== '')(`spend store: ${engine.name}`, () => {
    let opened: OpenedStores;
    let store: SpendStore;
    let dir: string | undefined;

    beforeEach(async () => {
      opened = await engine.open();
      if (opened.postgres) {
        store = await PostgresSpendStore.open(opened.postgres.url, { schema: opened.postgres.schema });
      } else {
        dir = mkdtempSync(join(tmpdir(), 'rapport-spend-'));
        store = new SqliteSpendStore(join(dir, 'state.sqlite'));
      }
    });

    afterEach(async () => {
      await store.close();
      await opened.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('upserts by (day, channel, campaign): a file imported twice, or a key twice in one file, keeps the last amount', async () => {
      await store.upsertSpend([
        row('2026-03-01', 'search', 'brand', 10),
        row('2026-03-01', 'search', 'brand', 12),
      ]);
      await store.upsertSpend([
        row('2026-03-01', 'search', 'brand', 15),
        row('2026-03-02', 'search', '', 4.5),
      ]);
      expect(await store.dailySpend('2026-03-01', '2026-03-02')).toEqual([
        row('2026-03-01', 'search', 'brand', 15),
        row('2026-03-02', 'search', '', 4.5),
      ]);
      await store.upsertSpend([]);
      expect(await store.dailySpend('2026-03-01', '2026-03-02')).toHaveLength(2);
    });

    it('sums per channel and campaign over an inclusive range of days, as numbers', async () => {
      await store.upsertSpend([
        row('2026-02-28', 'social', 'spring', 100),
        row('2026-03-01', 'social', 'spring', 20.25),
        row('2026-03-02', 'social', 'spring', 30),
        row('2026-03-02', 'search', 'brand', 7),
        row('2026-03-03', 'social', 'spring', 1000),
      ]);
      expect(await store.spendBetween('2026-03-01', '2026-03-02')).toEqual([
        { channel: 'search', campaign: 'brand', amount: 7, currency: 'EUR', days: 1 },
        { channel: 'social', campaign: 'spring', amount: 50.25, currency: 'EUR', days: 2 },
      ]);
      expect(await store.dailySpend('2026-03-03', '2026-03-03')).toEqual([
        row('2026-03-03', 'social', 'spring', 1000),
      ]);
    });

    it('imports a file larger than one statement holds', async () => {
      const rows = Array.from({ length: 1500 }, (_, i) =>
        row(
          `2026-0${1 + Math.floor(i / 500)}-${String(1 + (i % 28)).padStart(2, '0')}`,
          'display',
          `c${i % 500}`,
          i,
        ),
      );
      await store.upsertSpend(rows);
      const daily = await store.dailySpend('2026-01-01', '2026-03-31');
      const lastPerKey = new Map(rows.map((r) => [`${r.day}|${r.campaign}`, r]));
      expect(daily).toHaveLength(lastPerKey.size);
      expect(daily.reduce((sum, r) => sum + r.amount, 0)).toBe(
        [...lastPerKey.values()].reduce((sum, r) => sum + r.amount, 0),
      );
    });

    it("knows the stored currency and each channel's send cost", async () => {
      expect(await store.storedCurrency()).toBeNull();
      await store.upsertSpend([row('2026-03-01', 'search', 'brand', 1)]);
      expect(await store.storedCurrency()).toBe('EUR');
      expect(await store.sendCosts()).toEqual({});
      await store.setSendCost('sms', 0.04);
      await store.setSendCost('email', 0.001);
      await store.setSendCost('sms', 0.05);
      expect(await store.sendCosts()).toEqual({ sms: 0.05, email: 0.001 });
    });
  });
}
