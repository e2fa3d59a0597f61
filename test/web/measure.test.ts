// The Measure page in a real browser (Debian's chromium through playwright-core) against a
// real server: a few people's touches and orders, spend imported through the page's file
// upload, a send cost set in its form; the ROI table and the model comparison are checked
// against the API they say they come from.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, closeBrowser, launchBrowser, SHOTS, SHOWN, signIn } from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('Measure browser test');

// Two days ago, so the page's default range (the last 30 days) holds the orders.
const T0 = Date.now() - 2 * 86_400_000;
const at = (hours: number) => new Date(T0 + hours * 3600_000).toISOString();
const day = (hours: number) => at(hours).slice(0, 10);
const BATCH = [
  {
    type: 'page',
    userId: 'u1',
    name: 'Home',
    context: { campaign: { medium: 'cpc', source: 'google' } },
    timestamp: at(-30),
  },
  { type: 'track', userId: 'u1', event: 'Email Sent', properties: { channel: 'email' }, timestamp: at(-26) },
  {
    type: 'track',
    userId: 'u1',
    event: 'Email Opened',
    properties: { channel: 'email' },
    timestamp: at(-24),
  },
  { type: 'track', userId: 'u1', event: 'Order Completed', properties: { revenue: 100 }, timestamp: at(0) },
  { type: 'page', userId: 'u2', properties: { referrer: 'https://www.google.com/' }, timestamp: at(-3) },
  { type: 'track', userId: 'u2', event: 'Order Completed', properties: { revenue: 60 }, timestamp: at(1) },
  { type: 'track', userId: 'u3', event: 'Ad Clicked', properties: { channel: 'display' }, timestamp: at(-2) },
];

describe.skipIf(reason !== null)('the Measure page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    expect((await track(server, '/v1/batch', { batch: BATCH })).status).toBe(200);
    await server.settle();
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  const cells = async (table: string, channel: string) =>
    page.locator(`#${table} tr[data-channel="${channel}"] td`).allTextContents();

  it('imports spend from a file and sets a send cost without writing JSON', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Measure', exact: true })
      .click();
    await page.getByRole('heading', { name: 'Measure', level: 1 }).waitFor();
    const csv = `day,channel,campaign,amount\n${day(0)},paid search,,40\n${day(0)},display,,-5\n${day(0)},tv,,90\n`;
    await page
      .getByLabel('Spend file (CSV)')
      .setInputFiles({ name: 'spend.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import spend' }).click();
    await page.locator('#spend-result').getByText('Imported 2 of 3 rows (EUR)').waitFor();
    await expect
      .poll(() => page.locator('#spend-result').textContent(), SHOWN)
      .toContain('line 3, amount: amount -5 is negative');
    await page.getByLabel('Channel', { exact: true }).fill('email');
    await page.getByLabel('Cost per message').fill('0.5');
    await page.getByRole('button', { name: 'Save cost' }).click();
    await page.locator('#send-costs').getByText('email: 0.5').waitFor();
  });

  it('the ROI table under the chosen model matches the API it names', async () => {
    await page.getByLabel('Model', { exact: true }).selectOption('first');
    // The row may still be the previous model's: the figures below are awaited, not read once.
    await page.locator('#roi-table tr[data-channel="paid search"]').waitFor();
    const api = await server.admin(
      `/api/attribution/roi?from=${day(-29 * 24 + 48)}&to=${new Date().toISOString().slice(0, 10)}&model=first&lookbackDays=30&order=1&withNulls=true&groupBy=channel&conversion=Order%20Completed`,
    );
    expect(api.status).toBe(200);
    const search = api.body.rows.find((row: { channel: string }) => row.channel === 'paid search');
    expect(search).toMatchObject({ conversions: 1, value: 100, spend: 40, roas: 2.5 });
    // Reach, engaged, sends, conversions, revenue, spend, send cost, cost, ROAS, ROI, incremental.
    await expect
      .poll(() => cells('roi-table', 'paid search'), SHOWN)
      .toEqual(['1', '1', '0', '1.00', '100.00', '40.00', '0.00', '40.00', '2.50', '1.50', 'no holdout']);
    await expect
      .poll(() => cells('roi-table', 'email'), SHOWN)
      .toEqual(
        expect.arrayContaining(['0.50']), // one send at 0.5
      );
    await expect.poll(() => page.locator('#unmatched-spend').textContent(), SHOWN).toContain('tv 90.00');
    await expect.poll(() => page.locator('#roi').textContent(), SHOWN).toContain('GET /api/attribution/roi?');
  });

  it('the model comparison shows every model, as the API credits them', async () => {
    const { body } = await server.admin(
      `/api/attribution?from=${day(-29 * 24 + 48)}&to=${new Date().toISOString().slice(0, 10)}`,
    );
    for (const channel of ['paid search', 'email', 'organic search', 'display']) {
      const expected = ['markov', 'shapley', 'first', 'last', 'linear', 'position', 'time-decay'].map(
        (model) => (body.models[model][channel]?.conversions ?? 0).toFixed(2),
      );
      await expect.poll(() => cells('model-comparison', channel), SHOWN).toEqual([...expected, 'no holdout']);
    }
    await expect.poll(() => page.locator('#touchpoints-sql').textContent(), SHOWN).toContain('FROM events e');
    await page.screenshot({ path: join(SHOTS, 'measure.png'), fullPage: true });
  });
});
