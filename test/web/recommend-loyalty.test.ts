// The Recommendations and Loyalty pages and the ledger on a person's 360, in Debian's chromium
// against a real server filled with a simulated shop: every figure the pages show is checked
// against the API, and a marketer's actions (refresh, settings, the example programme, earn
// now, an adjustment with its reason) go through the forms, never JSON. The Funnel page, switched
// on from its empty state, fills in once the funnel is built, without a reload.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/simulate/index.ts';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  openFromNav,
  SHOTS,
  SHOWN,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { api } from './world.ts';

const reason = browserSkipReason('recommendations and loyalty browser tests');

describe.skipIf(reason !== null)('recommendations and loyalty pages in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  const go = (label: string): Promise<void> => openFromNav(page, label, label);

  beforeAll(async () => {
    server = await startTestServer();
    const days = 240;
    const start = new Date(
      Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) -
        days * 86_400_000,
    );
    await runDemo({
      kind: 'store',
      seed: 3,
      people: 400,
      days,
      start,
      url: server.url,
      writeKey: server.writeKey,
      batchSize: 250,
    });
    await server.settle();
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('switches the lifecycle funnel on and shows its numbers once built, without a reload', async () => {
    await go('Funnel and paths');
    await page.getByRole('button', { name: 'Switch on the e-commerce lifecycle' }).click();
    // The page asks again until the funnel is live, then reads the whole report.
    const reached = page.locator('#funnel tbody tr').last().locator('td').nth(2);
    const building = page.getByRole('status').filter({ hasText: 'Building the funnel' });
    // On a quiet machine the build can finish before the page first asks, so the note may
    // never show: wait for the API to say live, then for the page to drop the note.
    const status = async () =>
      (await api(server, 'GET', '/api/funnels')).funnels.find((f: { id: string }) => f.id === 'lifecycle')
        ?.status;
    await expect.poll(status, { timeout: 60_000, interval: 250 }).toBe('live');
    await building.waitFor({ state: 'detached', timeout: 15_000 });
    const report = await api(server, 'GET', '/api/funnel?funnel=lifecycle');
    const last = report.stages.at(-1);
    expect(last.reached).toBeGreaterThan(0);
    // The page reads the report once more when the funnel turns live; that answer may still be
    // on its way when the note goes (waitForLoadState('networkidle') returns at once on a page
    // that was idle before), so the figures are awaited, not read once.
    await expect
      .poll(() => reached.textContent(), { timeout: 15_000 })
      .toBe(last.reached.toLocaleString('en'));
    const rows = page.locator('#funnel tbody tr');
    await expect
      .poll(() => rows.first().locator('td').nth(2).textContent(), { timeout: 15_000 })
      .toBe(report.stages[0].reached.toLocaleString('en'));
  });

  it('refreshes next best products and shows the last refresh as the API does', async () => {
    await go('Recommendations');
    await page.getByText('Not refreshed yet').waitFor();
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await page.getByTestId('refreshed-at').waitFor();
    const { last } = await api(server, 'GET', '/api/recommendations/status');
    const card = page.locator('#last-refresh');
    await expect.poll(() => card.textContent(), SHOWN).toContain(`${last.people.toLocaleString('en')}buyers`);
    await expect
      .poll(() => card.textContent(), SHOWN)
      .toContain(`${last.withRecommendations.toLocaleString('en')}with recommendations`);
    await expect.poll(() => page.locator('#top-rules tbody tr').count(), SHOWN).toBe(last.topRules.length);
    const first = page.locator('#top-rules tbody tr').first();
    await expect.poll(() => first.textContent(), SHOWN).toContain(last.topRules[0].lhs[0]);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(SHOTS, 'recommendations.png'), fullPage: true });
  });

  it('saves settings through the form, and refuses a bad one with the field named', async () => {
    await page.getByLabel('Products per person').fill('2');
    await page.getByLabel(/^Never recommend/).fill('mug, desk-lamp');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('#settings').getByRole('status').waitFor();
    const settings = await api(server, 'GET', '/api/recommendations/settings');
    expect(settings).toMatchObject({ limit: 2, exclude: ['mug', 'desk-lamp'] });
    await page.getByLabel(/^Holdout share/).fill('0.9');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect
      .poll(() => page.locator('#settings').getByRole('alert').textContent(), SHOWN)
      .toMatch(/holdoutShare/);
  });

  it('explores rules on the orders with the API’s count', async () => {
    await page.locator('#explore').getByLabel('Minimum support').fill('0.02');
    // The summary shows the previous answer until this one arrives: wait for this one.
    const answered = page.waitForResponse(
      (response) =>
        response.url().includes('/api/recommendations/rules?') && response.url().includes('minSupport=0.02'),
    );
    await page.locator('#explore').getByRole('button', { name: 'Find rules' }).click();
    await answered;
    const report = await api(
      server,
      'GET',
      '/api/recommendations/rules?minSupport=0.02&minConfidence=0.1&basket=order&limit=50',
    );
    await expect
      .poll(() => page.getByTestId('explore-summary').textContent(), SHOWN)
      .toContain(
        `${report.count.toLocaleString('en')} rules from ${report.baskets.toLocaleString('en')} baskets`,
      );
  });

  it('starts from the example programme, earns, ranks, and shows the ledger on the 360', async () => {
    await go('Loyalty');
    await page.getByRole('button', { name: 'Start from the example programme' }).click();
    await page.getByRole('button', { name: 'Save programme' }).click();
    await page.locator('#programme').getByRole('status').waitFor();
    expect((await api(server, 'GET', '/api/loyalty/programme')).earnRules).toHaveLength(4);
    await page.getByRole('button', { name: 'Earn now' }).click();
    await page.getByTestId('last-run-at').waitFor();
    const board = await api(server, 'GET', '/api/loyalty/leaderboard?limit=20');
    expect(board.length).toBeGreaterThan(0);
    const rows = page.locator('#leaderboard tbody tr');
    await rows.first().waitFor();
    await expect.poll(() => rows.count(), SHOWN).toBe(board.length);
    await expect
      .poll(() => rows.first().textContent(), SHOWN)
      .toContain(board[0].balance.toLocaleString('en'));
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(SHOTS, 'loyalty.png'), fullPage: true });

    await rows.first().getByRole('link').click();
    const balance = page.getByTestId('points-balance');
    await balance.waitFor();
    await expect
      .poll(() => balance.textContent(), SHOWN)
      .toContain(`Balance: ${board[0].balance.toLocaleString('en')} points`);
    await page.getByLabel('Adjust by (points, negative to take)').fill('10');
    await page.getByLabel('Reason').fill('parcel arrived late');
    await page.getByRole('button', { name: 'Adjust' }).click();
    await expect
      .poll(
        async () => (await api(server, 'GET', `/api/loyalty/people/${board[0].profileId}`)).balance,
        SHOWN,
      )
      .toBe(board[0].balance + 10);
    await page.getByText(`Balance: ${(board[0].balance + 10).toLocaleString('en')} points`).waitFor();
    await page.getByText('parcel arrived late').waitFor();
  });

  it('shows each badge’s progress and the referral link on the 360 as the API does', async () => {
    const profileId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    const person = await api(server, 'GET', `/api/loyalty/people/${encodeURIComponent(profileId)}`);
    expect(person.badges.length).toBe(3);
    for (const badge of person.badges) {
      const row = page.getByTestId(`badge-progress-${badge.id}`);
      await expect
        .poll(() => row.textContent(), SHOWN)
        .toContain(badge.awardedAt ? 'awarded' : `${badge.progress} of ${badge.target}`);
    }
    const { code } = await api(
      server,
      'GET',
      `/api/loyalty/people/${encodeURIComponent(profileId)}/referral`,
    );
    await expect.poll(() => page.getByTestId('referral-link').textContent(), SHOWN).toContain(`/r/${code}`);
  });

  it('adds, edits and deletes (after confirming) a bonus campaign, and edits a badge, through the form', async () => {
    await go('Loyalty');
    const overview = await api(server, 'GET', '/api/loyalty/overview');
    const programme = await api(server, 'GET', '/api/loyalty/programme');
    for (const badge of programme.badges) {
      await expect
        .poll(() => page.getByTestId(`badge-${badge.id}`).textContent(), SHOWN)
        .toBe(`${badge.name}: ${(overview.badges[badge.id] ?? 0).toLocaleString('en')} people`);
    }
    expect(Object.values(overview.badges).reduce((a: number, b) => a + (b as number), 0)).toBeGreaterThan(0);
    const save = async () => {
      await page.getByRole('button', { name: 'Save programme' }).click();
      await page.locator('#programme').getByRole('status').waitFor();
    };
    await page.getByRole('button', { name: 'Add a bonus campaign' }).click();
    await page.getByLabel('Campaign 1 multiplies').selectOption('orders');
    await page.getByLabel('Campaign 1 multiplier').fill('3');
    await page.getByLabel('Campaign 1 from (UTC)').fill('2026-12-01T00:00');
    await page.getByLabel('Campaign 1 until (UTC)').fill('2026-12-08T00:00');
    await save();
    expect((await api(server, 'GET', '/api/loyalty/programme')).campaigns).toEqual([
      {
        id: 'campaign-1',
        rules: ['orders'],
        multiplier: 3,
        from: '2026-12-01T00:00:00.000Z',
        until: '2026-12-08T00:00:00.000Z',
      },
    ]);

    await page.getByLabel('Campaign 1 id').fill('triple-week');
    await page.getByLabel('Campaign 1 until (UTC)').fill('2026-12-15T00:00');
    await save();
    expect((await api(server, 'GET', '/api/loyalty/programme')).campaigns).toMatchObject([
      { id: 'triple-week', until: '2026-12-15T00:00:00.000Z' },
    ]);

    const campaigns = page.getByRole('table', { name: 'Bonus campaigns' });
    await campaigns.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog', { name: 'Delete campaign triple-week?' }).waitFor();
    await page.getByRole('button', { name: 'Keep' }).click();
    await expect.poll(() => campaigns.locator('tbody tr').count(), SHOWN).toBe(1);
    await campaigns.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await expect.poll(() => campaigns.locator('tbody tr').count(), SHOWN).toBe(0);
    await save();
    expect((await api(server, 'GET', '/api/loyalty/programme')).campaigns).toEqual([]);

    await page.getByLabel('Badge 1 times').fill('2');
    await page.getByLabel('Badge 1 within days').fill('');
    await save();
    expect((await api(server, 'GET', '/api/loyalty/programme')).badges[0]).toMatchObject({
      id: 'regular',
      challenge: { kind: 'events', event: 'Order Completed', count: 2 },
    });
    expect(
      (await api(server, 'GET', '/api/loyalty/programme')).badges[0].challenge.withinDays,
    ).toBeUndefined();
  });
});
