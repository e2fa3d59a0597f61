// The People explorer in a real browser (Debian's chromium through playwright-core) against a
// real server holding twelve planted shoppers whose names, cities, seats and order counts are
// known. A marketer searches, filters by a rule built in the condition forms, picks and sorts a
// trait column, pages, downloads the CSV and makes a segment from the list; every figure is
// checked against the planted truth and the API's own answer. axe-core runs on the page, and
// the page is laid out on a 375 px wide phone with nothing overflowing the viewport.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  openFromNav,
  SHOTS,
  SHOWN,
  seriousViolations,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('people explorer browser test');

const FIRST = [
  'Ada',
  'Bram',
  'Cleo',
  'Dirk',
  'Esme',
  'Finn',
  'Greta',
  'Hugo',
  'Ines',
  'Joris',
  'Kaja',
  'Lars',
];
const SHOPPERS = FIRST.map((first, i) => ({
  userId: `shopper-${i}`,
  name: `${first} ${i % 2 === 0 ? 'Vermeer' : 'Hals'}`,
  email: `${first.toLowerCase()}@example.com`,
  city: i % 3 === 0 ? 'Utrecht' : 'Delft',
  seats: ((i * 5) % 12) + 1,
  orders: i % 4,
}));
const buyers = (min: number) => SHOPPERS.filter((s) => s.orders >= min);

describe.skipIf(reason !== null)('the people explorer in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  async function until(what: string, test: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (await test()) return;
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error(`waited too long for ${what}`);
  }
  const shownTotal = async () =>
    Number((await page.getByTestId('people-total').textContent())?.replace(/,/g, ''));
  const apiTotal = async (body: object) =>
    (await server.adminRequest('POST', '/api/people/search', body)).body.total;
  const resultNames = () => page.locator('#results tbody tr td:first-child').allTextContents();

  beforeAll(async () => {
    server = await startTestServer();
    const now = Date.now();
    const batch: object[] = [];
    for (const s of SHOPPERS) {
      batch.push({
        type: 'identify',
        userId: s.userId,
        traits: { name: s.name, email: s.email, city: s.city, seats: s.seats },
        timestamp: new Date(now - 10 * 86_400_000).toISOString(),
      });
      for (let k = 0; k < s.orders; k++)
        batch.push({
          type: 'track',
          userId: s.userId,
          event: 'Order Completed',
          properties: { revenue: 20 },
          timestamp: new Date(now - (k + 1) * 86_400_000).toISOString(),
        });
    }
    expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
    await server.settle();
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('counts everyone and finds people by part of a name or any trait value', async () => {
    await openFromNav(page, 'People');
    await page.getByTestId('people-total').filter({ hasText: /^12$/ }).waitFor();
    expect(await apiTotal({})).toBe(12);
    const search = page.getByLabel(/^Search by/);
    await search.fill('vermeer');
    await search.press('Enter');
    await page.getByRole('heading', { name: 'Results for “vermeer”' }).waitFor();
    const vermeers = SHOPPERS.filter((s) => s.name.endsWith('Vermeer'));
    await page
      .getByTestId('people-total')
      .filter({ hasText: new RegExp(`^${vermeers.length}$`) })
      .waitFor();
    expect((await resultNames()).sort()).toEqual(vermeers.map((s) => s.name).sort());
    await search.fill('utrecht');
    await search.press('Enter');
    const utrecht = SHOPPERS.filter((s) => s.city === 'Utrecht');
    await page
      .getByTestId('people-total')
      .filter({ hasText: new RegExp(`^${utrecht.length}$`) })
      .waitFor();
    expect(await shownTotal()).toBe(await apiTotal({ q: 'utrecht' }));
    await search.fill('');
    await search.press('Enter');
    await page.getByTestId('people-total').filter({ hasText: /^12$/ }).waitFor();
  }, 120_000);

  it('filters by a rule built in the forms, shows and sorts a trait column, and pages', async () => {
    await page.getByRole('button', { name: '+ Event' }).click();
    await page.getByLabel('Times').fill('2');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const two = buyers(2);
    await page
      .getByTestId('people-total')
      .filter({ hasText: new RegExp(`^${two.length}$`) })
      .waitFor();
    const rule = {
      kind: 'performed',
      event: 'Order Completed',
      where: [],
      count: { op: 'gte', value: 2 },
      window: { kind: 'ever' },
    };
    expect(await apiTotal({ rule })).toBe(two.length);

    await page.getByText(/^Columns/).click();
    await page.getByRole('checkbox', { name: 'seats' }).check();
    await page.getByRole('button', { name: 'seats' }).click();
    const ascending = [...two].sort((a, b) => a.seats - b.seats);
    await page.locator('th[aria-sort="ascending"]').getByText('seats').waitFor();
    await until(
      'the rows sorted by seats',
      async () => JSON.stringify(await resultNames()) === JSON.stringify(ascending.map((s) => s.name)),
    );
    await page.getByRole('button', { name: 'seats' }).click();
    await page.locator('th[aria-sort="descending"]').getByText('seats').waitFor();
    await until(
      'the rows sorted by seats, largest first',
      async () =>
        JSON.stringify(await resultNames()) === JSON.stringify([...ascending].reverse().map((s) => s.name)),
    );

    // Pages of 25 hold everyone here; the pager says so and Next is off.
    await expect.poll(() => page.getByRole('button', { name: 'Next →' }).isDisabled(), SHOWN).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'people-explorer.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  }, 120_000);

  it('downloads the list as CSV with the chosen trait columns, every matching person once, in the table’s order', async () => {
    // The table is sorted by seats, largest first (the test above).
    await page.locator('th[aria-sort="descending"]').getByText('seats').waitFor();
    const shown = await resultNames();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /^Download CSV/ }).click(),
    ]);
    const lines = readFileSync((await download.path()) as string, 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('profile_id,name,email,first_seen,last_seen,event_count,trait.email,trait.seats');
    const rows = lines.slice(1).map((line) => line.split(','));
    expect(rows.map((cells) => cells[1])).toEqual(shown);
    expect(shown).toEqual(
      buyers(2)
        .sort((a, b) => b.seats - a.seats)
        .map((s) => s.name),
    );
    expect(rows.map((cells) => cells[1]).sort()).toEqual(
      buyers(2)
        .map((s) => s.name)
        .sort(),
    );
    for (const cells of rows) {
      const planted = SHOPPERS.find((s) => s.name === cells[1])!;
      expect(Number(cells[7])).toBe(planted.seats);
    }
  }, 60_000);

  it('makes a segment from the list that holds the same people', async () => {
    const shown = await shownTotal();
    await page.getByLabel("New segment's name").fill('Explorer buyers');
    await page.getByRole('button', { name: /^Make a segment from this list/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Explorer buyers' }).waitFor();
    await until('the new segment live', async () => {
      const s = (await server.admin('/api/segments/explorer-buyers')).body;
      return s.status === 'live';
    });
    expect((await server.admin('/api/segments/explorer-buyers')).body.size).toBe(shown);
    // Filtering the explorer by the saved segment gives the same count again.
    expect(await apiTotal({ rule: { kind: 'in_segment', segment: 'explorer-buyers' } })).toBe(shown);
  }, 120_000);

  it("opens a person's 360 from the list: each trait's source and time, value explained, survey answers", async () => {
    const person = SHOPPERS[4]!;
    const profileId = (await server.admin(`/api/profiles/lookup?userId=${person.userId}`)).body.profileId;
    const survey = {
      id: 'quick-nps',
      title: 'How are we doing?',
      questions: [{ id: 'nps', kind: 'nps', text: 'How likely are you to recommend us?', required: true }],
    };
    expect((await server.adminRequest('POST', '/api/surveys', survey)).status).toBe(200);
    const link = await server.adminRequest('POST', '/api/survey-links', { surveyId: survey.id, profileId });
    const answered = await fetch(link.body.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'q_nps=9',
    });
    expect(answered.status).toBe(200);
    expect((await server.adminRequest('POST', '/api/value/refresh')).status).toBe(200);

    await openFromNav(page, 'People');
    await page.getByLabel(/^Search by/).fill(person.email);
    await page.getByLabel(/^Search by/).press('Enter');
    await page.locator('#results tbody tr').first().getByRole('link', { name: person.name }).click();
    await page.getByRole('heading', { level: 1, name: person.name }).waitFor();
    const view = (await server.admin(`/api/profiles/${profileId}`)).body;
    const city = page.getByTestId('trait-source-city');
    await expect.poll(() => city.textContent(), SHOWN).toContain('identify call from “test-source”');
    await expect.poll(() => city.textContent(), SHOWN).toContain(view.traitSources.city.messageId);
    const explained = view.computedProperties.value_explanation?.value;
    expect(typeof explained).toBe('string');
    await page.getByTestId('value-explanation').getByText(explained).waitFor();
    const answers = page.getByTestId('survey-answers');
    await answers.getByText('How are we doing?').waitFor();
    await expect.poll(() => answers.textContent(), SHOWN).toContain('nps9');
    await page.screenshot({ path: join(SHOTS, 'person-360.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  }, 120_000);

  it('lays the explorer out on a 375 px phone: navigation collapsed, the table scrolls in its card', async () => {
    const phone = await launchBrowser({ width: 375, height: 800 });
    try {
      await signIn(phone.page, server);
      // A reload keeps the sign-in (the tab's sessionStorage), and the token is in no URL.
      await phone.page.goto(`${server.url}/people`);
      await phone.page.getByTestId('people-total').waitFor();
      await phone.page.reload();
      await phone.page.getByTestId('people-total').waitFor();
      expect(phone.page.url()).not.toContain(server.adminToken);
      // The navigation is folded behind a button on a phone, and opens on demand.
      const nav = phone.page.getByRole('navigation', { name: 'Main' });
      await expect
        .poll(() => nav.getByRole('link', { name: 'Segments', exact: true }).isVisible(), SHOWN)
        .toBe(false);
      await phone.page.getByRole('button', { name: 'Menu' }).click();
      await nav.getByRole('link', { name: 'Segments', exact: true }).waitFor();
      await phone.page.getByRole('button', { name: 'Menu' }).click();
      const overflow = await phone.page.evaluate('document.documentElement.scrollWidth');
      expect(overflow).toBeLessThanOrEqual(375);
      const wrap = phone.page.locator('#results .table-wrap');
      const box = await wrap.boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(375);
      await phone.page.screenshot({ path: join(SHOTS, 'people-phone.png'), fullPage: true });
      expect(await seriousViolations(phone.page)).toEqual([]);
    } finally {
      await closeBrowser(phone.browser);
    }
  }, 120_000);
});
