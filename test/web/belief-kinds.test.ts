// The audit's form writes the two rival claims without JSON, in a real browser (Debian's chromium
// through playwright-core) against a real server. Planted: 30 people get 4 emails and 4 texts
// each; 24 open 3 of the emails and 1 text, 6 open 1 email and 3 texts: per person email minus
// SMS is +0.5 for 24 and -0.5 for 6, a mean of 0.3, so "email is the channel they prefer" holds.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, closeBrowser, launchBrowser, signIn } from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('Belief kinds browser test');

function messages(i: number): object[] {
  const userId = `reader-${i}`;
  const prefersEmail = i % 5 !== 0;
  const out: object[] = [{ type: 'identify', userId, traits: { plan: 'basic' } }];
  for (let n = 0; n < 4; n++) {
    const email = { email_id: `e-${n}-${i}` };
    const sms = { channel: 'sms', send_key: `s-${n}-${i}` };
    out.push({ type: 'track', userId, event: 'Email Delivered', properties: email });
    out.push({ type: 'track', userId, event: 'Message Delivered', properties: sms });
    if (n < (prefersEmail ? 3 : 1))
      out.push({ type: 'track', userId, event: 'Email Opened', properties: email });
    if (n < (prefersEmail ? 1 : 3))
      out.push({ type: 'track', userId, event: 'Message Clicked', properties: sms });
  }
  return out;
}

describe.skipIf(reason !== null)('the channel and persona claims in the audit form, in chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer({ beliefsRetestInterval: 'off' });
    const batch = Array.from({ length: 30 }, (_, i) => messages(i)).flat();
    expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
    await server.settle();
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('"email is the channel they prefer", picked from lists, is supported with each channel shown', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('list', { name: 'Understand' })
      .getByRole('link', { name: 'Assumption audit' })
      .click();
    await page.getByLabel('The belief, in your words').fill('Email is the channel our readers prefer');
    await page.getByLabel('It is about').selectOption('preferred_channel');
    await page.getByLabel('The channel they prefer').selectOption('email');
    await page.getByLabel('Measured by').selectOption('engagement');
    await page.getByRole('button', { name: 'Test this belief' }).click();
    const card = page.locator('.card', {
      has: page.getByRole('heading', { name: 'Email is the channel our readers prefer', exact: true }),
    });
    await card.locator('.badge', { hasText: 'Supported' }).waitFor({ timeout: 60_000 });
    await card.getByRole('row', { name: /^email 30/ }).waitFor();
    await card.getByRole('row', { name: /^sms 30/ }).waitFor();
    const api = (await server.admin('/api/beliefs')).body.beliefs[0];
    expect(api.claim).toEqual({ kind: 'preferred_channel', among: [], channel: 'email', by: 'engagement' });
    expect(api.result).toMatchObject({ verdict: 'supported', rival: 'sms', people: 30 });
    expect(api.result.estimate).toBeCloseTo((24 * 0.5 - 6 * 0.5) / 30, 10);
  }, 120_000);
});
