// The Messages page's sandbox inbox in a real browser (Debian's chromium through
// playwright-core): with the email sandbox switched on, a marketing email to a consenting person
// is kept, and a marketer sees it listed with a plain statement that it reached no real inbox,
// opens it and reads its text and its HTML (in a frame that runs nothing); the Settings page
// names the email channel a sandbox. A server without the sandbox shows no such card.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePerson } from '../channels/support.ts';
import { browserSkipReason, closeBrowser, launchBrowser, openFromNav, signIn } from '../support/browser.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const reason = browserSkipReason('sandbox inbox browser tests');

describe.skipIf(reason !== null)('the sandbox inbox on the Messages page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer({ emailFrom: 'Shop <hello@shop.example>' }, { conductorPollMs: 50 });
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('shows no sandbox card while the sandbox was never on', async () => {
    await openFromNav(page, 'Messages', 'Messages and arbitration');
    await page.getByRole('heading', { name: /Arbitration log/ }).waitFor();
    expect(await page.getByRole('heading', { name: /Sandbox inbox/ }).count()).toBe(0);
  }, 120_000);

  it('lists a kept email, says it reached no inbox, and shows its text and HTML', async () => {
    expect((await server.adminRequest('PUT', '/api/channels/email/sandbox')).status).toBe(200);
    await makePerson(server, 'u-ada', { first_name: 'Ada', email: 'ada@shop.example' }, { email: 'granted' });
    const sent = await server.adminRequest('POST', '/api/messages', {
      userId: 'u-ada',
      channel: 'email',
      kind: 'marketing',
      template: {
        subject: 'Spring offer for {{ traits.first_name }}',
        body: 'Hello {{ traits.first_name }}',
        html: '<p class="greeting">Hello {{ traits.first_name }}</p>',
      },
      idempotencyKey: 'sandbox-browser-1',
    });
    expect(sent.status).toBeLessThan(300);
    await eventually(
      async () => (await server.admin('/api/sandbox/emails')).body.items.length,
      (n) => n === 1,
      60_000,
    );
    await openFromNav(page, 'Settings', 'Settings');
    await page.getByText(/Email is a sandbox/).waitFor();
    await openFromNav(page, 'Messages', 'Messages and arbitration');
    const card = page.locator('#sandbox');
    await card.getByRole('heading', { name: /Sandbox inbox/ }).waitFor();
    expect(await card.getByRole('note').textContent()).toMatch(/none of them reached a real inbox/);
    await card.getByRole('button', { name: 'Spring offer for Ada' }).click();
    const kept = card.getByRole('region', { name: 'Kept email: Spring offer for Ada' });
    await kept.waitFor();
    expect(await kept.textContent()).toMatch(/to ada@shop\.example/);
    expect(await kept.locator('pre').textContent()).toMatch(/^Hello Ada\n\nUnsubscribe: http/);
    const frame = page.frameLocator('iframe[title="HTML of Spring offer for Ada"]');
    expect(await frame.locator('p.greeting').textContent()).toBe('Hello Ada');
    // The frame is sandboxed: no scripts, no navigation of the dashboard.
    expect(await card.locator('iframe').getAttribute('sandbox')).toBe('');
  }, 180_000);
});
