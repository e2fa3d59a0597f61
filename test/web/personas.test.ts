// The Personas page in a real browser (Debian's chromium through playwright-core) against a
// real server holding three planted kinds of people: the marketer fits personas with the form,
// reads three cards whose sizes are the API's, and makes a segment of one persona with a click.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plantPeople } from '../personas/planted.ts';
import { browserSkipReason, closeBrowser, launchBrowser, SHOTS, SHOWN, signIn } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const reason = browserSkipReason('Personas browser test');

describe.skipIf(reason !== null)('the Personas page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    await plantPeople(server);
    ({ browser, page } = await launchBrowser());
    await signIn(page, server);
  }, 300_000);

  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('fits personas from the form and shows a card per persona, sized as the API says', async () => {
    await page.getByRole('link', { name: 'Personas' }).click();
    await page.getByText('No personas yet').waitFor();
    await page.getByRole('button', { name: 'Fit personas' }).click();
    await page
      .getByRole('button', { name: 'Make a segment of these people' })
      .first()
      .waitFor({ timeout: 60_000 });
    const fit = (await server.admin('/api/personas')).body;
    expect(fit.k).toBe(3);
    for (const persona of fit.personas) {
      const card = page.locator('.card', {
        has: page.getByRole('heading', { name: persona.name, exact: true }),
      });
      await expect
        .poll(() => card.getByText(`${persona.size} people`, { exact: false }).count(), SHOWN)
        .toBe(1);
      await expect
        .poll(() => card.getByText('Typical journey:', { exact: false }).textContent(), SHOWN)
        .toContain(persona.typicalJourney.steps.join(' → '));
      await expect
        .poll(() => card.getByText('Preferred channel:', { exact: false }).textContent(), SHOWN)
        .toContain(persona.preferredChannel.channel);
    }
    await page.screenshot({ path: join(SHOTS, 'personas.png'), fullPage: true });
  }, 120_000);

  it('makes a segment of one persona, whose members are that persona', async () => {
    const fit = (await server.admin('/api/personas')).body;
    const persona = fit.personas[0];
    const card = page.locator('.card', {
      has: page.getByRole('heading', { name: persona.name, exact: true }),
    });
    await card.getByRole('button', { name: 'Make a segment of these people' }).click();
    await card.getByRole('link', { name: 'open it' }).waitFor();
    const segments = (await server.admin('/api/segments')).body;
    const saved = segments.segments.find((s: { name: string }) => s.name === `Persona: ${persona.name}`);
    expect(saved).toBeDefined();
    const preview = await server.adminRequest('POST', '/api/segments/preview', {
      text: `computed persona = "${persona.id}"`,
    });
    expect(preview.body.size).toBe(persona.size);
  }, 120_000);
});
