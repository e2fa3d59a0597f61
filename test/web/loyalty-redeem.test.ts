// Redeeming a person's points from their 360 in a real browser against a real server: the
// balance before and after is shown before anything is written; more than the balance is
// refused on the page; a confirmation is asked (dismissed, nothing is written); after the
// redemption the page says the balance went from what to what, as the API's ledger does; and
// when the balance moved behind the page's back, the server's refusal shows and nothing is taken.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  seriousViolations,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('loyalty redeem browser test');

describe.skipIf(reason !== null)('redeeming points on the 360 in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  let profileId: string;

  const ledger = async () =>
    (await server.admin(`/api/loyalty/people/${encodeURIComponent(profileId)}`)).body;
  const adjust = async (points: number) =>
    server.adminRequest('POST', `/api/loyalty/people/${encodeURIComponent(profileId)}/adjust`, {
      points,
      reason: 'set up by the test',
      requestId: `test-${points}-${Date.now()}`,
    });

  beforeAll(async () => {
    server = await startTestServer();
    expect(
      (await track(server, '/v1/identify', { userId: 'redeem-ada', traits: { name: 'Ada Lovelace' } }))
        .status,
    ).toBe(200);
    await server.settle();
    profileId = (await server.admin('/api/profiles/lookup?userId=redeem-ada')).body.profileId;
    expect((await adjust(500)).status).toBe(200);
    ({ browser, page } = await launchBrowser());
    await signIn(page, server, { path: `/people/${encodeURIComponent(profileId)}`, heading: 'Ada Lovelace' });
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('shows the balance after, refuses more than the balance, and asks before redeeming', async () => {
    const form = page.getByRole('form', { name: 'Redeem points' });
    await form.getByText('Balance 500 points.').waitFor();
    await form.getByLabel('Redeem (points)').fill('800');
    await form.getByText('Not enough points: the balance is 500, 300 short.').waitFor();
    expect(await form.getByRole('button', { name: 'Redeem' }).isDisabled()).toBe(true);

    await form.getByLabel('Redeem (points)').fill('200');
    await form.getByLabel('For (optional)').fill('a £5 voucher');
    await form.getByText('Balance 500 → 300 after redeeming.').waitFor();
    page.once('dialog', (dialog) => void dialog.dismiss());
    await form.getByRole('button', { name: 'Redeem' }).click();
    expect((await ledger()).balance).toBe(500);

    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await form.getByRole('button', { name: 'Redeem' }).click();
    await page.getByTestId('redeemed').waitFor();
    expect(asked).toBe('Redeem 200 points? The balance goes from 500 to 300.');
    expect(await page.getByTestId('redeemed').textContent()).toBe('Redeemed 200 points: balance 500 → 300.');
    const after = await ledger();
    expect(after.balance).toBe(300);
    expect(after.entries[0]).toMatchObject({ kind: 'redeem', points: -200, reason: 'a £5 voucher' });
    await page.getByText('Balance: 300 points').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  }, 120_000);

  it('shows the server’s refusal when the balance fell behind the page’s back, and takes nothing', async () => {
    expect((await adjust(-250)).status).toBe(200);
    const form = page.getByRole('form', { name: 'Redeem points' });
    await form.getByLabel('Redeem (points)').fill('100');
    await form.getByText('Balance 300 → 200 after redeeming.').waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await form.getByRole('button', { name: 'Redeem' }).click();
    await form
      .getByRole('alert')
      .getByText(/has 50 points; 100 cannot be taken/)
      .waitFor();
    expect((await ledger()).balance).toBe(50);
    await page.getByText('Balance: 50 points').waitFor();
  }, 120_000);
});
