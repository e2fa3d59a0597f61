// The assumption audit page in a real browser (Debian's chromium through playwright-core) against a
// real server holding people with planted truths: the Understand section groups Personas and the
// audit; the marketer writes beliefs with the pickers (a share, a follow-up within 30 days), reads
// the verdict the planted truth calls for, and sees a belief flip when more data arrives.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LYON, PLANTED_PEOPLE, plantBelievers, plantCohort } from '../audit/planted.ts';
import { browserSkipReason, closeBrowser, launchBrowser, SHOTS, SHOWN, signIn } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const reason = browserSkipReason('Assumption audit browser test');

describe.skipIf(reason !== null)('the assumption audit page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    await plantBelievers(server);
    await plantCohort(server, 0, 4, 3);
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  /** Picks from a select by its label inside a fieldset (the condition pickers repeat labels). */
  async function pick(legend: string, label: string, value: string) {
    const fieldset = page.locator('fieldset', { has: page.locator('legend', { hasText: legend }) });
    await fieldset.getByLabel(label, { exact: true }).selectOption(value);
  }
  async function fill(legend: string, label: string, value: string) {
    const fieldset = page.locator('fieldset', { has: page.locator('legend', { hasText: legend }) });
    await fieldset.getByLabel(label, { exact: true }).fill(value);
  }
  const card = (statement: string) =>
    page.locator('.card', { has: page.getByRole('heading', { name: statement, exact: true }) });

  it('groups Personas and the audit under Understand', async () => {
    const understand = page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('list', { name: 'Understand' });
    await expect
      .poll(() => understand.getByRole('link').allTextContents(), SHOWN)
      .toEqual(expect.arrayContaining(['Personas', 'Assumption audit']));
    await understand.getByRole('link', { name: 'Assumption audit' }).click();
    await page.getByText('No beliefs yet').waitFor();
  }, 60_000);

  it('a share written with the pickers: "most live in Lyon" is contradicted, as planted', async () => {
    await page.getByLabel('The belief, in your words').fill('Most of our customers live in Lyon');
    await pick('Who it is about', 'Kind', 'event');
    await pick('Who it is about', 'Event', 'Signed Up');
    await pick('What they have or did', 'Kind', 'trait');
    await pick('What they have or did', 'Trait', 'city');
    await fill('What they have or did', 'Value', 'Lyon');
    await page.getByLabel('Percent of them').fill('50');
    await page.getByRole('button', { name: 'Test this belief' }).click();
    const shown = card('Most of our customers live in Lyon');
    await shown.locator('.badge', { hasText: 'Contradicted' }).waitFor({ timeout: 60_000 });
    await shown.getByText(`${LYON} of ${PLANTED_PEOPLE}`, { exact: false }).waitFor();
    const api = (await server.admin('/api/beliefs')).body.beliefs[0];
    expect(api.result).toMatchObject({ verdict: 'contradicted', having: LYON, people: PLANTED_PEOPLE });
  }, 90_000);

  it('a follow-up within 30 days: a third of printer buyers add ink, so "at least 20%" is supported', async () => {
    await page
      .getByLabel('The belief, in your words')
      .fill('Printer buyers come back for ink within a month');
    await pick('Who it is about', 'Kind', 'event');
    await pick('Who it is about', 'Event', 'Product Added');
    await fill('Who it is about', 'Only when this property (optional)', 'product_id');
    await fill('Who it is about', 'is', 'printer');
    await pick('What they have or did', 'Kind', 'followed_by');
    await pick('What they have or did', 'First event', 'Product Added');
    await fill('What they have or did', 'Only when this property (optional)', 'product_id');
    await fill('What they have or did', 'is', 'printer');
    await pick('What they have or did', 'Then this event', 'Product Added');
    await fill('What they have or did', "Only when the second event's property (optional)", 'product_id');
    await fill('What they have or did', "The second event's property is", 'ink');
    await fill('What they have or did', 'Within (days)', '30');
    await page.getByLabel('Percent of them').fill('20');
    await page.getByRole('button', { name: 'Test this belief' }).click();
    const shown = card('Printer buyers come back for ink within a month');
    await shown.locator('.badge', { hasText: 'Supported' }).waitFor({ timeout: 60_000 });
    await shown.getByText('50 of 150', { exact: false }).waitFor();
  }, 90_000);

  it('a belief flips when more data arrives, and the change is listed', async () => {
    await page.getByLabel('The belief, in your words').fill('Most of the late cohort buys');
    await pick('Who it is about', 'Kind', 'trait');
    await pick('Who it is about', 'Trait', 'cohort');
    await fill('Who it is about', 'Value', 'late');
    await pick('What they have or did', 'Kind', 'event');
    await pick('What they have or did', 'Event', 'Order Completed');
    await page.getByLabel('Percent of them').fill('50');
    await page.getByRole('button', { name: 'Test this belief' }).click();
    const shown = card('Most of the late cohort buys');
    await shown.locator('.badge', { hasText: 'Not enough data' }).waitFor({ timeout: 60_000 });
    await shown.getByText('would settle it', { exact: false }).waitFor();
    await plantCohort(server, 4, 60, 60);
    await page.getByRole('button', { name: 'Test every belief again' }).click();
    await page.getByRole('status').getByText('1 belief changed verdict').waitFor({ timeout: 60_000 });
    await shown.locator('.badge', { hasText: 'Supported' }).waitFor();
    const row = page.locator('table tr', { hasText: 'Most of the late cohort buys' });
    await expect.poll(() => row.locator('td').nth(2).textContent(), SHOWN).toBe('Not enough data');
    await expect.poll(() => row.locator('td').nth(3).textContent(), SHOWN).toBe('Supported');
    await page.screenshot({ path: join(SHOTS, 'assumption-audit.png'), fullPage: true });
  }, 120_000);
  it('my own persona: the marketer describes themselves and sees how far they are from the customers', async () => {
    await page.getByLabel('Orders you placed').fill('40');
    await page.getByRole('button', { name: 'Compare me with the customers' }).click();
    await page.getByText('You are farther from the typical customer than', { exact: false }).waitFor();
    const row = page.locator('table tr', { has: page.getByRole('cell', { name: 'orders', exact: true }) });
    // Nobody planted ordered 40 times: every customer is below.
    await expect.poll(() => row.locator('td').nth(3).textContent(), SHOWN).toBe('100.0%');
  }, 60_000);
});
