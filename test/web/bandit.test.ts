// The bandit on the Experiments page in a real browser against a real server, on a planted
// placement (test/experiments/bandit-world.ts: three offers at 2%, 5.3% and 12% clicks over
// four days): the planted best is named in words with its chance, each offer's row and each
// day's traffic are the API's (and the planted counts), and the page passes axe. Also the
// compare form: two arms' counts typed in, answered as the compare API does.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANTED, PLANTED_DAYS, plantedEvents } from '../experiments/bandit-world.ts';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  openFromNav,
  seriousViolations,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('bandit browser test');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

const DEFINITIONS = {
  placements: [{ id: 'banner', defaultOfferId: 'blue' }],
  offers: Object.keys(PLANTED).map((id) => ({
    id,
    placement: 'banner',
    priority: 10,
    expectedValue: 1,
    requiresPersonalization: false,
  })),
};

describe.skipIf(reason !== null)('the bandit on the Experiments page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    expect((await server.adminRequest('PUT', '/api/placements', DEFINITIONS)).status).toBe(200);
    const events = plantedEvents('banner');
    for (let i = 0; i < events.length; i += 500)
      expect((await track(server, '/v1/batch', { batch: events.slice(i, i + 500) })).status).toBe(200);
    await server.settle();
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
    await openFromNav(page, 'Experiments', 'Experiments');
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('names the planted best offer in words, with each offer as the API computes it', async () => {
    const card = page.locator('#bandit');
    await card.getByLabel('Days').selectOption('7');
    const explained = card.locator('#bandit-explained');
    await explained.getByText('gold is most likely the best').waitFor();
    const bandit = (await server.admin('/api/bandits/banner?days=7')).body;
    expect(bandit.leader).toBe('gold');
    const gold = bandit.arms.find((a: { id: string }) => a.id === 'gold');
    const text = await explained.textContent();
    expect(text).toContain(`a ${pct(gold.chanceBest)} chance of having the highest click rate`);
    expect(text).toContain(
      `from ${PLANTED.gold[1] * PLANTED_DAYS} clicks on ${PLANTED.gold[0] * PLANTED_DAYS} impressions`,
    );
    for (const arm of bandit.arms as Array<{
      id: string;
      impressions: number;
      clicks: number;
      chanceBest: number;
    }>) {
      const cells = await card.locator(`#bandit-table tr[data-offer="${arm.id}"] td`).allTextContents();
      expect(cells).toEqual([
        arm.id,
        arm.impressions.toLocaleString('en'),
        String(arm.clicks),
        expect.any(String),
        pct(arm.chanceBest),
      ]);
    }
  }, 120_000);

  it('shows the traffic day by day, as planted and as the API answers', async () => {
    const history = (await server.admin('/api/bandits/banner/history?days=7')).body;
    const rows = page.locator('#bandit-history tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(PLANTED_DAYS);
    for (const day of history.days.filter(
      (d: { arms: Array<{ impressions: number }> }) => d.arms[0]!.impressions > 0,
    )) {
      const cell = await page
        .locator(`#bandit-history tr[data-day="${day.day}"] td[data-offer="gold"]`)
        .textContent();
      const gold = day.arms.find((a: { id: string }) => a.id === 'gold');
      expect(cell).toBe(`${PLANTED.gold[0]} (${pct(100 / 450)}) / ${pct(gold.chanceBest)}`);
    }
    await page.getByRole('img', { name: /^Share of each day's impressions per offer/ }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  }, 120_000);

  it('compares two arms from counts typed in, as the compare API answers', async () => {
    const form = page.getByRole('form', { name: 'Compare from counts' });
    await form.getByLabel('Control: people').fill('1000');
    await form.getByLabel('Control: conversions').fill('100');
    await form.getByLabel('Variant: people').fill('1000');
    await form.getByLabel('Variant: conversions').fill('130');
    await form.getByRole('button', { name: 'Compare' }).click();
    const text = await page.locator('#compare-answer').textContent();
    const api = (
      await server.adminRequest('POST', '/api/experiments/compare', {
        type: 'proportion',
        engine: 'frequentist',
        control: { n: 1000, sum: 100 },
        variant: { n: 1000, sum: 130 },
      })
    ).body;
    // 13% against 10%: +30% relative, the point estimate by arithmetic.
    expect(api.effect).toBeCloseTo(0.3, 10);
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
    expect(text).toContain('converts at 13.0% against 10.0%');
    expect(text).toContain(`+30.0% relative (95% interval ${signed(api.ci[0])} to ${signed(api.ci[1])})`);
    expect(text).toContain(`p = ${api.pValue.toFixed(3)}`);
    expect(text).toContain(api.ci[0] > 0 ? 'the variant is better' : 'do not tell the arms apart');
  }, 120_000);
});
