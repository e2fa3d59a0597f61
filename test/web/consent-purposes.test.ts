// Consent purposes on the Settings page in a real browser (Debian's chromium through
// playwright-core) against a real server: a purpose is added with its description and described
// again, a person's consent for it is then recorded (checked through the API), retiring the
// email channel's opt-in is refused with the reason shown, and retiring the new one moves it to
// the retired list. Saves docs/screenshots/consent-purposes.png.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePerson, type SmtpPeer, startSmtpPeer } from '../channels/support.ts';
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
import { startTestServer, type TestServer } from '../support/server.ts';

const reason = browserSkipReason('consent purpose browser tests');

describe.skipIf(reason !== null)('consent purposes on the Settings page in headless chromium', () => {
  let smtp: SmtpPeer;
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({ smtpUrl: smtp.url, consentPurposes: 'email,marketing,analytics' });
    ({ browser, page } = await launchBrowser());
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page, server);
    await openFromNav(page, 'Settings', 'Settings');
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
    await smtp?.close();
  });

  const table = () => page.getByRole('table', { name: 'Consent purposes' });

  it('adds a purpose with its description, describes it again, and people can then grant it', async () => {
    await page.getByLabel(/^New purpose/).fill('volunteering');
    await page.getByLabel('What people agree to').fill('Asked to volunteer');
    await page.getByRole('button', { name: 'Add purpose' }).click();
    await page
      .getByTestId('purpose-status')
      .getByText('Added volunteering: people can now grant or deny it.', { exact: true })
      .waitFor();
    const row = table().getByRole('row', { name: /volunteering/ });
    await row.getByText('Asked to volunteer').waitFor();
    await row.getByRole('button', { name: 'Describe volunteering' }).click();
    await row.getByLabel('Description of volunteering').fill('Volunteering at city events');
    await row.getByRole('button', { name: 'Save' }).click();
    await row.getByText('Volunteering at city events').waitFor();
    // The truth: a person's consent for the new purpose is recorded by the processors.
    const profileId = await makePerson(
      server,
      'u-vol',
      { email: 'vol@example.org' },
      { volunteering: 'granted' },
    );
    expect((await server.admin(`/api/profiles/${profileId}`)).body.consent.volunteering.state).toBe(
      'granted',
    );
    await page.screenshot({ path: join(SHOTS, 'consent-purposes.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('refuses to retire the email channel’s opt-in, saying why; retires the new purpose', async () => {
    await table().getByRole('button', { name: 'Retire email' }).click();
    await page.getByText('purpose email is in use by the email channel', { exact: false }).waitFor();
    await table().getByRole('button', { name: 'Retire volunteering' }).click();
    await page.getByTestId('purpose-status').getByText('Retired volunteering.', { exact: true }).waitFor();
    await expect
      .poll(() => page.getByTestId('retired-purposes').textContent(), SHOWN)
      .toContain('volunteering');
    expect(
      await table()
        .getByRole('row', { name: /volunteering/ })
        .count(),
    ).toBe(0);
    const listed = await server.admin('/api/consent-purposes');
    expect(listed.body.retired.map((r: { purpose: string }) => r.purpose)).toEqual(['volunteering']);
  });
});
