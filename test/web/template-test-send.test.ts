// The Templates page in a real browser (Debian's chromium through playwright-core) against a
// real server whose email channel is a real SMTP peer (smtp-server + mailparser): an email is
// edited, previewed for a person found by name (their values filled in by the server's own
// renderer, a hostile trait shown as text, never run as template code or markup), and
// test-sent to an address typed, checked as it arrived at the SMTP peer. A server without an
// email channel refuses the test send plainly. Saves docs/screenshots/templates.png.
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
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const reason = browserSkipReason('templates page browser tests');

// Template code and markup a person could have typed into a form field.
const HOSTILE = '{{ person.id }} <i>slanted</i>';
const SUBJECT = 'Hello {{ traits.first_name }}';
const TEXT = 'Hi {{ traits.first_name }}, your motto: {{ traits.motto }}';
const HTML = '<p>Hi {{ traits.first_name }}</p><p class="motto">{{ traits.motto }}</p>';
const TEMPLATE = { subject: SUBJECT, body: TEXT, html: HTML };

describe.skipIf(reason !== null)('the Templates page in headless chromium', () => {
  let smtp: SmtpPeer;
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  let adaId: string;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({ smtpUrl: smtp.url, emailFrom: 'Shop <hello@shop.example>' });
    adaId = await makePerson(server, 'u-ada', {
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'ada@shop.example',
      motto: HOSTILE,
    });
    await makePerson(server, 'u-bo', { first_name: 'Bo', email: 'bo@shop.example', motto: 'plain' });
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
    await openFromNav(page, 'Templates', 'Templates');
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
    await smtp?.close();
  });

  it('previews an edited email for a person found by name, their hostile value shown as text', async () => {
    await page.getByLabel('Subject').fill(SUBJECT);
    await page.getByLabel(/^Text/).fill(TEXT);
    await page.getByLabel(/^HTML/).fill(HTML);
    await page.getByLabel(/^Preview for a person/).fill('Ada');
    await page.getByRole('button', { name: 'Find' }).click();
    await page
      .getByRole('list', { name: 'People found' })
      .getByRole('button', { name: /Ada Lovelace/ })
      .click();
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const preview = page.getByTestId('template-preview');
    await preview.waitFor();
    expect(await preview.getByTestId('preview-subject').textContent()).toBe('Hello Ada');
    // The motto arrives as the person typed it: not evaluated ({{ person.id }} stays), not markup.
    expect(await preview.getByTestId('preview-text').textContent()).toBe(`Hi Ada, your motto: ${HOSTILE}`);
    expect(await preview.getByTestId('preview-text').textContent()).not.toContain(adaId);
    const frame = page.frameLocator('iframe[title="HTML preview"]');
    await frame.getByText('Hi Ada').waitFor();
    expect(await frame.locator('p.motto').textContent()).toBe(HOSTILE);
    expect(await frame.locator('i').count()).toBe(0);
    // What the page shows is the server's rendering for this person, byte for byte.
    const truth = await server.adminRequest('POST', '/api/templates/preview', {
      template: TEMPLATE,
      profileId: adaId,
    });
    expect(truth.status).toBe(200);
    expect(await page.locator('iframe[title="HTML preview"]').getAttribute('srcdoc')).toBe(truth.body.html);
    await page.screenshot({ path: join(SHOTS, 'templates.png'), fullPage: true });
  });

  it('test-sends the email to the address typed, and it arrives at the SMTP peer filled for the person', async () => {
    const before = smtp.received.length;
    await page.getByLabel(/^Send a test to/).fill('marketer@shop.example');
    await page.getByRole('button', { name: 'Send test' }).click();
    await expect(page.getByTestId('test-send-result').textContent()).resolves.toBe(
      'Sent to marketer@shop.example.',
    );
    expect(smtp.received.length).toBe(before + 1);
    const mail = smtp.received.at(-1);
    expect(mail?.subject).toBe('Hello Ada');
    expect(mail?.to && 'text' in mail.to ? mail.to.text : '').toBe('marketer@shop.example');
    // The channel adds its unsubscribe line below the text, as on every email it sends.
    expect(mail?.text?.split('\n')[0]).toBe(`Hi Ada, your motto: ${HOSTILE}`);
    expect(mail?.html).toContain('Hi Ada');
    expect(mail?.html).not.toContain('<i>');
    // On record like every message that left: the arbitration log's test sends.
    const log = await server.adminRequest('GET', '/api/decisions?profileId=test-send');
    expect(log.body.items[0]).toMatchObject({
      channel: 'email',
      action: 'send',
      code: 'test_send',
      reason: 'template test send to marketer@shop.example: accepted',
    });
  });

  it('edits a journey’s message here and saves it into the journey as its next version', async () => {
    const journey = {
      format: 1,
      id: 'welcome-mail',
      version: 1,
      name: 'Welcome mail',
      entry: { kind: 'event', event: 'Signed Up' },
      reentry: { mode: 'always' },
      defaultTimeZone: 'UTC',
      start: 'mail',
      steps: [
        {
          id: 'mail',
          type: 'send',
          channel: 'email',
          purpose: 'email',
          template: { subject: 'Old', body: 'Old text' },
          next: 'done',
        },
        { id: 'done', type: 'exit' },
      ],
    };
    expect((await server.adminRequest('POST', '/api/journeys', journey)).status).toBe(201);
    // Opened afresh, the page offers the journeys saved now.
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await nav.getByRole('link', { name: 'Templates', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Templates' }).waitFor();
    await page.getByLabel('Start from a journey’s message').selectOption('welcome-mail/mail');
    expect(await page.getByLabel('Subject').inputValue()).toBe('Old');
    await page.getByLabel('Subject').fill(SUBJECT);
    await page.getByLabel(/^Text/).fill(TEXT);
    await page.getByRole('button', { name: 'Save into Welcome mail: mail' }).click();
    await expect(page.getByTestId('template-saved').textContent()).resolves.toBe(
      'Saved: Welcome mail is now at version 2.',
    );
    const saved = await server.admin('/api/journeys/welcome-mail');
    expect(saved.body.version).toBe(2);
    expect(saved.body.definition.steps[0].template).toEqual({ subject: SUBJECT, body: TEXT });
  });

  it('refuses a preview for someone who is not there, and a test send to something not an address', async () => {
    const missing = await server.adminRequest('POST', '/api/templates/preview', {
      template: TEMPLATE,
      profileId: 'no-such-person',
    });
    expect(missing.status).toBe(404);
    const bad = await server.adminRequest('POST', '/api/templates/test-send', {
      template: TEMPLATE,
      to: 'not an address',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('to');
  });

  it('a server without an email channel refuses a test send, saying why, and the page says so first', async () => {
    const bare = await startTestServer();
    try {
      const answer = await bare.adminRequest('POST', '/api/templates/test-send', {
        template: TEMPLATE,
        to: 'marketer@shop.example',
      });
      expect(answer.status).toBe(409);
      expect(answer.body.message).toContain('no email channel is configured');
      // The page says so before anyone tries, and offers no send button to press.
      const other = await browser.newPage();
      try {
        await other.goto(bare.url);
        await other.getByLabel('Admin token').fill(bare.adminToken);
        await other.getByRole('button', { name: 'Sign in' }).click();
        await other.getByRole('heading', { name: 'Overview' }).waitFor();
        await other
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: 'Templates', exact: true })
          .click();
        await expect(other.getByTestId('no-email-channel').textContent()).resolves.toContain(
          'No email channel is configured',
        );
        expect(await other.getByRole('button', { name: 'Send test' }).isDisabled()).toBe(true);
      } finally {
        await other.close();
      }
    } finally {
      await bare.close();
    }
    // A second server and page of their own: more than the default minute on a loaded machine.
  }, 180_000);
});
