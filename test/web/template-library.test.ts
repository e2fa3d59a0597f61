// The Templates page and the journey builder's template picker in a real browser (Debian's
// chromium through playwright-core), against a real server whose email channel is a real SMTP
// peer (smtp-server + mailparser): an email template is created and edited in the UI (two
// versions, the history shown), previewed for a person found by name (a hostile trait shown as
// text), test-sent; an SMS template shows its segments and encoding as typed and as rendered on a
// phone; a push template shows its notification and deep link; a journey built in the builder
// takes the email template from the library, and a person entering it receives it at the SMTP
// peer; deleting the template is then refused while the journey uses it. No SMS provider is
// configured, and the page says so before a test send. Saves docs/screenshots/templates.png.
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
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
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const reason = browserSkipReason('template library browser tests');

// Template code and markup a person could have typed into a form field.
const HOSTILE = '{{ person.id }} <i>slanted</i>';

describe.skipIf(reason !== null)('the template library in headless chromium', () => {
  let smtp: SmtpPeer;
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  let adaId: string;

  const editor = (): Locator => page.locator('#template-editor');
  /** Waits for the page to say this (an earlier message may still show while a save runs). */
  const said = (text: string) =>
    page.getByTestId('template-status').getByText(text, { exact: true }).waitFor();

  async function choosePerson(name: RegExp, query: string): Promise<void> {
    await page.getByLabel(/^Preview for a person/).fill(query);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('list', { name: 'People found' }).getByRole('button', { name }).click();
  }

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer(
      { smtpUrl: smtp.url, emailFrom: 'Shop <hello@shop.example>' },
      { conductorPollMs: 50 },
    );
    adaId = await makePerson(
      server,
      'u-ada',
      { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@shop.example', motto: HOSTILE },
      { email: 'granted' },
    );
    ({ browser, page } = await launchBrowser({ width: 1400, height: 1000 }));
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page, server);
    await openFromNav(page, 'Templates', 'Templates');
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
    await smtp?.close();
  });

  it('creates an email template, saves an edit as version 2, and shows both versions', async () => {
    await page.getByRole('button', { name: 'New email template' }).click();
    await editor().getByLabel('Template name').fill('Welcome email');
    await editor().getByLabel('Subject').fill('Welcome, {{ traits.first_name }}');
    await editor().getByLabel(/^Text/).fill('Hi {{ traits.first_name }}, your motto: {{ traits.motto }}');
    await editor()
      .getByLabel(/^HTML/)
      .fill('<p>Hi {{ traits.first_name }}</p><p class="motto">{{ traits.motto }}</p>');
    await page.getByRole('button', { name: 'Create template' }).click();
    await said('Saved Welcome email as version 1.');
    await editor().getByLabel('Subject').fill('Welcome aboard, {{ traits.first_name }}');
    await editor()
      .getByLabel(/^What changed/)
      .fill('warmer subject');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await said('Saved Welcome email as version 2.');
    const versions = page.getByRole('table', { name: 'Versions' });
    await versions.getByText('warmer subject').waitFor();
    expect(await versions.locator('tbody tr').count()).toBe(2);
    const row = page.getByRole('table', { name: 'Templates' }).getByRole('row', { name: /Welcome email/ });
    expect(await row.textContent()).toContain('no journey');
    // The library's truth, by the API anyone can call.
    const saved = await server.admin('/api/templates/welcome-email');
    expect(saved.body).toMatchObject({
      latestVersion: 2,
      content: { subject: 'Welcome aboard, {{ traits.first_name }}' },
    });
  });

  it('previews the email for a person found by name, the hostile value shown as text, and test-sends it', async () => {
    await choosePerson(/Ada Lovelace/, 'Ada');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const preview = page.getByTestId('template-preview');
    await preview.waitFor();
    expect(await preview.getByTestId('preview-subject').textContent()).toBe('Welcome aboard, Ada');
    expect(await preview.getByTestId('preview-text').textContent()).toBe(`Hi Ada, your motto: ${HOSTILE}`);
    expect(await preview.getByTestId('preview-text').textContent()).not.toContain(adaId);
    const frame = page.frameLocator('iframe[title="HTML preview"]');
    expect(await frame.locator('p.motto').textContent()).toBe(HOSTILE);
    expect(await frame.locator('i').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'templates.png'), fullPage: true });
    const before = smtp.received.length;
    await page.getByLabel(/^Send a test to/).fill('marketer@shop.example');
    await page.getByRole('button', { name: 'Send test' }).click();
    await expect
      .poll(() => page.getByTestId('test-send-result').textContent(), SHOWN)
      .toBe('Sent to marketer@shop.example.');
    expect(smtp.received.length).toBe(before + 1);
    expect(smtp.received.at(-1)?.subject).toBe('Welcome aboard, Ada');
  });

  it('counts an SMS’s segments as typed and as rendered on a phone, and says no SMS provider is configured', async () => {
    await page.getByRole('button', { name: 'New SMS template' }).click();
    await editor().getByLabel('Template name').fill('Order shipped SMS');
    const body = editor().getByLabel('SMS text');
    await body.fill('a'.repeat(161));
    // Counted as typed: waited for, since the count of the text before is shown until then.
    await page.getByTestId('sms-facts').filter({ hasText: '2 segments, 161 characters, GSM-7' }).waitFor();
    await body.fill('Hi {{ traits.first_name }}, your order is on its way 😀');
    await page.getByTestId('sms-facts').filter({ hasText: 'UCS-2' }).waitFor();
    const facts = await page.getByTestId('sms-facts').textContent();
    expect(facts).toContain('1 segment');
    expect(facts).toContain('UCS-2');
    expect(facts).toContain('“😀” is not in the GSM alphabet');
    await page.getByRole('button', { name: 'Create template' }).click();
    await said('Saved Order shipped SMS as version 1.');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('preview-sms').textContent(), SHOWN)
      .toBe('Hi Ada, your order is on its way 😀');
    const rendered = await page.getByTestId('preview-segments').textContent();
    // The server's count of the text as Ada receives it: 35 characters, UCS-2, one segment.
    const truth = await server.adminRequest('POST', '/api/templates/render', {
      channel: 'sms',
      content: { body: 'Hi {{ traits.first_name }}, your order is on its way 😀' },
      profileId: adaId,
    });
    expect(rendered).toContain(
      `${truth.body.sms.segments} segment, ${truth.body.sms.characters} characters, UCS-2`,
    );
    await expect
      .poll(() => page.getByTestId('no-channel').textContent(), SHOWN)
      .toContain('No sms channel is configured');
    expect(await page.getByRole('button', { name: 'Send test' }).isDisabled()).toBe(true);
  });

  it('shows a push notification as it will appear, with its deep link filled in', async () => {
    await page.getByRole('button', { name: 'New push template' }).click();
    await editor().getByLabel('Template name').fill('Cart reminder push');
    await editor().getByLabel('Notification title').fill('{{ traits.first_name }}, your cart');
    await editor().getByLabel('Notification text').fill('Still thinking it over?');
    await editor()
      .getByLabel(/^Deep link/)
      .fill('shop://cart/{{ person.id }}');
    await page.getByRole('button', { name: 'Create template' }).click();
    await said('Saved Cart reminder push as version 1.');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('preview-push-title').textContent(), SHOWN)
      .toBe('Ada, your cart');
    expect(await page.getByTestId('preview-deep-link').textContent()).toBe(`shop://cart/${adaId}`);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('a journey built in the builder sends the library’s email; a person entering it receives it', async () => {
    await openFromNav(page, 'Journeys', 'Journeys');
    await page.getByRole('button', { name: 'New journey' }).click();
    await page.getByTestId('journey-canvas').waitFor();
    const settings = page.getByRole('region', { name: 'Journey settings' });
    await settings.getByLabel('Name').fill('Welcome by template');
    await settings.getByLabel(/^Id/).fill('welcome-by-template');
    await settings.getByLabel('Trigger event').fill('Signed Up');
    await page.locator('.react-flow__node[data-id="__trigger"]').click();
    await page.locator('.add-buttons').getByRole('button', { name: 'Send a message', exact: true }).click();
    const form = page.getByRole('complementary', { name: 'Selected step' });
    await form.getByLabel('Message', { exact: true }).selectOption('library');
    // Only the templates written for email are offered to an email step.
    const offered = await form.getByLabel('Template', { exact: true }).locator('option').allTextContents();
    expect(offered).toEqual(['Welcome email (email, version 2)']);
    await form.getByTestId('template-summary').getByText('Subject: Welcome aboard').waitFor();
    await page
      .getByTestId('check-status')
      .filter({ hasText: 'The server’s check finds no problem.' })
      .waitFor();
    await page.getByRole('button', { name: 'Save journey' }).click();
    await page.getByRole('heading', { level: 1, name: 'Welcome by template' }).waitFor();
    const saved = (await server.admin('/api/journeys/welcome-by-template')).body.definition;
    const send = saved.steps.find((step: { type: string }) => step.type === 'send');
    expect(send).toMatchObject({
      templateId: 'welcome-email',
      templateCopiedFrom: { id: 'welcome-email', version: 2 },
    });
    expect(send.templateVersion).toBeUndefined();
    // The code view's message fields say where this message comes from instead of offering
    // fields whose edits the next save would replace.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('tab', { name: 'Code view (JSON)' }).click();
    await expect
      .poll(() => page.locator('#editor').getByTestId('library-message').textContent(), SHOWN)
      .toContain('library template welcome-email, version 2 as copied at the last save');

    expect((await track(server, '/v1/track', { userId: 'u-ada', event: 'Signed Up' })).status).toBe(200);
    const [mail] = await eventually(
      async () => smtp.received.filter((m) => JSON.stringify(m.to).includes('ada@shop.example')),
      (mails) => mails.length === 1,
      60_000,
    );
    expect(mail?.subject).toBe('Welcome aboard, Ada');
    expect(mail?.text?.split('\n')[0]).toBe(`Hi Ada, your motto: ${HOSTILE}`);
  }, 240_000);

  it('lists the journey using the template, and refuses to delete it while the journey does', async () => {
    await openFromNav(page, 'Templates', 'Templates');
    const row = page.getByRole('table', { name: 'Templates' }).getByRole('row', { name: /Welcome email/ });
    await row.getByText('Welcome by template').waitFor();
    await row.getByRole('button', { name: 'Welcome email' }).click();
    await expect
      .poll(() => page.getByTestId('template-used-by').textContent(), SHOWN)
      .toContain('Welcome by template (step send-1, sends version 2)');
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('template Welcome email is used by Welcome by template', { exact: false }).waitFor();
    expect((await server.admin('/api/templates/welcome-email')).status).toBe(200);
  });

  it('after an edit, updates the journey that takes the latest to the new version in one click', async () => {
    await editor().getByLabel('Subject').fill('Welcome to the shop, {{ traits.first_name }}');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await said('Saved Welcome email as version 3.');
    // Saved journeys keep what they copied until they are saved again.
    const before = (await server.admin('/api/journeys/welcome-by-template')).body;
    expect(
      before.definition.steps.find((s: { type: string }) => s.type === 'send').templateCopiedFrom.version,
    ).toBe(2);
    await page.getByRole('button', { name: 'Update Welcome by template to version 3' }).click();
    await said('Welcome by template now sends version 3.');
    const after = (await server.admin('/api/journeys/welcome-by-template')).body;
    expect(after.version).toBe(before.version + 1);
    const send = after.definition.steps.find((s: { type: string }) => s.type === 'send');
    expect(send.templateCopiedFrom).toEqual({ id: 'welcome-email', version: 3 });
    expect(send.template.subject).toBe('Welcome to the shop, {{ traits.first_name }}');
    expect(await page.getByRole('button', { name: /^Update Welcome by template/ }).count()).toBe(0);
  });
});
