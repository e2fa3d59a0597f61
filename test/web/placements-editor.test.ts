// The placements editor in a real browser against a real server, each change checked through
// the API: a placement is added with its default; an offer is added with content, a trait
// condition, priority, a cap and an end date (no JSON typed); "what would this person see"
// answers as /v1/decide does for two people found by name, and follows an edit at once; an
// offer and then the placement are deleted after confirmations (a dismissed one changes
// nothing); a refused save shows the server's reason and changes nothing.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  clippedTables,
  closeBrowser,
  launchBrowser,
  openFromNav,
  seriousViolations,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('placements editor browser test');

const PEOPLE = [
  {
    userId: 'pl-ada',
    traits: { name: 'Ada Lovelace', plan: 'free', consent: { personalization: 'granted' } },
  },
  { userId: 'pl-bob', traits: { name: 'Bob Babbage', plan: 'pro', consent: { personalization: 'granted' } } },
];

describe.skipIf(reason !== null)('the placements editor in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  const definitions = async () => (await server.admin('/api/placements')).body;
  const decide = async (userId: string) => {
    const response = await fetch(`${server.url}/v1/decide?placement=box-tape&userId=${userId}`, {
      headers: { authorization: `Basic ${Buffer.from(`${server.writeKey}:`).toString('base64')}` },
    });
    return ((await response.json()) as { offer?: { id: string } }).offer?.id;
  };
  const previewFor = async (name: string) => {
    const card = page.locator('#preview');
    await card.getByLabel('Person (name, email or id)').fill(name);
    await card.getByRole('button', { name: 'Find' }).click();
    await card.getByRole('list', { name: 'People found' }).getByRole('button', { name }).click();
    await card.locator('#preview-answer').getByText(name).waitFor();
    return card.locator('#preview-answer');
  };

  beforeAll(async () => {
    server = await startTestServer();
    for (const person of PEOPLE) expect((await track(server, '/v1/identify', person)).status).toBe(200);
    await server.settle();
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
    await openFromNav(page, 'Placements', 'Placements');
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('adds a placement with what it shows by default', async () => {
    await page.getByText('No placements yet').waitFor();
    const form = page.getByRole('form', { name: 'New placement' });
    await form.getByLabel(/^New placement/).fill('box-tape');
    await form.getByLabel(/^What it shows by default/).fill('Thanks for ordering');
    await form.getByRole('button', { name: 'Add placement' }).click();
    await page.getByRole('heading', { name: 'box-tape', level: 3 }).waitFor();
    expect(await definitions()).toEqual({
      placements: [{ id: 'box-tape', defaultOfferId: 'box-tape-default' }],
      offers: [
        {
          id: 'box-tape-default',
          placement: 'box-tape',
          priority: 0,
          expectedValue: 0,
          requiresPersonalization: false,
          content: { headline: 'Thanks for ordering' },
        },
      ],
    });
  }, 120_000);

  it('adds an offer with content, a trait condition, a cap and an end date, as forms', async () => {
    await page.getByRole('button', { name: 'Add an offer to box-tape' }).click();
    const form = page.getByRole('form', { name: 'New offer' });
    await form.getByLabel('Offer id').fill('upgrade');
    await form.getByLabel('Headline', { exact: true }).fill('Go pro: 20% off');
    await form.getByLabel('Link (clicks are counted)').fill('https://shop.example/pro');
    await form.getByRole('button', { name: '+ Add condition' }).click();
    await form.getByLabel('Trait', { exact: true }).fill('plan');
    await form.getByLabel('Value', { exact: true }).fill('free');
    await form.getByLabel('Priority (higher first)').fill('50');
    await form.getByLabel('At most, a day, to one person').fill('3');
    await form.getByLabel('Until (UTC)').fill('2030-01-01T00:00');
    await form.getByRole('button', { name: 'Save offer' }).click();
    await form.waitFor({ state: 'detached' });
    const upgrade = (await definitions()).offers.find((o: { id: string }) => o.id === 'upgrade');
    expect(upgrade).toEqual({
      id: 'upgrade',
      placement: 'box-tape',
      priority: 50,
      expectedValue: 1,
      requiresPersonalization: true,
      rule: { kind: 'trait', trait: 'plan', test: { op: 'eq', value: 'free' } },
      content: { headline: 'Go pro: 20% off', url: 'https://shop.example/pro' },
      capPerPerson: 3,
      validUntil: '2030-01-01T00:00:00.000Z',
    });
    await page.locator('tr[data-offer="upgrade"]').getByText('plan = free, with consent').waitFor();
  }, 120_000);

  it('previews what each person would see, as /v1/decide serves it, and follows an edit', async () => {
    const ada = await previewFor('Ada Lovelace');
    await ada.getByText('would see upgrade').waitFor();
    expect(await decide('pl-ada')).toBe('upgrade');
    const bob = await previewFor('Bob Babbage');
    await bob.getByText('would see box-tape-default').waitFor();
    expect(await decide('pl-bob')).toBe('box-tape-default');
    const verdict = page.locator('#preview-offers tr[data-offer="upgrade"]');
    await verdict.getByText('rule not met').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(await clippedTables(page)).toEqual([]);

    await page.getByRole('button', { name: 'Edit upgrade' }).click();
    const form = page.getByRole('form', { name: 'Edit offer upgrade' });
    await form.getByLabel('Value', { exact: true }).fill('pro');
    await form.getByRole('button', { name: 'Save offer' }).click();
    await form.waitFor({ state: 'detached' });
    await page.locator('#preview-answer').getByText('would see upgrade').waitFor();
    expect(await decide('pl-bob')).toBe('upgrade');
  }, 120_000);

  it('shows a refused save and changes nothing', async () => {
    const before = await definitions();
    const form = page.getByRole('form', { name: 'New placement' });
    await form.getByLabel(/^New placement/).fill('box-tape');
    await form.getByRole('button', { name: 'Add placement' }).click();
    // The refusal names each problem as an item of its own (the server's sentence issues).
    await form
      .getByRole('alert')
      .getByRole('listitem')
      .getByText('placement id box-tape is used twice', { exact: true })
      .waitFor();
    expect(await definitions()).toEqual(before);
  }, 120_000);

  it('deletes an offer, then the placement, each after a confirmation', async () => {
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: 'Delete upgrade' }).click();
    expect((await definitions()).offers).toHaveLength(2);
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Delete upgrade' }).click();
    // Every row naming it goes: the offers table's and the preview's ("shown offer upgrade").
    await expect
      .poll(() => page.locator('tr[data-offer="upgrade"]').count(), { timeout: 30_000, interval: 100 })
      .toBe(0);
    expect(asked).toContain('upgrade');
    expect((await definitions()).offers.map((o: { id: string }) => o.id)).toEqual(['box-tape-default']);
    expect(await page.getByRole('button', { name: 'Delete box-tape-default' }).isDisabled()).toBe(true);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete placement box-tape' }).click();
    await page.getByText('No placements yet').waitFor();
    expect(await definitions()).toEqual({ placements: [], offers: [] });
  }, 120_000);
});
