// The loyalty API on a real server: a programme (loops refused), earning from tracked events
// once however often a run repeats, balances and tiers as traits, a Loyalty Tier Changed event,
// redemptions over the balance refused with the ledger untouched, adjustments with a reason,
// the leaderboard, and erasure reaching the ledger.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

let t: TestServer;
let ids = new Map<string, string>();
const now = new Date();
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();

const order = (userId: string, id: string, revenue: number, days: number) => ({
  type: 'track',
  messageId: `order-${id}`,
  userId,
  event: 'Order Completed',
  timestamp: daysAgo(days),
  properties: { order_id: id, revenue, products: [{ product_id: 'mug' }] },
});

async function send(batch: unknown[]) {
  expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
  await t.settle();
}

async function profileId(userId: string): Promise<string> {
  if (!ids.has(userId)) {
    const found = await t.admin(`/api/profiles?q=${userId}&limit=1`);
    ids.set(userId, found.body.items[0].profileId);
  }
  return ids.get(userId)!;
}

const PROGRAMME = {
  earnRules: [
    { id: 'orders', event: 'Order Completed', pointsPerUnit: 1 },
    { id: 'reviews', event: 'Product Reviewed', points: 50 },
  ],
  campaigns: [],
  tiers: [
    { id: 'silver', name: 'Silver', minPoints: 100 },
    { id: 'gold', name: 'Gold', minPoints: 300, benefits: ['free shipping'] },
  ],
  tierWindowDays: 365,
  expiryDays: 0,
  allowNegative: false,
};

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`loyalty API on ${engine.name}`, () => {
    let dropDatabase: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      // Runs happen when the test asks (POST /api/loyalty/run), so each run's summary is its own.
      process.env.RAPPORT_LOYALTY_RUN_SECONDS = '0';
      ids = new Map();
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      t = await startTestServer({ processors: true, ...(databaseUrl ? { databaseUrl } : {}) });
      await send([
        { type: 'identify', userId: 'ann', traits: { email: 'ann@example.com' } },
        { type: 'identify', userId: 'bob', traits: { email: 'bob@example.com' } },
        order('ann', 'a1', 80.5, 10),
        order('ann', 'a2', 40, 5),
        order('bob', 'b1', 20, 3),
        {
          type: 'track',
          messageId: 'review-1',
          userId: 'bob',
          event: 'Product Reviewed',
          properties: { rating: 5 },
        },
      ]);
    }, 120_000);

    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    it('refuses a programme whose earn rule would loop, naming it', async () => {
      const bad = await t.adminRequest('PUT', '/api/loyalty/programme', {
        ...PROGRAMME,
        earnRules: [{ id: 'loop', event: 'Points Earned', points: 1 }],
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('RAPPORT_LOYALTY_INVALID');
      expect(bad.body.issues).toEqual([
        'earnRules[0] (loop): earning on "Points Earned" would loop (points earned on a points event)',
      ]);
      expect((await t.adminRequest('PUT', '/api/loyalty/programme', PROGRAMME)).status).toBe(200);
    });

    it('earns from events once, however many runs, and shows balance and tier as traits', async () => {
      const first = await t.adminRequest('POST', '/api/loyalty/run');
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        earned: 4,
        pointsEarned: 80 + 40 + 20 + 50,
        tierChanges: 1,
      });
      const again = await t.adminRequest('POST', '/api/loyalty/run');
      expect(again.body).toMatchObject({ earned: 0, pointsEarned: 0 });
      // The same order sent again (same messageId) is deduplicated; a new one earns.
      await send([order('ann', 'a1', 80.5, 10), order('ann', 'a3', 200, 1)]);
      expect((await t.adminRequest('POST', '/api/loyalty/run')).body).toMatchObject({
        earned: 1,
        pointsEarned: 200,
      });
      await t.settle();
      const ann = await t.admin(`/api/loyalty/people/${await profileId('ann')}`);
      expect(ann.body).toMatchObject({ balance: 320, qualifyingPoints: 320, tier: { id: 'gold' } });
      expect(ann.body.entries.map((entry: { points: number }) => entry.points).sort()).toEqual([200, 40, 80]);
      const profile = await t.admin(`/api/profiles/${await profileId('ann')}`);
      expect(profile.body.traits).toMatchObject({ points_balance: 320, loyalty_tier: 'gold' });
      const bob = await t.admin(`/api/profiles/${await profileId('bob')}`);
      expect(bob.body.traits).toMatchObject({ points_balance: 70, loyalty_tier: null });
      const changes = await t.server.pipeline.query(
        `SELECT (properties->>'from') AS "from", (properties->>'to') AS "to", (properties->>'direction') AS direction
       FROM events WHERE name = 'Loyalty Tier Changed' ORDER BY seq`,
      );
      expect(changes).toEqual([
        { from: null, to: 'silver', direction: 'upgrade' },
        { from: 'silver', to: 'gold', direction: 'upgrade' },
      ]);
    });

    it('refuses a redemption over the balance with the ledger untouched; a retried one redeems once', async () => {
      const id = await profileId('bob');
      const over = await t.adminRequest('POST', `/api/loyalty/people/${id}/redeem`, {
        points: 71,
        requestId: 'r1',
      });
      expect(over.status).toBe(409);
      expect(over.body).toMatchObject({ error: 'RAPPORT_LOYALTY_INSUFFICIENT_POINTS', balance: 70 });
      expect((await t.admin(`/api/loyalty/people/${id}`)).body.entries).toHaveLength(2);
      const ok = await t.adminRequest('POST', `/api/loyalty/people/${id}/redeem`, {
        points: 50,
        requestId: 'r2',
      });
      expect(ok.body).toEqual({ ok: true, inserted: true, balance: 20 });
      const retry = await t.adminRequest('POST', `/api/loyalty/people/${id}/redeem`, {
        points: 50,
        requestId: 'r2',
      });
      expect(retry.body).toEqual({ ok: true, inserted: false, balance: 20 });
      const noReason = await t.adminRequest('POST', `/api/loyalty/people/${id}/adjust`, {
        points: 5,
        requestId: 'x',
      });
      expect(noReason.status).toBe(400);
      const adjusted = await t.adminRequest('POST', `/api/loyalty/people/${id}/adjust`, {
        points: -30,
        reason: 'goodwill reversed',
        requestId: 'adj-1',
      });
      expect(adjusted.status).toBe(409);
      const up = await t.adminRequest('POST', `/api/loyalty/people/${id}/adjust`, {
        points: 15,
        reason: 'parcel arrived late',
        requestId: 'adj-2',
      });
      expect(up.body.balance).toBe(35);
      const entries = (await t.admin(`/api/loyalty/people/${id}`)).body.entries;
      expect(entries[0]).toMatchObject({ kind: 'adjust', points: 15, reason: 'parcel arrived late' });
      expect(entries.reduce((sum: number, entry: { points: number }) => sum + entry.points, 0)).toBe(35);
      const unknown = await t.adminRequest('POST', '/api/loyalty/people/nobody/redeem', {
        points: 1,
        requestId: 'z',
      });
      expect(unknown.status).toBe(404);
    });

    it('ranks the leaderboard by balance', async () => {
      const board = await t.admin('/api/loyalty/leaderboard?limit=5');
      expect(board.body).toEqual([
        { profileId: await profileId('ann'), balance: 320, earned: 320 },
        { profileId: await profileId('bob'), balance: 35, earned: 85 },
      ]);
    });

    it('credits both sides once on the referee’s first purchase; forged, own, existing-customer and over-cap referrals earn nothing', async () => {
      expect(
        (
          await t.adminRequest('PUT', '/api/loyalty/programme', {
            ...PROGRAMME,
            referralPoints: 100,
            refereePoints: 30,
            referralCap: 1,
          })
        ).status,
      ).toBe(200);
      const annId = await profileId('ann');
      const { code } = (await t.admin(`/api/loyalty/people/${annId}/referral`)).body;
      const forged = `${Buffer.from(annId).toString('base64url')}.AAAAAAAAAAAAAAAA`;
      await send([
        { type: 'track', userId: 'cat', event: 'Signed Up', properties: { referral_code: code } },
        { type: 'track', userId: 'dan', event: 'Signed Up', properties: { referral_code: forged } },
        { type: 'track', userId: 'ann', event: 'Page Shared', properties: { referral_code: code } },
        // bob bought before the code reached him: an existing customer, not a referral.
        { type: 'track', userId: 'bob', event: 'Signed Up', properties: { referral_code: code } },
        { type: 'track', userId: 'eve', event: 'Signed Up', properties: { referral_code: code } },
      ]);
      const before = (await t.admin(`/api/loyalty/people/${annId}`)).body.balance;
      await t.adminRequest('POST', '/api/loyalty/run');
      const pending = (await t.admin(`/api/loyalty/people/${annId}/referral`)).body.referred;
      expect(pending.map((r: { refereeId: string }) => r.refereeId).sort()).toEqual(
        [await profileId('cat'), await profileId('eve')].sort(),
      );
      await send([order('cat', 'c1', 10, 0), order('dan', 'd1', 10, 0)]);
      await send([order('eve', 'e1', 10, 0), order('cat', 'c2', 10, 0)]);
      await t.adminRequest('POST', '/api/loyalty/run');
      await t.adminRequest('POST', '/api/loyalty/run');
      const ann = (await t.admin(`/api/loyalty/people/${annId}`)).body;
      expect(ann.balance).toBe(before + 100);
      expect(ann.entries[0]).toMatchObject({ kind: 'earn', ruleId: 'referral', points: 100 });
      const cat = (await t.admin(`/api/loyalty/people/${await profileId('cat')}`)).body;
      expect(cat.balance).toBe(10 + 10 + 30);
      expect(cat.entries.filter((e: { ruleId: string }) => e.ruleId === 'referral')).toHaveLength(1);
      const eve = (await t.admin(`/api/loyalty/people/${await profileId('eve')}`)).body;
      expect(eve.balance).toBe(10);
      const dan = (await t.admin(`/api/loyalty/people/${await profileId('dan')}`)).body;
      expect(dan.balance).toBe(10);
      const referral = (await t.admin(`/api/loyalty/people/${annId}/referral`)).body;
      const outcomes = Object.fromEntries(
        referral.referred.map((r: { refereeId: string; outcome: string }) => [r.refereeId, r.outcome]),
      );
      expect(outcomes).toEqual({ [await profileId('cat')]: 'rewarded', [await profileId('eve')]: 'capped' });
      expect((await t.admin('/api/loyalty/overview')).body.referrals).toEqual({ rewarded: 1, capped: 1 });
    });

    it('a referral link records the opening and redirects to the landing page with the code; a forged one is refused', async () => {
      const annId = await profileId('ann');
      const { code } = (await t.admin(`/api/loyalty/people/${annId}/referral`)).body;
      const noLanding = await fetch(`${t.url}/r/${code}`, { redirect: 'manual' });
      expect(noLanding.status).toBe(404);
      const programme = (await t.admin('/api/loyalty/programme')).body;
      await t.adminRequest('PUT', '/api/loyalty/programme', {
        ...programme,
        referralLandingUrl: 'https://shop.example/welcome?utm_source=referral',
      });
      const opened = await fetch(`${t.url}/r/${code}`, { redirect: 'manual' });
      expect(opened.status).toBe(302);
      const location = new URL(opened.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe('https://shop.example/welcome');
      expect(location.searchParams.get('utm_source')).toBe('referral');
      expect(location.searchParams.get('ref')).toBe(code);
      const forged = await fetch(`${t.url}/r/${code.slice(0, -2)}xx`, { redirect: 'manual' });
      expect(forged.status).toBe(404);
      await t.settle();
      const openings = await t.server.pipeline.query(
        `SELECT profile_id FROM events WHERE name = 'Referral Link Opened'`,
      );
      expect(openings).toEqual([{ profile_id: annId }]);
    });

    it('awards badges exactly once when a challenge is met, and shows progress on the person and through /v1/decide', async () => {
      const programme = (await t.admin('/api/loyalty/programme')).body;
      const saved = await t.adminRequest('PUT', '/api/loyalty/programme', {
        ...programme,
        referralCap: 0,
        badges: [
          {
            id: 'regular',
            name: 'Regular',
            challenge: { kind: 'events', event: 'Order Completed', count: 3, withinDays: 30 },
            points: 25,
          },
          { id: 'advocate', name: 'Advocate', challenge: { kind: 'referrals', count: 1 } },
          {
            id: 'complete-profile',
            name: 'Complete profile',
            challenge: { kind: 'profile', traits: ['email', 'first_name'] },
            points: 10,
          },
        ],
      });
      expect(saved.status).toBe(200);
      const placements = await t.adminRequest('PUT', '/api/placements', {
        placements: [{ id: 'account', defaultOfferId: 'hello' }],
        offers: [
          {
            id: 'hello',
            placement: 'account',
            priority: 0,
            expectedValue: 0,
            requiresPersonalization: false,
          },
          {
            id: 'one-more-order',
            placement: 'account',
            priority: 50,
            expectedValue: 5,
            requiresPersonalization: true,
            rule: { kind: 'trait', trait: 'challenge_regular', test: { op: 'eq', value: 2 } },
            content: { headline: 'One more order this month and you are a Regular (+25 points)' },
          },
        ],
      });
      expect(placements.status).toBe(200);
      const annCode = (await t.admin(`/api/loyalty/people/${await profileId('ann')}/referral`)).body.code;
      await send([
        {
          type: 'identify',
          userId: 'fay',
          traits: { email: 'fay@example.com', consent: { personalization: 'granted' } },
        },
        // 60 days ago: outside the 30-day window of every later order.
        order('fay', 'f0', 5, 60),
        order('fay', 'f1', 5, 20),
        order('fay', 'f2', 5, 2),
        { type: 'track', userId: 'gus', event: 'Signed Up', properties: { referral_code: annCode } },
      ]);
      await t.adminRequest('POST', '/api/loyalty/run');
      // The progress traits reach the profile through the log (the run appends them).
      await t.settle();
      const fayId = await profileId('fay');
      const progress = (await t.admin(`/api/loyalty/people/${fayId}`)).body.badges;
      expect(progress).toEqual([
        expect.objectContaining({ id: 'regular', progress: 2, target: 3, awardedAt: null }),
        expect.objectContaining({ id: 'advocate', progress: 0, target: 1, awardedAt: null }),
        expect.objectContaining({ id: 'complete-profile', progress: 1, target: 2, awardedAt: null }),
      ]);
      expect((await t.admin(`/api/profiles/${fayId}`)).body.traits).toMatchObject({ challenge_regular: 2 });
      const decide = async () => {
        const response = await fetch(`${t.url}/v1/decide?placement=account&userId=fay`, {
          headers: { authorization: `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}` },
        });
        return ((await response.json()) as { offer: { id: string; content: unknown } }).offer;
      };
      expect(await decide()).toMatchObject({
        id: 'one-more-order',
        content: { headline: expect.stringContaining('One more order') },
      });

      await send([
        order('fay', 'f3', 5, 1),
        { type: 'identify', userId: 'fay', traits: { first_name: 'Fay' } },
        order('fay', 'f4', 5, 0),
        order('gus', 'g1', 5, 0),
      ]);
      await t.adminRequest('POST', '/api/loyalty/run');
      await t.adminRequest('POST', '/api/loyalty/run');
      const fay = (await t.admin(`/api/loyalty/people/${fayId}`)).body;
      expect(
        fay.badges.filter((b: { awardedAt: string | null }) => b.awardedAt).map((b: { id: string }) => b.id),
      ).toEqual(['regular', 'complete-profile']);
      const badgeEntries = fay.entries.filter((e: { ruleId: string }) => e.ruleId?.startsWith('badge:'));
      expect(
        badgeEntries.map((e: { ruleId: string; points: number }) => [e.ruleId, e.points]).sort(),
      ).toEqual([
        ['badge:complete-profile', 10],
        ['badge:regular', 25],
      ]);
      const annBadges = (await t.admin(`/api/loyalty/people/${await profileId('ann')}`)).body.badges;
      expect(annBadges.find((b: { id: string }) => b.id === 'advocate').awardedAt).toEqual(
        expect.any(String),
      );
      await t.settle();
      const announced = await t.server.pipeline.query(
        `SELECT profile_id, (properties->>'badge_id') AS badge FROM events WHERE name = 'Badge Awarded' ORDER BY badge`,
      );
      expect(announced).toEqual([
        { profile_id: await profileId('ann'), badge: 'advocate' },
        { profile_id: fayId, badge: 'complete-profile' },
        { profile_id: fayId, badge: 'regular' },
      ]);
      expect((await t.admin(`/api/profiles/${fayId}`)).body.traits).toMatchObject({
        loyalty_badges: 'complete-profile,regular',
        challenge_regular: 3,
      });
      expect((await t.admin('/api/loyalty/overview')).body.badges).toEqual({
        advocate: 1,
        'complete-profile': 1,
        regular: 1,
      });
      // (The placement's person cache sees the new traits within its 10 s freshness: docs/placements.md.)
    });

    it('sets a hostile order aside in quarantine, earns the ones after it, and replays it through the API', async () => {
      await send([order('hal', 'h1', 10, 0), order('hal', 'h-hostile', 1e300, 0), order('hal', 'h2', 12, 0)]);
      await t.adminRequest('POST', '/api/loyalty/run');
      const hal = (await t.admin(`/api/loyalty/people/${await profileId('hal')}`)).body;
      expect(hal.balance).toBe(22);
      const listed = (await t.admin('/api/quarantine?processor=loyalty')).body;
      expect(listed.items).toHaveLength(1);
      const row = listed.items[0];
      expect(row).toMatchObject({ processor: 'loyalty', messageId: 'order-h-hostile' });
      expect(row.error).toMatch(/points out of range/);
      // Nothing was fixed: the replay fails again, answers 409 and counts the attempt.
      const failed = await t.adminRequest('POST', `/api/quarantine/${row.id}/replay`);
      expect(failed.status).toBe(409);
      expect((await t.admin(`/api/quarantine/${row.id}`)).body.attempts).toBe(row.attempts + 1);
      // Orders earn nothing now: the replay applies the message (it earns nothing) and the row goes.
      const programme = (await t.admin('/api/loyalty/programme')).body;
      const withoutOrders = programme.earnRules.filter((rule: { id: string }) => rule.id !== 'orders');
      await t.adminRequest('PUT', '/api/loyalty/programme', { ...programme, earnRules: withoutOrders });
      const replayed = await t.adminRequest('POST', `/api/quarantine/${row.id}/replay`);
      expect(replayed.status).toBe(200);
      expect((await t.admin(`/api/quarantine/${row.id}`)).status).toBe(404);
      // The order happened: it earns nothing now, but it is hal's third, and the Regular badge's.
      const after = (await t.admin(`/api/loyalty/people/${await profileId('hal')}`)).body;
      expect(after.entries.filter((e: { ruleId: string }) => e.ruleId === 'orders')).toHaveLength(2);
      expect(after.entries[0]).toMatchObject({ ruleId: 'badge:regular', points: 25 });
      expect(after.balance).toBe(22 + 25);
      expect((await t.adminRequest('PUT', '/api/loyalty/programme', programme)).status).toBe(200);
    });

    it('the profile export includes the ledger and the referrals', async () => {
      const response = await fetch(`${t.url}/api/profiles/${await profileId('ann')}/export`, {
        headers: { authorization: `Bearer ${t.adminToken}` },
      });
      const document = (await response.json()) as {
        loyalty: { entries: { id: number }[]; referrals: unknown[]; badges: unknown[]; progress: unknown[] };
      };
      const ledger = (await t.admin(`/api/loyalty/people/${await profileId('ann')}`)).body;
      expect(document.loyalty.entries.map((entry: { id: number }) => entry.id).sort()).toEqual(
        ledger.entries.map((entry: { id: number }) => entry.id).sort(),
      );
      expect(document.loyalty.referrals).toHaveLength(3);
      expect(document.loyalty.badges).toEqual([expect.objectContaining({ badge_id: 'advocate' })]);
      expect(document.loyalty.progress).toEqual([expect.objectContaining({ badge_id: 'advocate' })]);
    });

    it('erasure removes the person’s ledger', async () => {
      const id = await profileId('bob');
      const job = await t.adminRequest('DELETE', `/api/profiles/${id}`);
      expect(job.status).toBe(202);
      for (let i = 0; i < 100; i++) {
        const status = await t.admin(`/api/erasure-jobs/${job.body.id}`);
        if (status.body.status === 'complete') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await t.admin(`/api/loyalty/people/${id}`)).body).toMatchObject({ balance: 0, entries: [] });
    });
  });
