// Editing a saved segment in a real browser (Debian's chromium through playwright-core) against a
// real server holding twelve planted shoppers whose order counts are known (shopper i placed i % 4
// orders). The marketer opens a segment, edits its rule and watches the preview's count and
// sample people (by name) change, saves it, asks why one person is in and another out, and
// deletes it after a confirmation. Every figure is checked against the planted counts and the API.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  SHOTS,
  SHOWN,
  seriousViolations,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('segment editing browser test');

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
  name: `${first} Vermeer`,
  email: `${first.toLowerCase()}@example.com`,
  orders: i % 4,
}));
const BEFORE = 'performed "Order Completed" at least 2 times';
const AFTER = 'performed "Order Completed" at least 3 times';

describe.skipIf(reason !== null)('editing a segment in headless chromium', () => {
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

  async function openSegment(): Promise<void> {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Segments', exact: true })
      .click();
    await page.locator('#list').getByRole('link', { name: 'Repeat buyers' }).click();
    await page.getByRole('heading', { level: 1, name: 'Repeat buyers' }).waitFor();
  }

  beforeAll(async () => {
    server = await startTestServer();
    const now = Date.now();
    const batch: object[] = [];
    for (const s of SHOPPERS) {
      const [first, last] = s.name.split(' ');
      batch.push({
        type: 'identify',
        userId: s.userId,
        traits: { first_name: first, last_name: last, email: s.email },
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
    const created = await server.adminRequest('POST', '/api/segments', {
      id: 'repeat-buyers',
      name: 'Repeat buyers',
      text: BEFORE,
    });
    expect(created.status).toBe(201);
    await until('the segment going live', async () => {
      const s = (await server.admin('/api/segments/repeat-buyers')).body;
      return s.status === 'live' && s.size === SHOPPERS.filter((p) => p.orders >= 2).length;
    });
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('edits the rule with a live preview of the count and the sample people by name, and saves it', async () => {
    await openSegment();
    await page.getByRole('button', { name: 'Edit segment' }).click();
    const ruleText = page.getByLabel(/^Rule as text/);
    await expect.poll(() => ruleText.inputValue(), SHOWN).toBe(BEFORE);
    // The saved rule opens in the condition form, not only as text.
    await expect
      .poll(() => page.locator('#builder').getByLabel('Kind').inputValue(), SHOWN)
      .toBe('performed');
    await expect
      .poll(() => page.locator('#builder').getByLabel('Event').inputValue(), SHOWN)
      .toBe('Order Completed');
    await expect.poll(() => page.locator('#builder').getByLabel('How often').inputValue(), SHOWN).toBe('gte');
    await expect.poll(() => page.locator('#builder').getByLabel('Times').inputValue(), SHOWN).toBe('2');
    expect(await seriousViolations(page)).toEqual([]);
    const size = page.getByTestId('preview-size');
    const twoOrMore = SHOPPERS.filter((s) => s.orders >= 2);
    await size.filter({ hasText: new RegExp(`^${twoOrMore.length}$`) }).waitFor();

    await ruleText.fill(AFTER);
    const threeOrMore = SHOPPERS.filter((s) => s.orders >= 3);
    const direct = (await server.adminRequest('POST', '/api/segments/preview?sample=0', { text: AFTER }))
      .body;
    expect(direct.size).toBe(threeOrMore.length);
    await size.filter({ hasText: new RegExp(`^${direct.size}$`) }).waitFor();
    // The sample shows people by name (PersonLink), each one who placed three orders.
    const sample = page.getByTestId('preview-sample').getByRole('link');
    await page.waitForFunction(`(() => {
      const links = [...document.querySelectorAll('[data-testid="preview-sample"] a')];
      return links.length === ${threeOrMore.length} && links.every((a) => !a.textContent.endsWith('…'));
    })()`);
    const names = (await sample.allTextContents()).sort();
    expect(names).toEqual(threeOrMore.map((s) => s.name).sort());

    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Edit segment' }).waitFor();
    await until('the edited segment rebuilt', async () => {
      const s = (await server.admin('/api/segments/repeat-buyers')).body;
      return s.version === 2 && s.status === 'live';
    });
    const saved = (await server.admin('/api/segments/repeat-buyers')).body;
    expect(saved.text).toBe(AFTER);
    expect(saved.size).toBe(threeOrMore.length);
    // Back through the list, as a marketer would, to read the rebuilt segment.
    await openSegment();
    await page.locator('#rule').getByText(AFTER).waitFor();
    await expect
      .poll(() => page.locator('#rule strong').first().textContent(), SHOWN)
      .toBe(String(saved.size));
    await page.screenshot({ path: join(SHOTS, 'segment-edit.png'), fullPage: true });
  }, 120_000);

  it('says why a person is in, and why another is out, as the API explains it', async () => {
    const inside = SHOPPERS.find((s) => s.orders === 3)!;
    const outside = SHOPPERS.find((s) => s.orders === 1)!;
    for (const [person, query, member] of [
      [inside, inside.email, true],
      [outside, outside.name, false],
    ] as const) {
      await page.getByLabel('Person (name, email or profile id)').fill(query);
      await page.getByRole('button', { name: 'Explain' }).click();
      const verdict = page.getByTestId('why-verdict');
      await verdict.filter({ hasText: person.name }).waitFor();
      await expect
        .poll(() => verdict.textContent(), SHOWN)
        .toContain(member ? 'is in this segment' : 'is not in this segment');
      const profileId = (await server.admin(`/api/profiles/lookup?email=${encodeURIComponent(person.email)}`))
        .body.profileId as string;
      const why = (await server.admin(`/api/segments/repeat-buyers/members/${profileId}/why`)).body;
      expect(why.member).toBe(member);
      expect(why.explanation.observed.count).toBe(person.orders);
      const condition = page.getByTestId('why-condition');
      await expect
        .poll(() => condition.getAttribute('data-holds'), SHOWN)
        .toBe(why.explanation.holds ? 'yes' : 'no');
      await expect.poll(() => condition.textContent(), SHOWN).toContain(why.explanation.rule);
      await expect.poll(() => condition.textContent(), SHOWN).toContain(`count: ${person.orders}`);
    }
  }, 60_000);

  it('deletes the segment only after a confirmation', async () => {
    await page.getByRole('button', { name: 'Delete segment' }).click();
    await page.getByRole('alertdialog', { name: 'Confirm delete' }).waitFor();
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect((await server.admin('/api/segments/repeat-buyers')).status).toBe(200);
    await page.getByRole('button', { name: 'Delete segment' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByRole('heading', { level: 1, name: 'Segments' }).waitFor();
    expect((await server.admin('/api/segments/repeat-buyers')).status).toBe(404);
    await page.getByText('No segments yet').waitFor();
  }, 60_000);
});
