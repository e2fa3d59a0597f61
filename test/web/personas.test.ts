// The Personas page in a real browser (Debian's chromium through playwright-core) against a
// real server holding three planted kinds of people: the marketer fits personas with the form,
// reads three cards whose sizes are the API's, and makes a segment of one persona with a click.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plantPeople } from '../personas/planted.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = join(ROOT, 'docs/screenshots');
const reason = !existsSync(CHROMIUM)
  ? `no ${CHROMIUM} (apt-get install chromium)`
  : !existsSync(join(ROOT, 'web/dist/index.html'))
    ? 'web/dist is missing (npm run build)'
    : null;
if (reason) console.warn(`Personas browser test skipped: ${reason}`);

describe.skipIf(reason !== null)('the Personas page in headless chromium', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  const profileDir = mkdtempSync(join(tmpdir(), 'rapport-chromium-'));

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    await plantPeople(server);
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
      viewport: { width: 1360, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(server.url);
    await page.getByLabel('Admin token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(profileDir, { recursive: true, force: true });
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
      await expect(card.getByText(`${persona.size} people`, { exact: false }).count()).resolves.toBe(1);
      await expect(card.getByText('Typical journey:', { exact: false }).textContent()).resolves.toContain(
        persona.typicalJourney.steps.join(' → '),
      );
      await expect(card.getByText('Preferred channel:', { exact: false }).textContent()).resolves.toContain(
        persona.preferredChannel.channel,
      );
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
