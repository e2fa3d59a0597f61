// What was API-only and now has a button, in a real browser against a real server, each file or
// link checked against the API: a segment's members as CSV (the same bytes as
// members.csv), the bulk exports of profiles (one of a segment) and events as NDJSON (the same
// lines as the API's), and a person's own survey link from their 360, which opens that survey.
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  openFromNav,
  seriousViolations,
  signIn,
} from '../support/browser.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('exports and links browser test');

const PEOPLE = [
  { userId: 'ex-ada', name: 'Ada Lovelace', buys: true },
  { userId: 'ex-bob', name: 'Bob Babbage', buys: true },
  { userId: 'ex-cy', name: 'Cy Young', buys: false },
];

describe.skipIf(reason !== null)('downloads and links in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  /** The text the API answers on a GET with the admin token. */
  const raw = async (path: string) =>
    (
      await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.adminToken}` } })
    ).text();
  /** Clicks `button` and returns the downloaded file's name and text. */
  const downloaded = async (click: () => Promise<void>) => {
    const [file] = await Promise.all([page.waitForEvent('download'), click()]);
    return { name: file.suggestedFilename(), text: readFileSync((await file.path())!, 'utf8') };
  };

  beforeAll(async () => {
    server = await startTestServer();
    for (const person of PEOPLE) {
      expect(
        (await track(server, '/v1/identify', { userId: person.userId, traits: { name: person.name } }))
          .status,
      ).toBe(200);
      if (person.buys)
        expect(
          (await track(server, '/v1/track', { userId: person.userId, event: 'Order Completed' })).status,
        ).toBe(200);
    }
    await server.settle();
    const segment = { id: 'buyers', name: 'Buyers', text: 'performed "Order Completed"' };
    expect((await server.adminRequest('POST', '/api/segments', segment)).status).toBeLessThan(300);
    await eventually(
      async () => (await server.admin('/api/segments/buyers/members?limit=10')).body.members?.length ?? 0,
      (n) => n === 2,
      60_000,
    );
    const survey = {
      id: 'after-call',
      title: 'After our call',
      questions: [{ id: 'csat', kind: 'csat', text: 'How did the call go?', required: true }],
    };
    expect((await server.adminRequest('POST', '/api/surveys', survey)).status).toBe(200);
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('downloads a segment’s members as the API’s CSV', async () => {
    await page.goto(`${server.url}/segments/buyers`);
    await page.getByRole('heading', { level: 1, name: 'Buyers' }).waitFor();
    const file = await downloaded(() => page.getByRole('button', { name: 'Download members (CSV)' }).click());
    expect(file.name).toBe('buyers-members.csv');
    expect(file.text).toBe(await raw('/api/segments/buyers/members.csv'));
    expect(file.text.trim().split('\n')).toHaveLength(3);
  }, 120_000);

  it('exports profiles (everyone, and one segment) and events as the API’s NDJSON', async () => {
    await openFromNav(page, 'Operations', 'Operations');
    const card = page.locator('#bulk-export');
    const everyone = await downloaded(() => card.getByRole('button', { name: 'Download profiles' }).click());
    expect(everyone.name).toBe('profiles.ndjson');
    expect(everyone.text.trim().split('\n')).toHaveLength(3);
    expect(everyone.text).toBe(await raw('/api/export/profiles'));
    await card.getByLabel('Profiles of').selectOption('buyers');
    const buyers = await downloaded(() => card.getByRole('button', { name: 'Download profiles' }).click());
    expect(buyers.name).toBe('profiles-buyers.ndjson');
    expect(buyers.text).toBe(await raw('/api/export/profiles?segment=buyers'));
    expect(buyers.text.trim().split('\n')).toHaveLength(2);
    await card.getByLabel('Event name').fill('Order Completed');
    const orders = await downloaded(() => card.getByRole('button', { name: 'Download events' }).click());
    expect(orders.text).toBe(await raw('/api/export/events?name=Order+Completed'));
    expect(orders.text.trim().split('\n')).toHaveLength(2);
    expect(await seriousViolations(page)).toEqual([]);
  }, 120_000);

  it('makes a person’s own survey link on their 360, which opens that survey', async () => {
    const profileId = (await server.admin('/api/profiles/lookup?userId=ex-cy')).body.profileId;
    await page.goto(`${server.url}/people/${encodeURIComponent(profileId)}`);
    await page.getByRole('heading', { level: 1, name: 'Cy Young' }).waitFor();
    const form = page.getByRole('form', { name: 'Survey link' });
    await form.getByLabel('A link for this person to').selectOption('after-call');
    await form.getByRole('button', { name: 'Make link' }).click();
    const url = await page.getByLabel(/^Their link/).inputValue();
    expect(url).toMatch(/\/s\//);
    const hosted = await fetch(url.replace(/^https?:\/\/[^/]+/, server.url));
    expect(hosted.status).toBe(200);
    expect(await hosted.text()).toContain('How did the call go?');
  }, 120_000);
});
