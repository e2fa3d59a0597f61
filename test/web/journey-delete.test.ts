// Deleting a journey from its page in a real browser against a real server: the delete asks
// first (a dismissed confirmation deletes nothing), then the journey is gone from the API and
// from the list (docs/journeys.md: no one enters it again; trips under way finish).
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, closeBrowser, launchBrowser, openFromNav, signIn } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { WELCOME_JOURNEY } from './world.ts';

const reason = browserSkipReason('journey delete browser test');

describe.skipIf(reason !== null)('deleting a journey in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    expect((await server.adminRequest('POST', '/api/journeys', WELCOME_JOURNEY)).status).toBeLessThan(300);
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
    await openFromNav(page, 'Journeys', 'Journeys');
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('asks first, then deletes the journey: gone from the API and the list', async () => {
    await page.getByRole('link', { name: WELCOME_JOURNEY.name }).first().click();
    await page.getByRole('heading', { level: 1, name: WELCOME_JOURNEY.name }).waitFor();
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    expect((await server.admin('/api/journeys/welcome')).status).toBe(200);

    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Journeys' }).waitFor();
    expect(asked).toContain(WELCOME_JOURNEY.name);
    expect((await server.admin('/api/journeys/welcome')).status).toBe(404);
    const listed = (await server.admin('/api/journeys')).body;
    expect(JSON.stringify(listed)).not.toContain('"welcome"');
    await page.getByRole('link', { name: WELCOME_JOURNEY.name }).waitFor({ state: 'detached' });
  });
});
