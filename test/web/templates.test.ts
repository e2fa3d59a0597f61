// The journey editor's message fields in a real browser (Debian's chromium through
// playwright-core) against a real server: subject, text and HTML (MJML) edited without JSON,
// a preview the server renders as a send would (a first name holding markup shows as text),
// a journey that cannot send refused with the field named, and the saved document carrying
// the HTML. Saves docs/screenshots/journey-templates.png.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  closeBrowser,
  launchBrowser,
  openFromNav,
  SHOTS,
  SHOWN,
  signIn,
} from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const reason = browserSkipReason('template editor browser tests');

const MJML =
  '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ traits.first_name }}</mj-text><mj-button href="https://shop.example/start">Start</mj-button></mj-column></mj-section></mj-body></mjml>';

describe.skipIf(reason !== null)('the journey editor’s message fields in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
    await openFromNav(page, 'Journeys', 'Journeys');
    await page.getByRole('button', { name: 'New journey' }).click();
    // The message fields live in the builder's code view; the welcome example has a send step.
    await page.getByLabel('Start from').selectOption('example');
    await page.getByRole('tab', { name: 'Code view (JSON)' }).click();
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('an email without a subject is refused at save with the field named', async () => {
    const editor = page.locator('#editor');
    await editor.getByLabel('Subject').fill('');
    await editor.getByRole('button', { name: 'Check and save' }).click();
    await expect.poll(() => editor.getByRole('alert').textContent(), SHOWN).toContain('template/subject');
    expect((await server.admin('/api/journeys/my-journey')).status).toBe(404);
  });

  it('edits subject, text and MJML as fields and previews them as a send renders them', async () => {
    const editor = page.locator('#editor');
    await editor.getByLabel('Subject').fill('Welcome, {{ traits.first_name }}');
    await editor
      .getByLabel(/^Text/)
      .fill('Hello {{ traits.first_name }}, start here: https://shop.example/start');
    await editor.getByLabel(/^HTML for email/).fill(MJML);
    await editor.getByLabel('Preview as first name').fill('<b>Bo</b>');
    await editor.getByRole('button', { name: 'Preview' }).click();
    const preview = editor.getByTestId('template-preview');
    await preview.waitFor();
    expect(await preview.getByTestId('preview-subject').textContent()).toBe('Welcome, <b>Bo</b>');
    expect(await preview.getByTestId('preview-text').textContent()).toBe(
      'Hello <b>Bo</b>, start here: https://shop.example/start',
    );
    // The HTML is the server's rendering, value escaped: the name shows as text, not bold.
    const frame = page.frameLocator('iframe[title="HTML preview"]');
    await frame.getByText('Hi <b>Bo</b>').waitFor();
    expect(await frame.locator('b').count()).toBe(0);
    const truth = await server.adminRequest('POST', '/api/templates/preview', {
      template: {
        subject: 'Welcome, {{ traits.first_name }}',
        body: 'Hello {{ traits.first_name }}, start here: https://shop.example/start',
        html: MJML,
      },
      traits: { first_name: '<b>Bo</b>' },
    });
    expect(truth.status).toBe(200);
    expect(await page.locator('iframe[title="HTML preview"]').getAttribute('srcdoc')).toBe(truth.body.html);
    expect(truth.body.html).toContain('@media');
    await page.screenshot({ path: join(SHOTS, 'journey-templates.png'), fullPage: true });
  });

  it('saves the journey with the fields written into its document', async () => {
    const editor = page.locator('#editor');
    await editor.getByRole('button', { name: 'Check and save' }).click();
    await page.getByRole('heading', { level: 1, name: 'Welcome' }).waitFor();
    const saved = await server.admin('/api/journeys/my-journey');
    const send = saved.body.definition.steps.find((step: { id: string }) => step.id === 'welcome');
    expect(send.template).toEqual({
      subject: 'Welcome, {{ traits.first_name }}',
      body: 'Hello {{ traits.first_name }}, start here: https://shop.example/start',
      html: MJML,
    });
  });
});
