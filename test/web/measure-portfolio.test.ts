// The portfolio card of the Measure page in a real browser, on a server holding forty weeks of
// spend and revenue drawn from planted response curves: the plan shown is the API's.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateMarketingMix } from '../../src/simulate/marketing-mix.ts';
import { browserSkipReason, closeBrowser, launchBrowser, SHOWN, signIn } from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('Measure portfolio browser test');

// Forty weeks of planted spend and revenue for the portfolio, ending yesterday.
const WEEKS = 40;
const MIX_START = Date.now() - (WEEKS * 7 + 1) * 86_400_000;
const MIX = simulateMarketingMix({
  weeks: WEEKS,
  channels: [
    { name: 'search', decay: 0.2, beta: 900, kappa: 400, meanSpend: 500 },
    { name: 'social', decay: 0.5, beta: 600, kappa: 500, meanSpend: 300 },
  ],
  baseline: 2000,
  noise: 30,
  seed: 3,
});
const weekDay = (week: number) => new Date(MIX_START + week * 7 * 86_400_000 + 2 * 86_400_000);
const twoDecimals = new Intl.NumberFormat('en', { maximumFractionDigits: 2, minimumFractionDigits: 2 });

describe.skipIf(reason !== null)('the portfolio on the Measure page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    const orders = MIX.outcome.map((revenue, week) => ({
      type: 'track',
      userId: `mix-${week}`,
      event: 'Order Completed',
      properties: { revenue },
      timestamp: weekDay(week).toISOString(),
    }));
    expect((await track(server, '/v1/batch', { batch: orders })).status).toBe(200);
    const rows = Object.entries(MIX.spend).flatMap(([channel, series]) =>
      series.map((amount, week) => ({ day: weekDay(week).toISOString().slice(0, 10), channel, amount })),
    );
    expect(
      (await server.adminRequest('POST', '/api/attribution/spend', { currency: 'EUR', rows })).status,
    ).toBe(200);
    await server.settle();
    ({ browser, page } = await launchBrowser());
    await signIn(page, server, { path: '/measure', heading: 'Measure' });
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  const cells = async (table: string, channel: string) =>
    page.locator(`#${table} tr[data-channel="${channel}"] td`).allTextContents();

  it('fits the portfolio when asked and shows the plan the API gives, with its curves', async () => {
    // The range of the planted weeks (the default year would add empty weeks before them).
    const from = new Date(MIX_START).toISOString().slice(0, 10);
    const to = new Date(MIX_START + (WEEKS * 7 - 1) * 86_400_000).toISOString().slice(0, 10);
    await page.locator('#portfolio-from').fill(from);
    await page.locator('#portfolio-to').fill(to);
    await page.getByRole('button', { name: 'Fit curves and suggest a split' }).click();
    await page.locator('#portfolio-plan, #portfolio .error').first().waitFor({ timeout: 240_000 });
    await expect.poll(() => page.locator('#portfolio .error').count(), SHOWN).toBe(0);
    await page.locator('#portfolio-plan').waitFor({ timeout: 240_000 });
    const { status, body } = await server.admin(`/api/attribution/portfolio?from=${from}&to=${to}`);
    expect(status).toBe(200);
    for (const row of body.plan.channels as {
      channel: string;
      currentSpend: number;
      suggestedSpend: number;
      marginalRoi: number;
    }[]) {
      const shown = await cells('portfolio-plan', row.channel);
      expect(shown.slice(0, 3)).toEqual([
        twoDecimals.format(row.currentSpend),
        twoDecimals.format(row.suggestedSpend),
        row.marginalRoi.toFixed(2),
      ]);
    }
    await expect
      .poll(() => page.locator('#portfolio-summary').textContent(), SHOWN)
      .toContain(`expected gain ${twoDecimals.format(body.plan.expectedGain)} a week`);
    await page.getByRole('img', { name: /^Response curves/ }).waitFor();
  }, 300_000);
});
